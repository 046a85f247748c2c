"""Confusion-matrix heatmaps (counts or row-normalised), class names on the axes."""
from __future__ import annotations

from typing import Optional, Sequence

import matplotlib.pyplot as plt
import seaborn as sns
import torch


def plot_confusion(cm: torch.Tensor, classes: Sequence[str], normalize: bool = False, ax=None,
                   title: Optional[str] = None, annot: Optional[bool] = None, cmap: str = "Blues"):
    """Heatmap of ``cm`` (rows = true class, columns = predicted).

    ``normalize=True`` divides each row by its total (per-class recall on the diagonal).
    Cells are annotated when there are at most 20 classes (or as ``annot`` says).
    """
    cm = torch.as_tensor(cm).double()
    data = cm / cm.sum(1, keepdim=True).clamp_min(1) if normalize else cm
    k = len(classes)
    if ax is None:
        size = max(4.0, 0.45 * k + 1.5)
        _, ax = plt.subplots(figsize=(size + 1, size))
    show = annot if annot is not None else k <= 20
    sns.heatmap(data.numpy(), annot=show, fmt=".2f" if normalize else ".0f", cmap=cmap, square=True,
                xticklabels=classes, yticklabels=classes, cbar=True, ax=ax, annot_kws={"size": 7},
                vmin=0, vmax=1 if normalize else None)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title or ("row-normalised confusion matrix" if normalize else "confusion matrix (counts)"))
    ax.tick_params(axis="x", rotation=90)
    ax.tick_params(axis="y", rotation=0)
    return ax


def plot_confusion_pair(cm, classes: Sequence[str], titles: Sequence[str] = ("counts", "row-normalised"), width: float = 10.0):
    """One confusion matrix twice, side by side: counts and row-normalised. Returns the figure."""
    fig, axes = plt.subplots(1, 2, figsize=(width, width * 0.42))
    plot_confusion(cm, classes, ax=axes[0], title=titles[0])
    plot_confusion(cm, classes, normalize=True, ax=axes[1], title=titles[1])
    fig.tight_layout()
    return fig
