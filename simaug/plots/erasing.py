"""Figures of the erasing chapter (Oh 2024): erase-ratio histograms (the thesis' Figs.
10-12), each method's erased copies of the same images, Grad-CAM overlays with the box
of CAM >= 0.4 (the thesis' Fig. 7) and training curves per arm.

All figures are at most 10 inches wide and 150 dpi; image grids have no grid lines.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..cam import cam_bbox

DPI = 150
WIDTH = 10.0  # inches: the book's column


def _image(x: torch.Tensor) -> np.ndarray:
    """(C, H, W) uint8 or float in [0, 1] -> (H, W, C) float for imshow."""
    x = torch.as_tensor(x).detach().cpu()
    x = x.float() / 255.0 if not x.is_floating_point() else x.float()
    return x.clamp(0, 1).permute(1, 2, 0).numpy()


def _bare(ax) -> None:
    ax.grid(False)
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_visible(False)


def plot_erase_ratios(ratios: Dict[str, torch.Tensor], bins: int = 40, cols: int = 2):
    """One histogram panel per method, all on the same axes (share x and y).

    Args:
        ratios: method name -> erased fractions (n,) in [0, 1] (``erase_ratios``).
        bins: histogram bins over [0, 1].

    The y axis is the share of draws per bin; each panel's title gives the number of
    draws and the mean erased fraction.
    """
    names = list(ratios)
    rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(WIDTH * 0.9, 2.5 * rows), sharex=True, sharey=True, squeeze=False, dpi=DPI)
    edges = np.linspace(0.0, 1.0, bins + 1)
    for ax, name in zip(axes.flat, names):
        r = torch.as_tensor(ratios[name]).float().numpy()
        ax.hist(r, bins=edges, weights=np.full(len(r), 1.0 / max(len(r), 1)), color="tab:blue")
        ax.set_title(f"{name}\n{len(r):,} draws, mean {r.mean():.3f}", fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("erased fraction of the image")
    for ax in axes[:, 0]:
        ax.set_ylabel("share of draws")
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_erased_examples(originals: torch.Tensor, erased: Dict[str, torch.Tensor],
                         mean: Optional[Sequence[float]] = None, std: Optional[Sequence[float]] = None):
    """Rows: the original images, then each method's erased copies (columns: images).

    Shape: originals and every ``erased[name]`` (N, C, H, W), uint8 or float in [0, 1];
    give ``mean``/``std`` to undo a normalisation before display.
    """
    rows = {"original": originals, **erased}
    n = len(originals)
    side = min(0.9, (WIDTH - 1.6) / n)
    fig, axes = plt.subplots(len(rows), n, figsize=(side * n + 1.6, side * len(rows) + 0.2), squeeze=False, dpi=DPI)
    for r, (name, imgs) in enumerate(rows.items()):
        x = torch.as_tensor(imgs).detach().cpu()
        x = x.float() / 255.0 if not x.is_floating_point() else x.float()
        if std is not None:
            x = x * torch.as_tensor(std).view(1, -1, 1, 1)
        if mean is not None:
            x = x + torch.as_tensor(mean).view(1, -1, 1, 1)
        for c in range(n):
            axes[r, c].imshow(_image(x[c]), interpolation="nearest")
            _bare(axes[r, c])
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    fig.tight_layout(pad=0.3)
    return fig


def plot_cam_rows(images: torch.Tensor, labels: torch.Tensor, rows: Dict[str, torch.Tensor], classes: Sequence[str],
                  threshold: float = 0.4, alpha: float = 0.5):
    """Grad-CAM overlays: one row per model, one column per image, the box of all pixels
    with CAM >= ``threshold`` in green (the thesis' Fig. 7).

    Shape: images (N, C, H, W) uint8, labels (N,), each ``rows[name]`` (N, H, W) in [0, 1].
    """
    n = len(images)
    side = min(0.95, (WIDTH - 1.8) / n)
    fig, axes = plt.subplots(len(rows), n, figsize=(side * n + 1.8, (side + 0.12) * len(rows) + 0.3), squeeze=False, dpi=DPI)
    for r, (name, cams) in enumerate(rows.items()):
        for c in range(n):
            ax, cam = axes[r, c], torch.as_tensor(cams[c]).float()
            ax.imshow(_image(images[c]), interpolation="nearest")
            ax.imshow(cam.numpy(), cmap="jet", alpha=alpha, vmin=0.0, vmax=1.0, interpolation="bilinear")
            x0, y0, x1, y1 = cam_bbox(cam, threshold).tolist()
            if x1 > x0 and y1 > y0:  # pixel i spans [i - 0.5, i + 0.5] in imshow coordinates
                ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, edgecolor="lime", linewidth=1.5))
            _bare(ax)
            if r == 0:
                ax.set_title(classes[int(labels[c])], fontsize=8)
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    fig.tight_layout(pad=0.3)
    return fig


def plot_arm_curves(curves: pd.DataFrame, erasing_from: Optional[int] = None, title: str = "",
                    colors: Optional[Mapping[str, Any]] = None):
    """Seed-mean test error (%) at the evaluated epochs and train loss per epoch, one line
    per arm (``curves``: columns ``arm, epoch, test_error, train_loss``), with a dotted line
    where erasing starts (after epoch ``erasing_from``). ``colors`` maps an arm to its colour
    (so that it keeps it across figures); arms not in it take the next colour of the cycle."""
    fig, axes = plt.subplots(1, 2, figsize=(WIDTH, 3.9), dpi=DPI)
    for arm, h in curves.groupby("arm", sort=False):
        e = h.dropna(subset=["test_error"])
        color = (colors or {}).get(arm)  # None: matplotlib's next colour, the same in both panels
        axes[0].plot(e.epoch, e.test_error, marker="o", ms=3, label=arm, color=color)
        axes[1].plot(h.epoch, h.train_loss, label=arm, color=color)
    for ax, label in zip(axes, ["test error (%), seed mean", "train loss (with the erased copies)"]):
        if erasing_from is not None:
            ax.axvline(erasing_from + 0.5, color="grey", ls=":", lw=1)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    err = curves.test_error.dropna()
    if len(err):  # the interesting range: from the best error to above the median (the first epochs are off the scale)
        lo, span = err.min(), max(err.median() - err.min(), 1.0)
        top = lo + 1.6 * span
        axes[0].set_ylim(lo - 0.1 * span, top)
        above = curves.dropna(subset=["test_error"]).query("test_error > @top")
        if len(above):  # say what the cut hides (at the bottom left, which the cut-off epochs leave empty)
            axes[0].text(0.02, 0.04, f"epochs {above.epoch.min()}-{above.epoch.max()}: up to "
                         f"{above.test_error.max():.0f}%, above the axis", transform=axes[0].transAxes,
                         va="bottom", ha="left", fontsize=7, color="0.35")
    loss = curves.train_loss.dropna()
    if len(loss) and loss.min() > 0 and loss.max() / loss.min() > 4:  # a log scale shows the late epochs too
        axes[1].set_yscale("log")
        axes[1].yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        axes[1].yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "25" else ""))
    handles, labels = axes[0].get_legend_handles_labels()  # below both panels: inside, it hides late epochs
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 3), fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    rows = -(-len(labels) // 3)
    fig.tight_layout(rect=(0, 0.045 * rows, 1, 1), pad=0.5)
    return fig
