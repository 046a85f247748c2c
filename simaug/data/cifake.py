"""Reader for CIFAKE (Bird & Lotfi, 2024, "CIFAKE: image classification and explainable
identification of AI-generated synthetic images"): 60,000 Stable-Diffusion images of the
CIFAR-10 classes (FAKE) next to 60,000 CIFAR-10 images (REAL), 32x32 JPEG.

Layout::

    root/train/REAL/*.jpg   root/train/FAKE/*.jpg   root/test/REAL/*.jpg   root/test/FAKE/*.jpg

The CIFAR-10 class is encoded in the file name: ``"N (k).jpg"`` is class k of 1..10 in
CIFAR-10 order (airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck), and a
name without the suffix, ``"N.jpg"``, is class 1 (airplane). Labels returned here are
0-based (k - 1). Images are sorted by (label, N) so the output order does not depend on
the file system.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import List, Tuple

import numpy as np
import torch
from PIL import Image

CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
SPLITS = ("train", "test")
KINDS = ("REAL", "FAKE")
_NAME = re.compile(r"^(\d+)(?: \((\d+)\))?\.(?:jpe?g|png)$", re.IGNORECASE)


def parse_cifake_name(filename: str) -> Tuple[int, int]:
    """``(index N, 0-based label)`` from a CIFAKE file name.

    Example:
        >>> parse_cifake_name("1234 (3).jpg"), parse_cifake_name("1234.jpg")
        ((1234, 2), (1234, 0))
    """
    m = _NAME.match(filename)
    if m is None:
        raise ValueError(f"{filename!r} is not a CIFAKE file name; expected 'N.jpg' (class 1) "
                         "or 'N (k).jpg' with k in 1..10")
    k = int(m.group(2)) if m.group(2) is not None else 1
    if not 1 <= k <= len(CIFAR10_CLASSES):
        raise ValueError(f"{filename!r}: class suffix ({k}) must be in 1..{len(CIFAR10_CLASSES)}")
    return int(m.group(1)), k - 1


def read_cifake(root: str | os.PathLike, split: str, kind: str = "FAKE") -> Tuple[torch.Tensor, torch.Tensor]:
    """Read one CIFAKE folder ``root/split/kind``.

    Args:
        root: the folder holding ``train/`` and ``test/``.
        split: ``"train"`` or ``"test"``.
        kind: ``"FAKE"`` (generated) or ``"REAL"`` (CIFAR-10).

    Shape:
        -> images uint8 (N, 3, 32, 32), labels int64 (N,) in 0..9 (CIFAR-10 order).

    Example:
        >>> images, labels = read_cifake("data/cifake", "test", "FAKE")  # doctest: +SKIP
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} (upper case, as the folders), got {kind!r}")
    folder = Path(root) / split / kind
    if not folder.is_dir():
        raise FileNotFoundError(f"CIFAKE folder {folder} not found; root must contain "
                                f"{'/'.join((split, kind))} (layout train|test / REAL|FAKE)")
    entries: List[Tuple[int, int, Path]] = []
    bad = []
    for path in folder.iterdir():
        if path.is_dir() or path.name.startswith("."):
            continue
        try:
            index, label = parse_cifake_name(path.name)
        except ValueError:
            bad.append(path.name)
            continue
        entries.append((label, index, path))
    if bad:
        raise ValueError(f"{len(bad)} file(s) in {folder} do not follow the CIFAKE naming "
                         f"'N.jpg' / 'N (k).jpg', e.g. {sorted(bad)[:3]}; remove them or fix the names")
    entries.sort(key=lambda e: (e[0], e[1], e[2].name))
    images = []
    for label, index, path in entries:  # decoding is per file
        with Image.open(path) as im:
            if im.size != (32, 32):
                raise ValueError(f"{path} is {im.size[0]}x{im.size[1]}, CIFAKE images are 32x32")
            images.append(np.asarray(im.convert("RGB")))  # (32, 32, 3) uint8
    if not images:
        raise ValueError(f"{folder} holds no images")
    labels = torch.tensor([e[0] for e in entries], dtype=torch.int64)
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous(), labels  # (N, 3, 32, 32)
