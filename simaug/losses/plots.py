"""Figures for the confusion-rate loss (Lim & Kim, 2021): CR heatmaps (their Fig. 4), the CR
of the most confused pairs over epochs (Fig. 5, coyote / wolf), the share of re-weighted
samples over epochs (the HanDB failure mode: CM turns diagonal, CR vanishes) and a
Hangul-capable font for class names such as 강 / 감.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
import torch
from matplotlib import font_manager
from matplotlib.ticker import MaxNLocator

HANGUL_FONTS = ("/usr/share/fonts/truetype/nanum/NanumGothic.ttf", "/usr/share/fonts/truetype/nanum/NanumBarunGothic.ttf",
                "/usr/share/fonts/truetype/unfonts-core/UnDotum.ttf", "/usr/share/fonts/truetype/baekmuk/gulim.ttf")


def use_hangul_font() -> Optional[str]:
    """Put an installed Korean font behind the current sans-serif font (matplotlib falls back
    glyph by glyph), so Hangul labels render without "Glyph missing" warnings. Call after
    :func:`simaug.plots.use_book_style` (seaborn resets the fonts). Returns the family used."""
    for path in HANGUL_FONTS:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
            bold = Path(path).with_name(Path(path).stem + "Bold.ttf")  # bold titles without a fallback warning
            if bold.exists():
                font_manager.fontManager.addfont(str(bold))
            name = font_manager.FontProperties(fname=path).get_name()
            # a list of families makes matplotlib (>= 3.6) fall back glyph by glyph: Latin and
            # arrows from DejaVu Sans, Hangul from the Korean font
            matplotlib.rcParams["font.family"] = ["DejaVu Sans", name]
            # Nanum's bold face is registered at weight 600: matplotlib logs a harmless "bold not found"
            logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
            return name
    return None


def top_pairs(cm: torch.Tensor, n: int = 4) -> list[Tuple[int, int]]:
    """The ``n`` unordered class pairs ``(i, j)``, ``i < j``, confused most often (CM_ij + CM_ji)."""
    cm = torch.as_tensor(cm).double()
    both = torch.triu(cm + cm.T, diagonal=1)  # (K, K)
    idx = torch.argsort(both.flatten(), descending=True)[:n]
    return [divmod(int(i), cm.shape[1]) for i in idx if both.flatten()[i] > 0]


def plot_cr_heatmap(cr: torch.Tensor, classes: Sequence[str], ax=None, title: Optional[str] = None, annot: Optional[bool] = None):
    """Heatmap of a CR matrix (rows = true class i, columns = predicted j; CR_ij + CR_ji = 1
    for every confused pair, blank = never confused)."""
    cr = torch.as_tensor(cr).double()
    k = len(classes)
    if ax is None:
        size = max(4.0, 0.45 * k + 1.5)
        _, ax = plt.subplots(figsize=(size + 1, size))
    both = cr + cr.T
    mask = (both == 0).numpy()  # never confused (and the diagonal)
    sns.heatmap(cr.numpy(), mask=mask, annot=annot if annot is not None else k <= 12, fmt=".2f", cmap="coolwarm",
                vmin=0, vmax=1, center=0.5, square=True, xticklabels=classes, yticklabels=classes, ax=ax,
                annot_kws={"size": 6}, cbar_kws={"label": "CR_ij"})
    ax.set_xlabel("predicted class j")
    ax.set_ylabel("true class i")
    ax.set_title(title or "confusion rate")
    ax.tick_params(axis="x", rotation=90)
    ax.tick_params(axis="y", rotation=0)
    return ax


def plot_pair_trajectory(cr_histories: Dict[str, torch.Tensor], pairs: Sequence[Tuple[int, int]],
                         classes: Sequence[str], ax=None, title: Optional[str] = None):
    """``CR_ij`` over epochs for each pair (one colour per pair, one line style per run);
    0.5 is a perfectly mutual confusion (the paper's coyote / wolf moved from 0.53 to 0.50)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    styles = ["-", "--", ":", "-."]
    colours = sns.color_palette("tab10", len(pairs))
    for s, (label, h) in enumerate(cr_histories.items()):
        epochs = torch.arange(1, h.shape[0] + 1)
        for c, (i, j) in enumerate(pairs):
            ax.plot(epochs, h[:, i, j], styles[s % len(styles)], color=colours[c], marker="o", ms=3,
                    label=f"{classes[i]} → {classes[j]} ({label})")
    ax.axhline(0.5, color="grey", lw=0.8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, 1)
    ax.set_xlabel("epoch")
    ax.set_ylabel("CR_ij (share of the pair's confusions going i → j)")
    ax.set_title(title or "confusion rate of the most confused pairs")
    ax.legend(fontsize=7, ncol=2)
    return ax


def plot_weighting(history: pd.DataFrame, hue: str = "dataset", axes=None):
    """Per epoch, for CR runs: training accuracy, share of training samples the CR loss
    re-weighted (weight > 1) and their mean weight — lines per ``hue``, spread over seeds."""
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, (col, label) in zip(axes, [("train_acc", "training accuracy (running)"),
                                       ("cr_weighted_frac", "share of samples re-weighted"),
                                       ("cr_mean_weight", "mean loss weight 1 + k·H")]):
        sns.lineplot(history, x="epoch", y=col, hue=hue, marker="o", errorbar=("pi", 100), ax=ax)
        ax.set_ylabel(label)
        ax.set_title(label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].set_ylim(0, 1.02)
    axes[1].set_ylim(bottom=0)
    return axes


def plot_k_sweep(results: pd.DataFrame, ax=None, value: str = "test_acc", title: Optional[str] = None):
    """Final test accuracy (%) against k: one dot per seed, the line through the means."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.6))
    df = results.assign(acc=100 * results[value])
    sns.stripplot(df, x="k", y="acc", color="grey", size=5, ax=ax, native_scale=True)
    means = df.groupby("k").acc.mean()
    ax.plot(means.index, means.values, "-o", color="C3", label="mean over seeds")
    ax.set_xlabel("k (CR strength; 0 = plain cross-entropy)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title or "k sweep")
    ax.legend()
    return ax


def plot_glyphs(images: torch.Tensor, labels: torch.Tensor, classes: Sequence[str], ncols: int = 15):
    """A grid of grey glyph images with their class names as titles."""
    n = len(images)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * 0.8, nrows * 0.95))
    for ax in axes.flat:
        ax.axis("off")
    for ax, img, y in zip(axes.flat, images, labels):
        ax.imshow(img[0].numpy(), cmap="gray", vmin=0, vmax=255)
        ax.set_title(classes[int(y)], fontsize=10)
    fig.tight_layout()
    return fig
