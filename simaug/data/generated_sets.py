"""Registry entries for data sets that are rendered here or read from a user's own copy.

* ``hangul-confusable`` — rendered on demand from Debian's Korean fonts (the HanDB stand-in).
* ``animal10n`` — the CR paper's Animal-10N, from a folder the user has (``root=`` or
  ``$SIMAUG_ANIMAL10N``); not obtainable on the offline machines.
* ``handb`` — HanDB's HGU1 files (``source=`` a file or folder, or ``$SIMAUG_HANDB``).
* ``cifar10-generated`` — generator samples written by ``save_image_dataset`` (``root=``),
  checked against the sha256s in their ``manifest.yaml``.
* ``cifake`` — CIFAKE's Stable-Diffusion CIFAR-10 look-alikes (``root=`` or ``$SIMAUG_CIFAKE``).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import torch

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
    """HanDB from ``source`` (or ``$SIMAUG_HANDB``): a folder holding ``train/`` and ``test/``,
    each with the split's ``.hgu1`` files. One folder or file for both splits is refused
    (it would train and test on the same images); read such files with
    :func:`simaug.data.hgu1.load_handb`."""
    from .hgu1 import load_handb

    if split not in ("train", "test"):
        raise ValueError(f"handb has splits 'train' and 'test', not {split!r}")
    src = Path(_need(source, "SIMAUG_HANDB", "HanDB"))
    if not src.is_dir() or not (src / split).is_dir():
        raise DataError(
            f"{src} must be a folder holding train/ and test/ (the .hgu1 files of each split); "
            f"{src / split} is not a folder. A single file or a folder without splits would give both splits "
            f"the same images: arrange the files as {src}/train/*.hgu1 and {src}/test/*.hgu1, or read them "
            f"with simaug.data.hgu1.load_handb(PATH)"
        )
    images, labels, classes, meta = load_handb(src / split)
    return ImageSet(images, labels, list(classes), dict(meta, name="handb", split=split))


def read_image_folder(split_dir, classes) -> tuple:
    """Images of ``split_dir/<class>/*.png`` in class order, files sorted by name.

    Shape:
        -> images uint8 (N, 3, H, W), labels int64 (N,)
    """
    import numpy as np
    from pathlib import Path

    from PIL import Image

    images, labels = [], []
    for k, cls in enumerate(classes):
        for path in sorted((Path(split_dir) / cls).glob("*.png")):  # file I/O: one PNG per image
            with Image.open(path) as im:
                images.append(np.asarray(im.convert("RGB")))  # (H, W, 3)
            labels.append(k)
    if not images:
        raise DataError(f"{split_dir} holds no <class>/*.png images")
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous(), torch.tensor(labels, dtype=torch.int64)


@register_dataset("cifar10-generated")
def _cifar10_generated(split: str = "train", root: Optional[str] = None) -> ImageSet:
    """Class-conditional generator samples written by ``simaug.generative.save_image_dataset``.

    ``root`` (default ``data_root()/cifar10-generated``) holds ``manifest.yaml`` and
    ``<split>/<class>/NNNN.png``; the image and label sha256s in the manifest are verified.
    """
    import yaml

    from .checksum import tensor_digest
    from .errors import ChecksumError
    from .paths import data_root

    folder = Path(root) if root else data_root() / "cifar10-generated"
    manifest_path = folder / "manifest.yaml"
    if not manifest_path.exists():
        raise DataError(f"no generated data set at {folder} (manifest.yaml missing); create one with "
                        "simaug.generative.save_image_dataset, as notebook 03 does, and pass root=")
    manifest = yaml.safe_load(manifest_path.read_text())
    if split not in manifest.get("splits", {}):
        raise ValueError(f"{manifest_path} has splits {list(manifest.get('splits', {}))}, not {split!r}")
    entry = manifest["splits"][split]
    images, labels = read_image_folder(folder / split, manifest["classes"])
    for what, tensor in (("images", images), ("labels", labels)):
        expected = entry.get(f"file_order_{what}_sha256", entry[f"{what}_sha256"])  # older manifests: saved sorted
        if tensor_digest(tensor) != expected:
            raise ChecksumError(f"{folder / split}: the {what} do not match the sha256 in {manifest_path}; "
                                "the folder was modified after it was written")
    meta = {"name": "cifar10-generated", "split": split, "root": str(folder), "source_id": f"generated:{folder.name}",
            "source_sha256": entry["images_sha256"], "images_sha256": entry["images_sha256"],
            "generator_checkpoint_sha256": entry.get("generator_checkpoint_sha256"), "params": entry.get("params", {})}
    return ImageSet(images, labels, list(manifest["classes"]), meta)


@register_dataset("cifake")
def _cifake(split: str = "train", kind: str = "FAKE", root: Optional[str] = None) -> ImageSet:
    """CIFAKE (Bird & Lotfi, 2024): ``kind="FAKE"`` Stable-Diffusion images or ``"REAL"``, from
    ``root=`` or ``$SIMAUG_CIFAKE``; not obtainable on the offline machines."""
    from .cifake import CIFAR10_CLASSES, read_cifake

    src = _need(root, "SIMAUG_CIFAKE", "CIFAKE")
    images, labels = read_cifake(src, split, kind)
    meta = {"name": "cifake", "split": split, "kind": kind, "root": str(src), "source_id": f"cifake:{kind}"}
    return ImageSet(images, labels, list(CIFAR10_CLASSES), meta)
