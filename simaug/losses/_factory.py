"""Loss registry: ``create_loss(name, **kw)`` / ``list_losses()`` (timm's ``create_loss`` style).

Every registered loss is called as ``loss(logits, targets)`` with logits (B, K) and int64
targets (B,), and accepts ``num_classes`` so a notebook can build any of them with the
same call (``create_loss(loss_name, num_classes=10, **loss_kw)``).
"""
from __future__ import annotations

import inspect
from typing import Any, Optional

import torch
import torch.nn.functional as F
from torch import nn

from simaug._registry import Registry

LOSSES = Registry("loss")


def check_logits(logits: torch.Tensor, targets: torch.Tensor, num_classes: Optional[int] = None) -> None:
    """Raise a clear error for logits that are not (B, K) or targets that are not int (B,)."""
    if not isinstance(logits, torch.Tensor) or logits.ndim != 2:
        raise ValueError(f"logits must be a (B, K) tensor, got {getattr(logits, 'shape', type(logits))}")
    if not isinstance(targets, torch.Tensor) or targets.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        raise TypeError(
            f"targets must be an integer class-index tensor (B,), got {getattr(targets, 'dtype', type(targets))}; "
            "soft / mixed targets are not supported by this loss"
        )
    if targets.shape != logits.shape[:1]:
        raise ValueError(f"targets {tuple(targets.shape)} do not match logits {tuple(logits.shape)}: expected ({logits.shape[0]},)")
    if num_classes is not None and logits.shape[1] != num_classes:
        raise ValueError(f"the loss was built for num_classes={num_classes} but logits have {logits.shape[1]} columns")


@LOSSES.register("cross_entropy")
class CrossEntropy(nn.Module):
    """Plain cross-entropy (the papers' baseline); ``num_classes`` only checks the logits.

    Example:
        >>> round(float(CrossEntropy()(torch.zeros(2, 4), torch.tensor([0, 3]))), 4)  # log(4)
        1.3863
    """

    def __init__(self, num_classes: Optional[int] = None, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.num_classes, self.reduction, self.label_smoothing = num_classes, reduction, float(label_smoothing)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        check_logits(logits, targets, self.num_classes)
        return F.cross_entropy(logits, targets.long(), reduction=self.reduction, label_smoothing=self.label_smoothing)


def create_loss(name: str, **kwargs: Any) -> nn.Module:
    """Build a registered loss by name.

    Args:
        name: one of :func:`list_losses` (``cross_entropy``, ``cr``, ``pairwise_confusion``).
        **kwargs: the loss's constructor arguments; an unknown one raises ``TypeError``
            naming the accepted ones.

    Example:
        >>> create_loss("cr", num_classes=10, k=3.0)
        CRLoss(num_classes=10, k=3.0, reduction='mean', updates=0)
    """
    factory = LOSSES.get(name)
    params = inspect.signature(factory).parameters
    unknown = sorted(set(kwargs) - set(params))
    if unknown:
        raise TypeError(f"loss {name!r} has no option(s) {unknown}; it accepts {list(params)}")
    return factory(**kwargs)


def list_losses() -> list[str]:
    return LOSSES.names()
