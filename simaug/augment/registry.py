"""The registry of batch transforms: erasing kernels, random affine, crop + flip and the
CIFAR-10-C corruptions (timm's ``register_model`` / ``create_model`` / ``list_models``)."""
from __future__ import annotations

import dataclasses
from typing import List

from simaug._registry import Registry

AUGMENTS = Registry("augment")

# Parameters renamed to torchvision v2's names (issue 13); named in the error message.
_RENAMED = {"area": "scale", "aspect": "ratio"}


def create_augment(name: str, **params):
    """Build a registered transform by name.

    Args:
        name: one of ``list_augments()``.
        **params: its parameters (keyword-only); unknown keys raise TypeError.

    Example:
        >>> create_augment("random_erasing", p=1.0, fill="mean").p
        1.0
        >>> create_augment("gaussian_noise", severity=3).severity
        3
    """
    cls = AUGMENTS.get(name)
    fields = [f.name for f in dataclasses.fields(cls)] if dataclasses.is_dataclass(cls) else []
    unknown = sorted(set(params) - set(fields))
    if unknown:
        renamed = [f"{k} is now {_RENAMED[k]}" for k in unknown if _RENAMED.get(k) in fields]
        hint = f" ({'; '.join(renamed)})" if renamed else ""
        raise TypeError(f"augment {name!r} has no parameter(s) {unknown}{hint}; its parameters are {fields}")
    return cls(**params)


def list_augments() -> List[str]:
    """Names accepted by ``create_augment``, sorted."""
    return AUGMENTS.names()
