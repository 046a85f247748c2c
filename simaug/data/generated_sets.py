"""Registry entries for data sets that are rendered here or read from a user's own copy.

* ``hangul-confusable`` — rendered on demand from Debian's Korean fonts (the HanDB stand-in).
* ``animal10n`` — the CR paper's Animal-10N, from a folder the user has (``root=`` or
  ``$SIMAUG_ANIMAL10N``); not obtainable on the offline machines.
* ``handb`` — HanDB's HGU1 files (``source=`` a file or folder, or ``$SIMAUG_HANDB``).
"""
from __future__ import annotations

import os
from typing import Optional

from .errors import DataError
from .image_set import ImageSet
from .registry import register_dataset


def _need(value: Optional[str], env: str, what: str) -> str:
    value = value or os.environ.get(env)
    if not value:
        raise DataError(f"{what} is not distributed with simaug and cannot be downloaded here: pass its location "
                        f"(load(..., root=PATH)) or set ${env}")
    return value


@register_dataset("hangul-confusable")
def _hangul(split: str = "train", n_per_class: Optional[int] = None, seed: int = 0, jitter: bool = True) -> ImageSet:
    """45 confusable Hangul syllables, 1x64x64; default 400 (train) / 100 (test) per class."""
    from .hangul import render_hangul_confusable

    n = n_per_class or {"train": 400, "test": 100}.get(split)
    if n is None:
        raise ValueError(f"hangul-confusable has splits 'train' and 'test', not {split!r}")
    images, labels, classes, meta = render_hangul_confusable(split, n, seed=seed, jitter=jitter)
    meta = dict(meta, name="hangul-confusable", split=split, options={"n_per_class": n, "seed": seed, "jitter": jitter})
    return ImageSet(images, labels, list(classes), meta)


@register_dataset("animal10n")
def _animal10n(split: str = "train", root: Optional[str] = None) -> ImageSet:
    from .animal10n import read_animal10n

    images, labels, classes, meta = read_animal10n(_need(root, "SIMAUG_ANIMAL10N", "Animal-10N"), split)
    return ImageSet(images, labels, list(classes), dict(meta, name="animal10n", split=split))


@register_dataset("handb")
def _handb(split: str = "train", source: Optional[str] = None) -> ImageSet:
    from .hgu1 import load_handb

    src = _need(source, "SIMAUG_HANDB", "HanDB")
    path = os.path.join(src, split) if os.path.isdir(os.path.join(src, split)) else src
    images, labels, classes, meta = load_handb(path)
    return ImageSet(images, labels, list(classes), dict(meta, name="handb", split=split))
