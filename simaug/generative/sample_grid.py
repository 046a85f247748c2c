"""Figure: a few images per class, one row per class (generated next to real)."""
from __future__ import annotations

from typing import Sequence

import torch


def plot_class_grid(ax, images: torch.Tensor, labels: torch.Tensor, classes: Sequence[str], per_class: int = 8,
                    title: str = "", gap: int = 2):
    """Tile ``per_class`` images of each class in a row (first ones in order) on ``ax``.

    Shape:
        images uint8 (N, 3, H, W), labels (N,)
    """
    k, (_, h, w) = len(classes), images.shape[1:]
    canvas = torch.full((3, k * (h + gap), per_class * (w + gap)), 255, dtype=torch.uint8)
    for c in range(k):
        idx = torch.nonzero(labels == c).flatten()[:per_class]
        for j, i in enumerate(idx.tolist()):
            canvas[:, c * (h + gap): c * (h + gap) + h, j * (w + gap): j * (w + gap) + w] = images[i]
    ax.imshow(canvas.permute(1, 2, 0).numpy(), interpolation="nearest")
    ax.set_yticks([c * (h + gap) + h / 2 for c in range(k)], list(classes))
    ax.set_xticks([])
    ax.set_title(title)
    return ax
