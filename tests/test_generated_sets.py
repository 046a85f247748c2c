"""Registry entries ``cifar10-generated`` (verified PNG folders) and ``cifake`` (user's copy)."""
import pytest
import torch
from PIL import Image

import simaug
from simaug.data import ChecksumError, DataError
from simaug.generative import save_image_dataset

CLASSES = ["cat", "dog", "ship"]


def make_folder(tmp_path):
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (7, 3, 32, 32), dtype=torch.uint8, generator=g)
    labels = torch.tensor([2, 0, 1, 0, 2, 1, 0])
    save_image_dataset(images, labels, CLASSES, tmp_path, manifest_extra={"seed": 3}, split="train")
    return images, labels


def test_cifar10_generated_round_trip(tmp_path):
    images, labels = make_folder(tmp_path)
    data = simaug.load("cifar10-generated", "train", root=str(tmp_path))
    assert data.classes == CLASSES and data.images.dtype == torch.uint8
    order = torch.argsort(labels, stable=True)  # files are grouped per class, in saved order
    assert torch.equal(data.labels, labels[order]) and torch.equal(data.images, images[order])
    assert data.meta["params"] == {"seed": 3} and data.meta["name"] == "cifar10-generated"


def test_cifar10_generated_detects_modification_and_missing(tmp_path):
    make_folder(tmp_path)
    path = tmp_path / "train" / "dog" / "0000.png"
    Image.new("RGB", (32, 32), (1, 2, 3)).save(path)
    with pytest.raises(ChecksumError):
        simaug.load("cifar10-generated", "train", root=str(tmp_path))
    with pytest.raises(ValueError, match="splits"):
        simaug.load("cifar10-generated", "test", root=str(tmp_path))
    with pytest.raises(DataError, match="manifest"):
        simaug.load("cifar10-generated", "train", root=str(tmp_path / "nothing"))


def test_cifake_entry(tmp_path, monkeypatch):
    fake = tmp_path / "test" / "FAKE"
    fake.mkdir(parents=True)
    Image.new("RGB", (32, 32), (10, 20, 30)).save(fake / "0 (3).jpg", quality=100)
    Image.new("RGB", (32, 32), (10, 20, 30)).save(fake / "1.jpg", quality=100)
    data = simaug.load("cifake", "test", root=str(tmp_path))
    assert data.labels.tolist() == [0, 2] and data.classes[2] == "bird" and len(data.classes) == 10
    monkeypatch.delenv("SIMAUG_CIFAKE", raising=False)
    with pytest.raises(DataError, match="SIMAUG_CIFAKE"):
        simaug.load("cifake", "test")
    monkeypatch.setenv("SIMAUG_CIFAKE", str(tmp_path))
    assert len(simaug.load("cifake", "test")) == 2
