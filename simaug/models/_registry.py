"""Model registry: ``create_model(name, ...)`` / ``list_models()`` (timm's pattern)."""
from __future__ import annotations

import torch.nn as nn

from .._registry import Registry

MODELS = Registry("model")
register_model = MODELS.register


def create_model(name: str, num_classes: int = 10, in_channels: int = 3, **kwargs) -> nn.Module:
    """Build a registered model by name.

    Args:
        name: one of :func:`list_models`.
        num_classes: size of the output layer (logits, no softmax).
        in_channels: image channels (3 for CIFAR-10, 1 for grey-scale Hangul).
        **kwargs: model-specific options (``image_size`` for ``simple_cnn``).

    Example:
        >>> m = create_model("resnet20")
        >>> sum(p.numel() for p in m.parameters())
        269722
    """
    if num_classes < 1 or in_channels < 1:
        raise ValueError(f"num_classes and in_channels must be >= 1, got {num_classes}, {in_channels}")
    return MODELS.get(name)(num_classes=num_classes, in_channels=in_channels, **kwargs)


def list_models() -> list[str]:
    return MODELS.names()
