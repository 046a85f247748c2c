"""Data layer: import/verify/decode/cache, and every failure mode names the file and the fix."""
import hashlib
import io
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from simaug import data
from simaug.data import ChecksumError, DataError
from simaug.data.cifar10 import decode_jpeg_zip


def _jpeg(colour, size=8):
    buf = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buf, format="JPEG", quality=100)
    return buf.getvalue()


def _make_zip(path: Path, members: dict):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, payload in members.items():
            zf.writestr(name, payload)
    return path


def _tiny_members():
    colours = {"cat": (200, 30, 30), "dog": (30, 30, 200)}
    m = {}
    for split, n in (("train", 3), ("test", 2)):
        for cls, col in colours.items():
            for i in range(n):
                m[f"{split}/{cls}/{i:04d}.jpg"] = _jpeg(tuple(c + 10 * i for c in col))
    return m


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A two-class data set 'tiny' with its own manifest and an empty data root."""
    (tmp_path / "src").mkdir()
    archive = _make_zip(tmp_path / "src" / "tiny.zip", _tiny_members())
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    manifest = {"name": "tiny", "classes": ["cat", "dog"], "image_size": [3, 8, 8], "splits": {"train": 6, "test": 4},
                "citation": "test", "licence": "test",
                "sources": [{"id": "jpeg-zip", "file": "tiny.zip", "format": "jpeg-zip",
                             "sha256": hashlib.sha256(archive.read_bytes()).hexdigest()}]}
    (manifests / "tiny.yaml").write_text(yaml.safe_dump(manifest))
    monkeypatch.setenv("SIMAUG_MANIFESTS", str(manifests))
    monkeypatch.setenv("SIMAUG_DATA", str(tmp_path / "root"))
    return archive, manifest


def test_import_decode_and_cache_roundtrip(tiny):
    archive, manifest = tiny
    dest = data.import_archive("tiny", archive)
    assert dest.read_bytes() == archive.read_bytes()
    arrays, meta = data.cached_arrays("tiny", progress=False)
    x, y = arrays["train"]
    assert x.shape == (6, 3, 8, 8) and x.dtype == np.uint8
    assert y.tolist() == [0, 0, 0, 1, 1, 1]  # sorted by (class, file number)
    # independent decode of one member
    with zipfile.ZipFile(archive) as zf:
        ref = np.asarray(Image.open(io.BytesIO(zf.read("train/dog/0002.jpg"))).convert("RGB")).transpose(2, 0, 1)
    np.testing.assert_array_equal(x[5], ref)
    assert meta["source_sha256"] == manifest["sources"][0]["sha256"]
    report = data.verify("tiny")
    assert report["archive_sha256"] == manifest["sources"][0]["sha256"]


def test_checksum_mismatch_is_refused_and_nothing_is_written(tiny, tmp_path):
    archive, _ = tiny
    bad = tmp_path / "bad.zip"
    bad.write_bytes(archive.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ChecksumError) as e:
        data.import_archive("tiny", bad)
    assert str(bad) in str(e.value) and "import" in str(e.value)
    assert not (data.data_root() / "archives" / "tiny.zip").exists()


def test_tampered_archive_in_data_root_is_not_replaced(tiny):
    archive, _ = tiny
    dest = data.import_archive("tiny", archive)
    dest.write_bytes(dest.read_bytes()[:100])  # truncate the kept copy
    with pytest.raises(ChecksumError):
        data.cached_arrays("tiny", progress=False)
    with pytest.raises(ChecksumError):
        data.import_archive("tiny", archive)  # the existing copy is verified, never overwritten
    assert len(dest.read_bytes()) == 100


def test_truncated_zip_gives_a_clear_error(tmp_path, tiny):
    archive, manifest = tiny
    cut = tmp_path / "cut.zip"
    cut.write_bytes(archive.read_bytes()[: len(archive.read_bytes()) // 2])
    with pytest.raises(DataError, match="truncated or corrupt"):
        decode_jpeg_zip(cut, manifest, progress=False)


def test_wrong_layout_names_the_member(tmp_path, tiny):
    _, manifest = tiny
    members = _tiny_members()
    members["train/zebra/0000.jpg"] = _jpeg((0, 0, 0))
    bad = _make_zip(tmp_path / "layout.zip", members)
    with pytest.raises(DataError, match="train/zebra/0000.jpg"):
        decode_jpeg_zip(bad, manifest, progress=False)
    members = _tiny_members()
    del members["test/cat/0001.jpg"]
    short = _make_zip(tmp_path / "short.zip", members)
    with pytest.raises(DataError, match="split 'test' has 3 images"):
        decode_jpeg_zip(short, manifest, progress=False)


def test_missing_archive_says_how_to_import(tiny):
    with pytest.raises(DataError, match="python -m simaug data import tiny"):
        data.cached_arrays("tiny", progress=False)


def test_unknown_name():
    with pytest.raises(KeyError, match="unknown data set 'cifar100'.*cifar10"):
        data.load("cifar100")
    with pytest.raises(DataError, match="no manifest"):
        data.load_manifest("no-such-set")


def test_cli_unknown_name_exits_2_with_message():
    r = subprocess.run([sys.executable, "-m", "simaug", "data", "verify", "cifar100"], capture_output=True, text=True)
    assert r.returncode == 2 and "unknown data set 'cifar100'" in r.stderr


def test_safe_extract_refuses_escaping_members(tmp_path):
    z = _make_zip(tmp_path / "evil.zip", {"ok/a.txt": b"a", "../evil.txt": b"x"})
    with pytest.raises(DataError, match="outside"):
        data.safe_extract(z, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out" / "ok").exists()
    t = tmp_path / "evil.tar"
    with tarfile.open(t, "w") as tf:
        info = tarfile.TarInfo("/etc/evil")
        info.size = 1
        tf.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(DataError, match="outside"):
        data.safe_extract(t, tmp_path / "out2")
    good = _make_zip(tmp_path / "good.zip", {"a/b.txt": b"hello"})
    assert (data.safe_extract(good, tmp_path / "out3") / "a" / "b.txt").read_bytes() == b"hello"


def test_image_set_subset_is_balanced_and_deterministic():
    images = torch.zeros(100, 1, 4, 4, dtype=torch.uint8)
    labels = torch.arange(100) % 4
    s = data.ImageSet(images, labels, ["a", "b", "c", "d"])
    a, b = s.subset(10, seed=3), s.subset(10, seed=3)
    assert torch.equal(a.labels, b.labels) and len(a) == 10
    assert a.labels.bincount().tolist() == [3, 3, 2, 2]
    with pytest.raises(TypeError):
        data.ImageSet(images.float(), labels, ["a"])


def test_cifar10_offline_copy():
    """The imported CIFAR-10 (``make data``) has the manifest's shape, classes and balance."""
    try:
        test = data.load("cifar10", "test")
    except DataError as e:
        pytest.skip(f"CIFAR-10 not imported here: {e}")
    assert test.images.shape == (10000, 3, 32, 32) and test.images.dtype == torch.uint8
    assert test.classes[3] == "cat" and test.labels.bincount().tolist() == [1000] * 10
    assert test.meta["source_sha256"] == "ad20075fc5d761cb1545aa313752ecc67cdb288bc8d01abc2128e7de0ddfedb5"


def test_fetch_offline_says_how_to_import(tiny, monkeypatch):
    import urllib.error
    import urllib.request

    _, manifest = tiny
    manifest["sources"][0]["url"] = "https://example.invalid/tiny.zip"
    manifest["sources"][0]["offline_copy"] = "../shared/tiny.zip"
    monkeypatch.setattr(data.store, "load_manifest", lambda name: manifest)

    def offline(*a, **k):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DataError, match=r"Offline\? Import a local copy instead: `python -m simaug data import tiny PATH` \(on these machines: ../shared/tiny.zip\)"):
        data.fetch("tiny")
    assert not list((data.data_root() / "archives").glob("*"))  # no partial file left behind


def test_every_registered_data_set_has_a_complete_manifest():
    from simaug.data.manifest import REQUIRED_KEYS

    for name in data.list_datasets():
        m = data.load_manifest(name)
        assert m["name"] == name and all(k in m for k in REQUIRED_KEYS)
        assert len(m["classes"]) == len(set(m["classes"])) > 1
