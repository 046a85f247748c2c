"""Decoding image archives (CIFAR-10's two manifest sources) into uint8 arrays.

Sources (``data_manifests/cifar10.yaml``): the official python-pickle tarball and the
offline JPEG zip. Both decode to ``{split: (images uint8 (N, 3, 32, 32), labels int64 (N,))}``
in the manifest's class order, sorted by (class, file name) for the zip.
"""
from __future__ import annotations

import io
import pickle
import re
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, Tuple

import numpy as np
from PIL import Image
from tqdm import tqdm

from .errors import DataError

Arrays = Dict[str, Tuple[np.ndarray, np.ndarray]]
_MEMBER = re.compile(r"^(train|test)/([a-z_]+)/(\d+)\.jpg$")


def decode_jpeg_zip(path: Path, manifest: Dict, progress: bool = True) -> Arrays:
    classes, splits = list(manifest["classes"]), dict(manifest["splits"])
    c, h, w = manifest["image_size"]
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise DataError(f"{path} is not a readable zip ({e}); the file is truncated or corrupt: import a fresh copy") from None
    with zf:
        members: Dict[str, list] = {s: [] for s in splits}
        for name in zf.namelist():
            if name.endswith("/"):
                continue
            m = _MEMBER.match(name)
            if not m or m.group(1) not in splits or m.group(2) not in classes:
                raise DataError(
                    f"{path}: unexpected member {name!r}; the layout must be <split>/<class>/<NNNN>.jpg "
                    f"with splits {list(splits)} and classes {classes}. Is this the right archive?"
                )
            members[m.group(1)].append((classes.index(m.group(2)), int(m.group(3)), name))
        out: Arrays = {}
        for split, expected in splits.items():
            items = sorted(members[split])
            if len(items) != expected:
                raise DataError(f"{path}: split {split!r} has {len(items)} images, the manifest expects {expected}; the archive is incomplete")
            images = np.empty((expected, h, w, c), dtype=np.uint8)
            labels = np.empty(expected, dtype=np.int64)
            for i, (label, _, name) in enumerate(tqdm(items, desc=f"decode {split}", disable=not progress, mininterval=1)):
                try:
                    with Image.open(io.BytesIO(zf.read(name))) as im:
                        arr = np.asarray(im.convert("RGB" if c == 3 else "L")).reshape(h, w, c)
                        images[i] = arr
                except Exception as e:  # truncated member, CRC error, bad JPEG
                    raise DataError(f"{path}: cannot decode member {name!r} ({e}); import a fresh copy") from None
                labels[i] = label
            out[split] = (np.ascontiguousarray(images.transpose(0, 3, 1, 2)), labels)
    return out


def decode_python_tar(path: Path, manifest: Dict, progress: bool = True) -> Arrays:
    splits = dict(manifest["splits"])
    files = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
    try:
        with tarfile.open(path) as tf:
            out: Arrays = {}
            for split in splits:
                xs, ys = [], []
                for base in files[split]:
                    member = f"cifar-10-batches-py/{base}"
                    try:
                        f = tf.extractfile(member)
                    except KeyError:
                        raise DataError(f"{path}: member {member!r} is missing; is this cifar-10-python.tar.gz?") from None
                    d = pickle.load(f, encoding="bytes")
                    xs.append(np.asarray(d[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
                    ys.append(np.asarray(d[b"labels"], dtype=np.int64))
                out[split] = (np.concatenate(xs), np.concatenate(ys))
                if len(out[split][1]) != splits[split]:
                    raise DataError(f"{path}: split {split!r} has {len(out[split][1])} images, expected {splits[split]}")
            return out
    except (tarfile.TarError, EOFError, OSError) as e:
        raise DataError(f"{path}: cannot read the tar archive ({e}); it is truncated or corrupt: fetch or import it again") from None


DECODERS = {"jpeg-zip": decode_jpeg_zip, "cifar-python-tar": decode_python_tar}
