"""Data-set registry: ``load(name, split, **options) -> ImageSet`` and ``list_datasets()``."""
from __future__ import annotations

from typing import Any

import torch

from .._registry import Registry
from .image_set import ImageSet
from .manifest import load_manifest
from .store import cached_arrays

DATASETS = Registry("data set")
register_dataset = DATASETS.register


def load(name: str, split: str = "train", **options: Any) -> ImageSet:
    """Load a split of a registered data set.

    Args:
        name: one of :func:`list_datasets`.
        split: ``"train"`` or ``"test"`` (see the data set's manifest).
        **options: data-set specific (e.g. ``noise_rate`` for ``cifar10``); unknown ones raise.

    Example:
        >>> train = load("cifar10", "train")           # doctest: +SKIP
        >>> train.images.shape, train.classes[3]        # doctest: +SKIP
        (torch.Size([50000, 3, 32, 32]), 'cat')
    """
    return DATASETS.get(name)(split=split, **options)


def list_datasets() -> list[str]:
    return DATASETS.names()


def _check_split(name: str, split: str, manifest: dict) -> None:
    if split not in manifest["splits"]:
        raise ValueError(f"{name!r} has splits {list(manifest['splits'])}, not {split!r}")


@register_dataset("cifar10")
def _cifar10(split: str = "train", noise_rate: float = 0.0, noise_mode: str = "pairflip", noise_seed: int = 0) -> ImageSet:
    """CIFAR-10, optionally with label noise on the training split.

    ``noise_mode="pairflip"`` flips labels between the confusable pairs cat/dog,
    automobile/truck, deer/horse, airplane/ship (the stand-in for Animal-10N's noise);
    ``"symmetric"`` draws the wrong label uniformly.
    """
    manifest = load_manifest("cifar10")
    _check_split("cifar10", split, manifest)
    arrays, meta = cached_arrays("cifar10")
    x, y = arrays[split]
    images = torch.from_numpy(x.copy())  # the copy detaches from the memory map
    labels = torch.from_numpy(y.copy())
    info = {"name": "cifar10", "split": split, "manifest": manifest, "source_id": meta["source_id"],
            "source_sha256": meta["source_sha256"], "images_sha256": meta["arrays"][split]["images_sha256"]}
    if noise_rate:
        from .noise import add_label_noise

        noisy, flipped = add_label_noise(labels, noise_rate, mode=noise_mode, seed=noise_seed)
        info["label_noise"] = {"rate": noise_rate, "mode": noise_mode, "seed": noise_seed,
                               "flipped": int(flipped.sum()), "clean_labels": labels}
        labels = noisy
    return ImageSet(images, labels, list(manifest["classes"]), info)
