"""Write generated images as an image-folder data set with a provenance manifest.

Layout (the same as the CIFAR-10 JPEG zip, so one folder loader reads both)::

    folder/<split>/<class>/0000.png, 0001.png, ...   (lossless PNG, numbered per class)
    folder/manifest.yaml                              (one entry per split written)

The manifest records what is needed to trust and reproduce the data: the sha256 of the
raw image array (uint8, (N, 3, H, W), C order) and of the labels (int64), the sha256 of the
generator checkpoint, per-class counts, the caller's parameters (``manifest_extra``: seed,
epochs, ...), library versions and the creation time. Writing a second split keeps the
first one's entry. The data set ``cifar10-generated`` (``simaug.load(..., root=folder)``) reads
it back and verifies the sha256s.
"""
from __future__ import annotations

import datetime as _dt
import os
import platform
from pathlib import Path
from typing import Dict, Optional, Sequence

import PIL
import torch
import torchvision
import yaml
from PIL import Image

from ..data.checksum import file_digest, tensor_digest


def sha256_file(path: str | os.PathLike) -> str:
    """sha256 of a file's bytes (:func:`simaug.data.checksum.file_digest`)."""
    return file_digest(Path(path), "sha256")


def sha256_tensor(t: torch.Tensor) -> str:
    """sha256 of a tensor's raw bytes in C order (:func:`simaug.data.checksum.tensor_digest`),
    the same digest the ``cifar10-generated`` reader verifies."""
    return tensor_digest(t, "sha256")


def save_image_dataset(
    images: torch.Tensor,
    labels: torch.Tensor,
    classes: Sequence[str],
    folder: str | os.PathLike,
    manifest_extra: Optional[Dict] = None,
    split: str = "train",
    checkpoint_path: Optional[str | os.PathLike] = None,
    name: str = "cifar10-generated",
) -> Path:
    """Save ``images`` as PNGs under ``folder/split/<class>/`` and update ``manifest.yaml``.

    Args:
        images: uint8 (N, 3, H, W) images, e.g. from :func:`simaug.generative.sample`.
        labels: (N,) class indices into ``classes``.
        classes: class names, used as folder names (no path separators).
        folder: data-set root; created if needed. An existing ``split`` folder is refused.
        manifest_extra: parameters to record (generator name, epochs, seed, ...); must be
            YAML-serialisable plain values.
        split: split name, e.g. ``"train"`` or ``"test"``.
        checkpoint_path: the generator checkpoint whose sha256 goes into the manifest.
        name: data-set name recorded in the manifest.

    Returns:
        Path of ``manifest.yaml``.

    Example:
        >>> import tempfile
        >>> x = torch.zeros(2, 3, 32, 32, dtype=torch.uint8)
        >>> save_image_dataset(x, torch.tensor([0, 1]), ["cat", "dog"], tempfile.mkdtemp()).name
        'manifest.yaml'
    """
    if not torch.is_tensor(images) or images.dtype != torch.uint8 or images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError("images must be a uint8 tensor of shape (N, 3, H, W) (or 1 channel)")
    labels = torch.as_tensor(labels)
    if labels.shape != images.shape[:1] or labels.dtype.is_floating_point:
        raise ValueError(f"labels must be an integer tensor of shape ({images.shape[0]},)")
    classes = list(classes)
    if len(set(classes)) != len(classes) or any(not c or "/" in c or "\\" in c or c in (".", "..") for c in classes):
        raise ValueError(f"classes must be distinct non-empty folder names without separators, got {classes}")
    if labels.numel() and (labels.min() < 0 or labels.max() >= len(classes)):
        raise ValueError(f"labels must index classes, i.e. lie in [0, {len(classes)})")
    if not split or "/" in split:
        raise ValueError(f"split must be a plain folder name, got {split!r}")
    root = Path(folder)
    split_dir = root / split
    if split_dir.exists():
        raise FileExistsError(f"{split_dir} already exists; choose a new folder or delete it first")
    images, labels = images.cpu(), labels.cpu().to(torch.int64)
    arrays = images.permute(0, 2, 3, 1).numpy()  # (N, H, W, C) for PIL
    digits = max(4, len(str(images.shape[0])))
    per_class = {}
    for k, cls in enumerate(classes):
        idx = (labels == k).nonzero().flatten()
        per_class[cls] = int(idx.numel())
        (split_dir / cls).mkdir(parents=True, exist_ok=True)
        for j, i in enumerate(idx.tolist()):  # file I/O: one PNG per image
            a = arrays[i][..., 0] if arrays.shape[-1] == 1 else arrays[i]
            Image.fromarray(a).save(split_dir / cls / f"{j:0{digits}d}.png")

    file_order = torch.argsort(labels, stable=True)
    manifest_path = root / "manifest.yaml"
    manifest = yaml.safe_load(manifest_path.read_text()) if manifest_path.exists() else {}
    if manifest.get("classes", classes) != classes:
        raise ValueError(f"{manifest_path} lists classes {manifest['classes']}, not {classes}")
    manifest.update({
        "name": name,
        "classes": classes,
        "image_size": list(images.shape[1:]),
        "format": "png",
        "layout": "<split>/<class>/NNNN.png, numbered per class in the order of the saved array",
    })
    manifest.setdefault("splits", {})[split] = {
        "count": int(images.shape[0]),
        "per_class": per_class,
        "images_sha256": sha256_tensor(images),
        "images_sha256_of": f"uint8 array {list(images.shape)} (N, C, H, W), C order",
        "labels_sha256": sha256_tensor(labels),
        "labels_sha256_of": f"int64 array [{labels.numel()}]",
        # the same arrays in file order (class by class, numbered files): what a folder reader sees
        "file_order_images_sha256": sha256_tensor(images[file_order]),
        "file_order_labels_sha256": sha256_tensor(labels[file_order]),
        "generator_checkpoint_sha256": sha256_file(checkpoint_path) if checkpoint_path else None,
        "params": dict(manifest_extra or {}),
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": {"python": platform.python_version(), "torch": str(torch.__version__),
                     "torchvision": str(torchvision.__version__), "pillow": str(PIL.__version__)},
    }
    manifest_path.write_text(yaml.safe_dump(manifest, sort_keys=False))
    return manifest_path
