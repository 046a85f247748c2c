"""Image grids: a few images per class, one row per class (generated next to real)."""
from __future__ import annotations

from typing import Dict, Sequence, Tuple

import matplotlib.pyplot as plt
import torch

DPI = 150


def plot_class_grid(ax, images: torch.Tensor, labels: torch.Tensor, classes: Sequence[str], per_class: int = 8,
                    title: str = "", gap: int = 2):
    """Tile the first ``per_class`` images of each class in a row on ``ax`` (no grid lines).

    Shape:
        images uint8 (N, 3, H, W), labels (N,)
    """
    images, labels = torch.as_tensor(images), torch.as_tensor(labels)
    k, (_, h, w) = len(classes), images.shape[1:]
    canvas = torch.full((3, k * (h + gap), per_class * (w + gap)), 255, dtype=torch.uint8)
    for c in range(k):
        idx = torch.nonzero(labels == c).flatten()[:per_class]
        for j, i in enumerate(idx.tolist()):
            canvas[:, c * (h + gap): c * (h + gap) + h, j * (w + gap): j * (w + gap) + w] = images[i]
    ax.imshow(canvas.permute(1, 2, 0).numpy(), interpolation="nearest")
    ax.set_yticks([c * (h + gap) + h / 2 for c in range(k)], list(classes))
    ax.set_xticks([])
    ax.grid(False)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title)
    return ax


def plot_class_grids(panels: Dict[str, Tuple[torch.Tensor, torch.Tensor]], classes: Sequence[str], per_class: int = 6,
                     width: float = 9.0):
    """Several class grids side by side (e.g. real and generated), one panel per entry of
    ``panels`` (title -> (images, labels)). Returns the figure."""
    n = len(panels)
    fig, axes = plt.subplots(1, n, figsize=(width, width / n * 10 / per_class * 0.95 + 0.4), dpi=DPI, squeeze=False)
    for ax, (title, (images, labels)) in zip(axes[0], panels.items()):
        plot_class_grid(ax, images, labels, classes, per_class=per_class, title=title)
    for ax in axes[0][1:]:
        ax.set_yticks([])
    fig.tight_layout()
    return fig
