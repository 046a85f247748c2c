"""Confusion matrices via ``bincount`` (rows = true class, columns = predicted)."""
from __future__ import annotations

import torch


def confusion_matrix(preds: torch.Tensor, targets: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Counts ``cm[i, j]`` of samples of true class ``i`` predicted as ``j``.

    Shape: preds (N,) or logits (N, K); targets (N,) -> (K, K) int64 on the inputs' device.

    Example:
        >>> confusion_matrix(torch.tensor([0, 1, 1]), torch.tensor([0, 0, 1]), 2)
        tensor([[1, 1],
                [0, 1]])
    """
    if preds.ndim == 2:
        preds = preds.argmax(1)
    if preds.shape != targets.shape:
        raise ValueError(f"preds {tuple(preds.shape)} and targets {tuple(targets.shape)} differ in shape")
    idx = targets.long() * num_classes + preds.long()
    return torch.bincount(idx, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def per_class_accuracy(cm: torch.Tensor) -> torch.Tensor:
    """Recall of each class, ``cm[i, i] / sum_j cm[i, j]`` (NaN for a class with no samples)."""
    cm = cm.double()
    return cm.diagonal() / cm.sum(1)


def accuracy(cm: torch.Tensor) -> float:
    return float(cm.diagonal().sum() / cm.sum().clamp_min(1))
