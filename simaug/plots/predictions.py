"""Test images with their predicted-probability bars (the TensorFlow tutorial's figure)."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import torch


def plot_prediction_grid(images: torch.Tensor, probs: torch.Tensor, labels: torch.Tensor,
                         classes: Sequence[str], cols: int = 3, title: str = ""):
    """For each image: the picture (caption: predicted class, confidence, true class) and a
    bar chart of its predicted probabilities, the predicted bar red when wrong, the true
    class's bar blue.

    Shape: images uint8 (N, C, H, W); probs (N, K); labels (N,).
    """
    n = len(images)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, 2 * cols, figsize=(4.2 * cols, 1.9 * rows), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 1.6] * cols})
    k = len(classes)
    for i in range(rows * cols):
        ax_img, ax_bar = axes[i // cols, 2 * (i % cols)], axes[i // cols, 2 * (i % cols) + 1]
        if i >= n:
            ax_img.axis("off"); ax_bar.axis("off")
            continue
        img = images[i].permute(1, 2, 0).squeeze(-1).cpu().numpy()
        ax_img.imshow(img, cmap="gray" if img.ndim == 2 else None, interpolation="nearest")
        ax_img.set_xticks([]); ax_img.set_yticks([])
        pred, true = int(probs[i].argmax()), int(labels[i])
        colour = "tab:blue" if pred == true else "tab:red"
        ax_img.set_xlabel(f"{classes[pred]} {100 * float(probs[i, pred]):.0f}%\n(true: {classes[true]})", color=colour, fontsize=8)
        bars = ax_bar.bar(range(k), probs[i].cpu().numpy(), color="#999999")
        bars[pred].set_color("tab:red")
        bars[true].set_color("tab:blue")
        ax_bar.set_ylim(0, 1)
        ax_bar.set_xticks(range(k))
        ax_bar.set_xticklabels([c[:4] for c in classes], rotation=90, fontsize=6)
        ax_bar.tick_params(axis="y", labelsize=6)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
