"""ANIMAL-10N (Song, Kim & Lee, ICML 2019, "SELFIE: Refurbishing Unclean Samples for
Robust Deep Learning"; dm.kaist.ac.kr/datasets/animal-10n), the CR paper's main data set.

Ten animals in five confusable pairs, labelled by crowd workers (~8% noisy training
labels): 50,000 training and 5,000 test images of 64 x 64 RGB JPEGs, in two folders::

    <root>/training/<label>_<id>.jpg      e.g. 3_01234.jpg   (label = integer before the first "_")
    <root>/testing/<label>_<id>.jpg

Labels follow the data set's own order (below), not the order of the CR paper's Fig. 4.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import List, Tuple, Union

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

ANIMAL10N_CLASSES = ("cat", "lynx", "wolf", "coyote", "cheetah", "jaguar", "chimpanzee", "orangutan", "hamster", "guinea pig")
# cat/lynx, wolf/coyote, cheetah/jaguar, chimpanzee/orangutan, hamster/guinea pig
ANIMAL10N_CONFUSABLE_PAIRS = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9))
_FOLDERS = {"train": "training", "training": "training", "test": "testing", "testing": "testing"}
_NAME = re.compile(r"^(\d+)_")
_SUFFIXES = {".jpg", ".jpeg", ".png"}


def parse_animal10n_name(name: str) -> int:
    """The label encoded in a file name: ``parse_animal10n_name("3_01234.jpg") == 3``."""
    m = _NAME.match(name)
    if m is None:
        raise ValueError(f"{name!r} is not an ANIMAL-10N file name: expected '<label>_<id>.jpg', e.g. '3_01234.jpg'")
    label = int(m.group(1))
    if label >= len(ANIMAL10N_CLASSES):
        raise ValueError(f"{name!r} has label {label}; ANIMAL-10N labels are 0..{len(ANIMAL10N_CLASSES) - 1}")
    return label


def read_animal10n(
    root: Union[str, os.PathLike], split: str = "train", size: int = 64
) -> Tuple[torch.Tensor, torch.Tensor, List[str], dict]:
    """Read one split of ANIMAL-10N into memory.

    Args:
        root: the folder holding ``training/`` and ``testing/``.
        split: ``"train"`` / ``"training"`` or ``"test"`` / ``"testing"``.
        size: the expected side (every image must be ``size x size``; the data set: 64).

    Returns:
        ``(images uint8 (N, 3, size, size), labels int64 (N,), classes, meta)``, files in
        sorted name order; grey JPEGs are expanded to RGB.

    Raises ``FileNotFoundError`` for a missing folder, ``ValueError`` naming the file for
    a bad name, an undecodable image or a wrong size.

    Example:
        >>> x, y, classes, meta = read_animal10n("data/animal10n", "test")  # doctest: +SKIP
        >>> x.shape, classes[y[0]]                                          # doctest: +SKIP
        (torch.Size([5000, 3, 64, 64]), 'cat')
    """
    if split not in _FOLDERS:
        raise ValueError(f"split must be 'train' or 'test' (or 'training' / 'testing'), got {split!r}")
    folder = Path(root) / _FOLDERS[split]
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{folder} is not a folder: ANIMAL-10N must be unpacked as {Path(root)}/training/*.jpg and "
            f"{Path(root)}/testing/*.jpg (dm.kaist.ac.kr/datasets/animal-10n)"
        )
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in _SUFFIXES)
    if not files:
        raise FileNotFoundError(f"{folder} holds no .jpg images")
    labels = torch.tensor([parse_animal10n_name(p.name) for p in files], dtype=torch.long)  # names first: fail fast
    images = torch.empty(len(files), 3, size, size, dtype=torch.uint8)
    for i, p in enumerate(files):
        try:
            with Image.open(p) as im:
                if im.size != (size, size):
                    raise ValueError(f"{p}: image is {im.size[::-1]}, expected ({size}, {size}); ANIMAL-10N images are 64x64")
                rgb = np.asarray(im.convert("RGB"))  # (H, W, 3) uint8
        except (UnidentifiedImageError, OSError) as e:
            raise ValueError(f"{p}: cannot decode the image ({e})") from None
        images[i] = torch.from_numpy(rgb.copy()).permute(2, 0, 1)  # (3, H, W)
    meta = {"name": "animal10n", "split": split, "folder": str(folder), "files": len(files),
            "sha256": hashlib.sha256(images.numpy().tobytes()).hexdigest()}
    return images, labels, list(ANIMAL10N_CLASSES), meta
