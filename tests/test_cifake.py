"""CIFAKE reader on small folders written by the test in CIFAKE's layout and naming."""
import numpy as np
import pytest
import torch
from PIL import Image

from simaug.data.cifake import CIFAR10_CLASSES, parse_cifake_name, read_cifake


def write(folder, name, rgb, mode="RGB", size=(32, 32)):
    folder.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", size, rgb)
    if mode == "L":
        img = img.convert("L")
    path = folder / name
    img.save(path, quality=100) if path.suffix == ".jpg" else img.save(path)
    return path


def test_parse_names():
    assert parse_cifake_name("1234.jpg") == (1234, 0)  # no suffix: class 1 (airplane)
    assert parse_cifake_name("0 (1).jpg") == (0, 0)
    assert parse_cifake_name("5 (10).jpg") == (5, 9)  # class 10: truck
    assert parse_cifake_name("7 (4).JPG") == (7, 3)
    for bad in ("cat.jpg", "5(2).jpg", "5 (2).gif", "5 (0).jpg", "5 (11).jpg", "5 ().jpg"):
        with pytest.raises(ValueError):
            parse_cifake_name(bad)
    assert len(CIFAR10_CLASSES) == 10 and CIFAR10_CLASSES[0] == "airplane" and CIFAR10_CLASSES[9] == "truck"


def test_read_cifake_labels_order_and_pixels(tmp_path):
    fake = tmp_path / "test" / "FAKE"
    colours = {"3 (10).jpg": (250, 10, 10), "0.jpg": (10, 250, 10), "1 (2).jpg": (10, 10, 250),
               "0 (2).jpg": (128, 128, 128), "2.jpg": (200, 200, 0)}
    for name, rgb in colours.items():
        write(fake, name, rgb)
    write(tmp_path / "test" / "REAL", "9 (5).png", (1, 2, 3))
    images, labels = read_cifake(tmp_path, "test", "FAKE")
    assert images.shape == (5, 3, 32, 32) and images.dtype == torch.uint8
    assert labels.dtype == torch.int64
    # sorted by (label, N): 0.jpg, 2.jpg (class 1), 0 (2), 1 (2) (class 2), 3 (10)
    order = ["0.jpg", "2.jpg", "0 (2).jpg", "1 (2).jpg", "3 (10).jpg"]
    assert labels.tolist() == [0, 0, 1, 1, 9]
    for img, name in zip(images, order):
        mean = img.double().mean(dim=(1, 2)).numpy()
        assert np.allclose(mean, colours[name], atol=3)  # flat colours survive JPEG at q=100
    real, real_labels = read_cifake(tmp_path, "test", "REAL")
    assert real_labels.tolist() == [4] and real[0, :, 0, 0].tolist() == [1, 2, 3]  # PNG is exact


def test_greyscale_files_become_rgb(tmp_path):
    write(tmp_path / "train" / "REAL", "0 (3).png", (90, 90, 90), mode="L")
    images, labels = read_cifake(tmp_path, "train", "REAL")
    assert images.shape == (1, 3, 32, 32) and labels.tolist() == [2]
    assert torch.all(images[0] == images[0, :1])


def test_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="train/FAKE"):
        read_cifake(tmp_path, "train", "FAKE")
    with pytest.raises(ValueError, match="split"):
        read_cifake(tmp_path, "val", "FAKE")
    with pytest.raises(ValueError, match="kind"):
        read_cifake(tmp_path, "train", "fake")
    folder = tmp_path / "train" / "FAKE"
    folder.mkdir(parents=True)
    with pytest.raises(ValueError, match="no images"):
        read_cifake(tmp_path, "train", "FAKE")
    write(folder, "0.jpg", (0, 0, 0))
    write(folder, "holiday.jpg", (0, 0, 0))
    with pytest.raises(ValueError, match="holiday.jpg"):
        read_cifake(tmp_path, "train", "FAKE")
    (folder / "holiday.jpg").unlink()
    write(folder, "1 (3).jpg", (0, 0, 0), size=(64, 64))
    with pytest.raises(ValueError, match="32x32"):
        read_cifake(tmp_path, "train", "FAKE")
