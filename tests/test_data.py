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


def make_tiny_set(tmp_path, monkeypatch, name="tiny"):
    """A two-class data set ``name`` with its own manifest (the only one visible) and an
    empty data root under ``tmp_path``: the real data root is never touched."""
    (tmp_path / "src").mkdir()
    archive = _make_zip(tmp_path / "src" / "tiny.zip", _tiny_members())
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    manifest = {"name": name, "classes": ["cat", "dog"], "image_size": [3, 8, 8], "splits": {"train": 6, "test": 4},
                "citation": "test", "licence": "test",
                "sources": [{"id": "jpeg-zip", "file": "tiny.zip", "format": "jpeg-zip",
                             "sha256": hashlib.sha256(archive.read_bytes()).hexdigest()}]}
    (manifests / f"{name}.yaml").write_text(yaml.safe_dump(manifest))
    monkeypatch.setenv("SIMAUG_MANIFESTS", str(manifests))
    monkeypatch.setenv("SIMAUG_DATA", str(tmp_path / "root"))
    return archive, manifest


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A two-class data set 'tiny' with its own manifest and an empty data root."""
    return make_tiny_set(tmp_path, monkeypatch)


@pytest.fixture
def fake_cifar10(tmp_path, monkeypatch):
    """The tiny set under the registered name 'cifar10' (so ``simaug.load`` and the CLI take it)."""
    return make_tiny_set(tmp_path, monkeypatch, "cifar10")


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


def test_damaged_archive_in_data_root_is_replaced_only_by_a_verified_copy(tiny, tmp_path):
    archive, _ = tiny
    dest = data.import_archive("tiny", archive)
    dest.write_bytes(dest.read_bytes()[:100])  # truncate the kept copy
    with pytest.raises(ChecksumError) as e:
        data.cached_arrays("tiny", progress=False)
    # the message names the damaged file and both ways out (no "import again" loop)
    assert f"{dest} in the data root is damaged" in str(e.value) and f"delete {dest}" in str(e.value)
    bad = tmp_path / "bad.zip"
    bad.write_bytes(archive.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ChecksumError):
        data.import_archive("tiny", bad)  # an unverified file replaces nothing
    assert len(dest.read_bytes()) == 100
    with pytest.raises(ChecksumError, match=f"delete {dest}"):
        data.import_archive("tiny", dest)  # re-importing the damaged copy itself says what to do
    assert data.import_archive("tiny", archive) == dest  # a verified copy replaces the damaged one
    assert dest.read_bytes() == archive.read_bytes()
    assert data.cached_arrays("tiny", progress=False)[0]["train"][0].shape == (6, 3, 8, 8)
    assert not [p for p in dest.parent.iterdir() if p.name != "tiny.zip"]  # no temporary file left


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


# -- the cache is checked on every load (issue 12, items 2, 6) --------------------------------

def _cache(name="tiny"):
    return data.data_root() / "cache" / name / "jpeg-zip"


def _flip_bytes(path: Path, offset: int = 200, n: int = 64):
    """Flip ``n`` bytes in place, then give the file back its size and modification time."""
    st = path.stat()
    raw = bytearray(path.read_bytes())
    raw[offset : offset + n] = bytes(b ^ 0xFF for b in raw[offset : offset + n])
    path.write_bytes(bytes(raw))
    return st


def test_load_detects_a_damaged_cache_and_reports_the_loaded_hash(fake_cifar10):
    archive, _ = fake_cifar10
    data.import_archive("cifar10", archive)
    train = data.load("cifar10", "train")
    f = _cache("cifar10") / "train_images.npy"
    assert train.meta["images_sha256"] == hashlib.sha256(f.read_bytes()).hexdigest()
    _flip_bytes(f)  # 64 bytes of pixels changed; size kept, mtime now
    with pytest.raises(DataError) as e:
        data.load("cifar10", "train")
    assert str(f) in str(e.value) and "altered" in str(e.value)
    assert f"python -m simaug data import cifar10 {data.data_root() / 'archives' / 'tiny.zip'}" in str(e.value)


def test_a_touched_cache_is_rehashed_once_and_then_trusted(tiny, monkeypatch):
    archive, _ = tiny
    data.import_archive("tiny", archive)
    data.cached_arrays("tiny", progress=False)
    f = _cache() / "test_labels.npy"
    calls = []
    real = data.store.file_digest
    monkeypatch.setattr(data.store, "file_digest", lambda p, *a, **k: calls.append(Path(p).name) or real(p, *a, **k))
    data.cached_arrays("tiny", progress=False)
    assert calls == []  # size and mtime unchanged: no hashing
    st = f.stat()
    import os

    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # same bytes, new mtime
    _, meta = data.cached_arrays("tiny", progress=False)
    assert calls == ["test_labels.npy"] and meta["arrays"]["test"]["labels_sha256"] == real(f)
    data.cached_arrays("tiny", progress=False)
    assert calls == ["test_labels.npy"]  # the new stat was recorded


def test_old_cache_without_stat_records_is_verified_and_upgraded(tiny):
    import json

    archive, _ = tiny
    data.import_archive("tiny", archive)
    data.cached_arrays("tiny", progress=False)
    meta_path = _cache() / "meta.json"
    meta = json.loads(meta_path.read_text())
    for rec in meta["arrays"].values():
        del rec["stat"]  # as written by the first cache version
    meta_path.write_text(json.dumps(meta))
    x, _ = data.cached_arrays("tiny", progress=False)[0]["train"]
    assert x.shape == (6, 3, 8, 8) and "stat" in json.loads(meta_path.read_text())["arrays"]["train"]


@pytest.mark.parametrize("damage", ["truncate", "delete", "garbage-meta", "empty-meta"])
def test_damaged_cache_files_name_the_file_and_data_import_rebuilds(fake_cifar10, damage, capsys):
    from simaug.cli import main

    archive, _ = fake_cifar10
    assert main(["data", "import", "cifar10", str(archive)]) == 0
    good = data.load("cifar10", "test")
    target = {"truncate": "train_images.npy", "delete": "test_labels.npy"}.get(damage, "meta.json")
    f = _cache("cifar10") / target
    if damage == "truncate":
        f.write_bytes(f.read_bytes()[:150])
    elif damage == "delete":
        f.unlink()
    elif damage == "garbage-meta":
        f.write_bytes(b"\x00\xff{not json")
    else:
        f.write_text("")
    with pytest.raises(DataError) as e:
        data.load("cifar10", "test")
    assert str(f) in str(e.value) and "python -m simaug data import cifar10" in str(e.value)
    capsys.readouterr()
    assert main(["data", "verify", "cifar10"]) == 2
    assert str(f) in capsys.readouterr().err
    # the fix the message gives: import again (here: the data root's own verified archive)
    assert main(["data", "import", "cifar10", str(data.data_root() / "archives" / "tiny.zip")]) == 0
    assert "rebuilding" in capsys.readouterr().err
    again = data.load("cifar10", "test")
    assert torch.equal(again.images, good.images) and again.meta["images_sha256"] == good.meta["images_sha256"]
    assert main(["data", "verify", "cifar10"]) == 0


def test_data_root_follows_the_umask(tiny, tmp_path):
    import os
    import stat

    archive, _ = tiny
    old = os.umask(0o002)  # a data root shared by a group
    try:
        dest = data.import_archive("tiny", archive)
        data.cached_arrays("tiny", progress=False)
        from simaug.train.checkpoint import save_checkpoint

        ckpt = save_checkpoint({"x": 1}, tmp_path / "run" / "checkpoint.pt")
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(dest) == 0o664 and mode(ckpt) == 0o664
    assert mode(_cache()) == 0o775
    assert {mode(p) for p in _cache().iterdir()} == {0o664}


@pytest.mark.parametrize("name,hint", [("animal10n", "SIMAUG_ANIMAL10N"), ("handb", "SIMAUG_HANDB"),
                                       ("cifake", "SIMAUG_CIFAKE")])
def test_data_sets_without_archives_say_how_to_load_a_local_copy(name, hint, tmp_path, monkeypatch, capsys):
    from simaug.cli import main

    monkeypatch.setenv("SIMAUG_DATA", str(tmp_path / "root"))
    assert main(["data", "import", name, str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{name!r} has no archive to import" in err and hint in err and f"simaug.load('{name}'" in err
    assert "built, not imported" not in err and not (tmp_path / "root").exists()


# -- HanDB folders must keep the splits apart (item 3) ---------------------------------------

def _hgu1_folder(root: Path, splits):
    from simaug.data.hgu1 import ks_code, write_hgu1

    for i, split in enumerate(splits):
        folder = root / split if split else root
        folder.mkdir(parents=True, exist_ok=True)
        img = torch.full((10, 12), 40 * (i + 1), dtype=torch.uint8)
        write_hgu1(folder / "a.hgu1", [img, img], [ks_code("가"), ks_code("각")])
    return root


def test_handb_needs_train_and_test_folders(tmp_path):
    flat = _hgu1_folder(tmp_path / "flat", [None])
    for split in ("train", "test"):
        with pytest.raises(DataError, match=r"must be a folder holding train/ and test/") as e:
            data.load("handb", split, source=str(flat))
        assert str(flat) in str(e.value)
    with pytest.raises(DataError, match="must be a folder holding train/ and test/"):
        data.load("handb", "train", source=str(flat / "a.hgu1"))  # one file for both splits
    ok = _hgu1_folder(tmp_path / "ok", ["train", "test"])
    train, test = data.load("handb", "train", source=str(ok)), data.load("handb", "test", source=str(ok))
    assert len(train) == len(test) == 2 and not torch.equal(train.images, test.images)
    with pytest.raises(ValueError, match="handb has splits 'train' and 'test', not 'validation'"):
        data.load("handb", "validation", source=str(ok))
