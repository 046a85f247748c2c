"""Figures of the erasing notebook (Oh 2024): erase-ratio histograms (the thesis' Figs.
10-12) and a grid of each method's erased copies of the same images."""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch


def plot_erase_ratios(ratios: Dict[str, torch.Tensor], bins: int = 40, cols: int = 2):
    """One histogram panel per method, all on the same axes (share x and y).

    Args:
        ratios: method name -> erased fractions (n,) in [0, 1] (``erase_ratios``).
        bins: histogram bins over [0, 1].

    The y axis is the share of draws per bin; each panel's caption gives the number of
    draws, the share with nothing erased and the mean erased fraction.
    """
    names = list(ratios)
    rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 2.8 * rows), sharex=True, sharey=True, squeeze=False)
    edges = np.linspace(0.0, 1.0, bins + 1)
    for ax, name in zip(axes.flat, names):
        r = torch.as_tensor(ratios[name]).float().numpy()
        ax.hist(r, bins=edges, weights=np.full(len(r), 1.0 / max(len(r), 1)), color="tab:blue")
        ax.set_title(f"{name}: {len(r):,} draws, mean {r.mean():.3f}, none erased {np.mean(r == 0):.1%}", fontsize=9)
        ax.set_xlabel("erased fraction of the image")
        ax.set_ylabel("share of draws")
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_erased_examples(originals: torch.Tensor, erased: Dict[str, torch.Tensor],
                         mean: Optional[Sequence[float]] = None, std: Optional[Sequence[float]] = None):
    """Rows: the original images, then each method's erased copies (columns: images).

    Shape: originals and every ``erased[name]`` (N, C, H, W), uint8 or float; give
    ``mean``/``std`` to undo a normalisation before display.
    """
    rows = {"original": originals, **erased}
    n = len(originals)
    fig, axes = plt.subplots(len(rows), n, figsize=(1.15 * n + 1.4, 1.2 * len(rows)), squeeze=False)
    for r, (name, imgs) in enumerate(rows.items()):
        x = torch.as_tensor(imgs).detach().cpu()
        x = x.float() / 255.0 if not x.is_floating_point() else x.float()
        if std is not None:
            x = x * torch.as_tensor(std).view(1, -1, 1, 1)
        if mean is not None:
            x = x + torch.as_tensor(mean).view(1, -1, 1, 1)
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(x[c].clamp(0, 1).permute(1, 2, 0).numpy(), interpolation="nearest")
            ax.set_xticks([]); ax.set_yticks([])
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout()
    return fig
