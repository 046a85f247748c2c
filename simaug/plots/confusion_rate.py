"""Figures for the confusion-rate loss (Lim & Kim, 2021; chapter 00).

CR heatmaps (their Fig. 4), the CR of the most confused pairs over epochs (Fig. 5, coyote /
wolf), the share of the loss the CR weighting acts on over training (the HanDB failure mode:
the confusion matrix turns diagonal and CR vanishes), training curves with sparse test
evaluations, block confusion matrices for the 45 Hangul classes, the k sweep, and a
Hangul-capable font for class names such as 강 / 감. Every figure is at most 10 inches wide
and drawn at :data:`DPI` or more.

The functions take plain arrays and data frames (computed by
:mod:`simaug.studies.confusion_rate` from stored runs); they train nothing.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import font_manager
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

DPI = 150  # the book's minimum; a higher rcParams["figure.dpi"] wins
HANGUL_FONTS = ("/usr/share/fonts/truetype/nanum/NanumGothic.ttf", "/usr/share/fonts/truetype/nanum/NanumBarunGothic.ttf",
                "/usr/share/fonts/truetype/unfonts-core/UnDotum.ttf", "/usr/share/fonts/truetype/baekmuk/gulim.ttf")
ARM_COLOURS = {"cross-entropy": "C0", "CR": "C3", "PC": "C2"}

__all__ = ["use_hangul_font", "plot_arm_curves", "plot_confusion_blocks", "plot_confusion_panels", "plot_cr_heatmaps", "plot_cr_heatmap",
           "plot_pair_trajectories", "plot_weighting", "plot_k_sweep", "plot_glyphs"]


def _dpi() -> float:
    return max(DPI, float(matplotlib.rcParams["figure.dpi"]))


def use_hangul_font() -> Optional[str]:
    """Put an installed Korean font behind the current sans-serif font (matplotlib falls back
    glyph by glyph), so Hangul labels render without "Glyph missing" warnings. Call after
    :func:`simaug.plots.use_book_style` (seaborn resets the fonts). Returns the family used,
    or ``None`` when no Korean font is installed."""
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


def plot_arm_curves(history: pd.DataFrame, title: str = "", width: float = 10.0):
    """Loss and accuracy per epoch, one colour per arm; training (running, solid line, band =
    range over seeds) and test (dashed, markers at the evaluated epochs only).

    Args:
        history: one row per (run, epoch) with ``arm``, ``seed``, ``epoch``, ``train_loss``,
            ``train_acc`` and ``test_loss`` / ``test_acc`` (NaN between evaluations).
    Returns the figure.
    """
    fig, axes = plt.subplots(1, 2, figsize=(width, width * 0.36), dpi=_dpi())
    arms = list(dict.fromkeys(history["arm"]))
    palette = {a: ARM_COLOURS.get(a, f"C{i + 4}") for i, a in enumerate(arms)}
    for ax, metric, label in zip(axes, ("loss", "acc"), ("loss (train: the arm's own objective)", "accuracy")):
        train = history.dropna(subset=[f"train_{metric}"])
        sns.lineplot(train, x="epoch", y=f"train_{metric}", hue="arm", palette=palette, errorbar=("pi", 100), ax=ax, legend=False)
        if f"test_{metric}" in history:
            test = history.dropna(subset=[f"test_{metric}"])
            sns.lineplot(test, x="epoch", y=f"test_{metric}", hue="arm", palette=palette, errorbar=("pi", 100), ax=ax,
                         linestyle="--", marker="o", markersize=4, legend=False)
        ax.set_ylabel(label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    handles = [Line2D([], [], color=palette[a], label=a) for a in arms]
    handles += [Line2D([], [], color="grey", label="train (running)"), Line2D([], [], color="grey", ls="--", marker="o", ms=4, label="test")]
    axes[1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def plot_confusion_blocks(cm: np.ndarray, classes: Sequence[str], groups: Sequence[Sequence[int]] = (), title: str = "",
                          diverging: bool = False, ax=None, width: float = 8.5, annot: Optional[bool] = None, label: str = ""):
    """Heatmap of a (row-normalised) confusion matrix or of a difference of two, with the
    confusable groups outlined along the diagonal.

    Args:
        cm: (K, K) values to show (e.g. the seed mean of row-normalised matrices, in %).
        groups: class-index groups (consecutive indices) to outline; () for none.
        diverging: a difference (centred at 0, blue-red) instead of a rate (0 up, blues).
        annot: write the values in the cells (default: when K <= 12).
    Returns the axes.
    """
    cm = np.asarray(cm, dtype=float)
    k = len(classes)
    if ax is None:
        _, ax = plt.subplots(figsize=(width, width * 0.9), dpi=_dpi())
    annot = k <= 12 if annot is None else annot
    if diverging:
        lim = float(np.nanmax(np.abs(cm))) or 1.0
        kw = dict(cmap="RdBu_r", vmin=-lim, vmax=lim)  # symmetric limits: white at 0
    else:
        kw = dict(cmap="Blues", vmin=0.0)
    sns.heatmap(cm, annot=annot, fmt=".1f" if diverging else ".0f", annot_kws={"size": 7}, square=True, xticklabels=list(classes),
                yticklabels=list(classes), ax=ax, linewidths=0, cbar_kws={"label": label, "shrink": 0.8}, **kw)
    for g in groups:
        lo, hi = min(g), max(g) + 1
        ax.add_patch(matplotlib.patches.Rectangle((lo, lo), hi - lo, hi - lo, fill=False, lw=0.9, ec="black"))
    size = 9 if k <= 12 else 8
    short = all(len(str(c)) <= 2 for c in classes)  # single syllables stay upright (a rotated 강 is unreadable)
    ax.tick_params(axis="x", rotation=0 if short else 90, labelsize=size, length=0)
    ax.tick_params(axis="y", rotation=0, labelsize=size, length=0)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    return ax


def plot_confusion_panels(mats: Dict[str, np.ndarray], classes: Sequence[str], groups: Sequence[Sequence[int]] = (),
                          width: float = 10.0) -> list:
    """A rate matrix and a difference matrix (``{title: (K, K)}``, the first a rate in %, the
    rest differences in points). Up to 12 classes: one figure, panels side by side, values
    written in the cells; more classes (the 45 Hangul syllables): one figure per matrix,
    ``0.95 * width`` wide, so each class label stays legible. Returns the list of figures."""
    k = len(classes)
    items = list(mats.items())
    if k <= 12:
        fig, axes = plt.subplots(1, len(items), figsize=(width, width / len(items) * 0.9), dpi=_dpi())
        for i, (ax, (title, m)) in enumerate(zip(np.atleast_1d(axes), items)):
            plot_confusion_blocks(m, classes, groups, title=title, diverging=i > 0, ax=ax, label="points" if i else "%")
            ax.title.set_fontsize(9)
        fig.tight_layout()
        return [fig]
    figs = []
    for i, (title, m) in enumerate(items):
        ax = plot_confusion_blocks(m, classes, groups, title=title, diverging=i > 0, width=0.95 * width, label="points" if i else "%")
        ax.figure.tight_layout()
        figs.append(ax.figure)
    return figs


def plot_cr_heatmap(cr: np.ndarray, classes: Sequence[str], ax=None, title: Optional[str] = None, annot: Optional[bool] = None):
    """Heatmap of a CR matrix (rows = true class i, columns = predicted j; CR_ij + CR_ji = 1
    for every confused pair, blank = never confused). Returns the axes."""
    cr = np.asarray(cr, dtype=float)
    k = len(classes)
    if ax is None:
        size = min(9.0, max(4.0, 0.45 * k + 1.5))
        _, ax = plt.subplots(figsize=(size + 1, size), dpi=_dpi())
    mask = (cr + cr.T) == 0  # never confused (and the diagonal)
    sns.heatmap(cr, mask=mask, annot=annot if annot is not None else k <= 12, fmt=".2f", cmap="coolwarm",
                vmin=0, vmax=1, square=True, xticklabels=list(classes), yticklabels=list(classes), ax=ax,
                annot_kws={"size": 6.5}, cbar_kws={"label": "CR_ij", "shrink": 0.8})
    ax.set_xlabel("predicted class j")
    ax.set_ylabel("true class i")
    ax.set_title(title or "confusion rate")
    ax.tick_params(axis="x", rotation=90, labelsize=8, length=0)
    ax.tick_params(axis="y", rotation=0, labelsize=8, length=0)
    return ax


def plot_cr_heatmaps(crs: Dict[str, np.ndarray], classes: Sequence[str], width: float = 10.0):
    """Several CR matrices side by side (e.g. after the first and the last epoch). Returns the figure."""
    n = len(crs)
    fig, axes = plt.subplots(1, n, figsize=(width, width / n * 0.92), dpi=_dpi())
    for ax, (title, cr) in zip(np.atleast_1d(axes), crs.items()):
        plot_cr_heatmap(cr, classes, ax=ax, title=title)
    fig.tight_layout()
    return fig


def plot_pair_trajectories(panels: Dict[str, Tuple[Dict[str, np.ndarray], Sequence[Tuple[int, int]], Sequence[str]]],
                           width: float = 10.0):
    """``CR_ij`` over epochs of a few class pairs, one panel per data set.

    Args:
        panels: ``{title: (histories, pairs, classes)}`` with ``histories`` = ``{run label:
            CR per epoch (E, K, K)}`` (one line style per run), ``pairs`` = ``[(i, j), ...]``
            (one colour per pair). 0.5 is a perfectly mutual confusion (the paper's coyote / wolf
            moved from 0.53 to 0.50).
    Returns the figure.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(width, 3.9), dpi=_dpi(), squeeze=False)
    styles = ["-", "--", ":", "-."]
    for ax, (title, (hists, pairs, classes)) in zip(axes[0], panels.items()):
        colours = sns.color_palette("tab10", max(len(pairs), 1))
        for s, (label, h) in enumerate(hists.items()):
            h = np.asarray(h)
            epochs = np.arange(1, h.shape[0] + 1)
            for c, (i, j) in enumerate(pairs):
                ax.plot(epochs, h[:, i, j], styles[s % len(styles)], color=colours[c], lw=1.3)
        ax.axhline(0.5, color="grey", lw=0.8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(-0.03, 1.03)  # lines at exactly 0 or 1 (one-sided confusions) stay visible
        ax.set_xlabel("epoch")
        ax.set_title(title, fontsize=10)
        handles = [Line2D([], [], color=colours[c], label=f"{classes[i]} → {classes[j]}") for c, (i, j) in enumerate(pairs)]
        handles += [Line2D([], [], color="grey", ls=styles[s % len(styles)], label=label) for s, label in enumerate(hists)]
        ax.legend(handles=handles, fontsize=7.5, ncol=2, loc="best", frameon=True, framealpha=0.85)
    axes[0][0].set_ylabel("CR_ij (share of the pair's\nconfusions going i → j)")
    fig.tight_layout()
    return fig


WEIGHTING_PANELS = (("train_acc", "training accuracy (running)"),
                    ("cr_weighted_frac", "share of samples re-weighted"),
                    ("cr_loss_share", "share of the loss from re-weighting"))


def plot_weighting(history: pd.DataFrame, hue: str = "dataset", width: float = 10.0):
    """Per epoch, for CR runs: training accuracy, share of training samples the CR loss
    re-weighted (weight > 1) and the share of the CR objective that the extra weight adds
    (``sum (w - 1) CE / sum w CE``); lines per ``hue``, band = range over seeds. Returns the figure."""
    fig, axes = plt.subplots(1, len(WEIGHTING_PANELS), figsize=(width, width * 0.3), dpi=_dpi())
    for i, (ax, (col, label)) in enumerate(zip(axes, WEIGHTING_PANELS)):
        sns.lineplot(history, x="epoch", y=col, hue=hue, marker="o", markersize=3, errorbar=("pi", 100), ax=ax, legend=i == 0)
        ax.set_ylabel("")
        ax.set_title(label, fontsize=10)
        ax.set_ylim(0, 1.02)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if axes[0].get_legend() is not None:
        axes[0].legend(fontsize=8, loc="best", title=None)
    fig.tight_layout()
    return fig


def plot_k_sweep(results: pd.DataFrame, title: Optional[str] = None, width: float = 6.0):
    """Final test accuracy (%) against k: one grey dot per seed, the line through the means.

    Args:
        results: one row per run with ``k`` and ``test_acc`` (a fraction).
    Returns the figure.
    """
    fig, ax = plt.subplots(figsize=(width, width * 0.6), dpi=_dpi())
    df = results.assign(acc=100 * results["test_acc"])
    ax.scatter(df["k"], df["acc"], color="grey", s=16, zorder=2, label="one seed")
    means = df.groupby("k").acc.mean()
    ax.plot(means.index, means.values, "-o", color="C3", zorder=3, label="mean over seeds")
    ax.set_xticks(list(means.index))
    ax.set_xlabel("k (CR strength; 0 = plain cross-entropy)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title or "k sweep", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_glyphs(images: np.ndarray, labels: Sequence[int], classes: Sequence[str], ncols: int = 15, width: float = 10.0):
    """A grid of grey glyph images (N, 1, H, W) with their class names as titles. Returns the figure."""
    images = np.asarray(images)
    n = len(images)
    nrows = -(-n // ncols)
    cell = width / ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, nrows * cell * 1.25), dpi=_dpi(), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, img, y in zip(axes.flat, images, labels):
        ax.imshow(img[0], cmap="gray", vmin=0, vmax=255)
        ax.set_title(classes[int(y)], fontsize=10, pad=2)
    fig.tight_layout(pad=0.3)
    return fig
