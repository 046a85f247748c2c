"""Figures of chapter 01 (SPEC §01): the paper's Fig. 2 (D's and G's adversarial losses over
stage 2, train in blue and held-out in orange), Fig. 3 (G's inputs above its outputs), θ's
distance from the identity over steps (the number behind "G collapses"), and the final test
accuracy of each arm.

Image grids are drawn without grid lines, at 150 dpi and at most 10 inches wide.
"""
from __future__ import annotations

import math
from typing import Dict, Optional, Sequence

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullLocator

from ..stn.diagnostics import NEAR_IDENTITY
from ..stn.stages import STNSnapshots

DPI = 150
MAX_WIDTH = 10.0  # inches


def _hwc(img):
    """(C, H, W) tensor in [0, 1] -> array for imshow (grey for C = 1)."""
    arr = img.permute(1, 2, 0).numpy()
    return arr[..., 0] if arr.shape[-1] == 1 else arr


def plot_stn_grid(snapshots: STNSnapshots, steps: Optional[Sequence[int]] = None, n: int = 8,
                  titles: Optional[Sequence[str]] = None, scale: float = 1.1):
    """Inputs (top row) and G's outputs at chosen steps (one row per step).

    Args:
        snapshots: from ``train_augmenter(..., snapshot_images=...)``.
        steps: which stored steps to show (default: all); each must be in ``snapshots.steps``.
        n: images per row (at most K).
        titles: optional column titles (e.g. class names), length >= n.

    Returns:
        matplotlib Figure with (1 + len(steps)) x n axes.
    """
    steps = list(snapshots.steps if steps is None else steps)
    unknown = [s for s in steps if s not in snapshots.steps]
    if unknown:
        raise ValueError(f"steps {unknown} were not stored; stored steps are {snapshots.steps}")
    n = min(n, snapshots.inputs.shape[0])
    rows = [("input", snapshots.inputs[:n].float() / 255.0)]
    rows += [(f"step {s}", snapshots.images(snapshots.steps.index(s))[:n]) for s in steps]
    return _image_rows_figure(rows, n, scale, titles)


def plot_arm_grid(snapshots: Dict[str, STNSnapshots], n: int = 8, titles: Optional[Sequence[str]] = None,
                  scale: float = 1.0):
    """The same images through several augmenters: inputs on top, then one row per arm
    showing its G's output at the last stored step.

    Args:
        snapshots: ``{arm name: STNSnapshots}`` of the same ``snapshot_images``.
        n: images per row; titles: optional column titles (e.g. class names).

    Returns:
        matplotlib Figure with (1 + len(snapshots)) x n axes.
    """
    if not snapshots:
        raise ValueError("no snapshots to plot")
    first = next(iter(snapshots.values()))
    n = min(n, first.inputs.shape[0])
    rows = [("input", first.inputs[:n].float() / 255.0)]
    rows += [(f"{arm}\nstep {s.steps[-1]}", s.images(len(s.steps) - 1)[:n]) for arm, s in snapshots.items()]
    return _image_rows_figure(rows, n, scale, titles)


def _image_rows_figure(rows, n: int, scale: float, titles=None):
    """One labelled row of ``n`` images (float in [0, 1], (C, H, W)) per ``(label, images)``."""
    width = min(scale * (n + 0.6), MAX_WIDTH)
    cell = width / (n + 0.6)
    fig, axes = plt.subplots(len(rows), n, figsize=(width, cell * len(rows) + (0.25 if titles is not None else 0)),
                             squeeze=False, dpi=DPI)
    cmap = "gray" if rows[0][1].shape[1] == 1 else None
    for r, (label, imgs) in enumerate(rows):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(_hwc(imgs[c]), cmap=cmap, vmin=0, vmax=1)
            ax.grid(False)
            ax.set_xticks([]), ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
            if r == 0 and titles is not None:
                ax.set_title(str(titles[c]), fontsize=8, fontweight="normal")
    fig.tight_layout(pad=0.3, h_pad=0.2, w_pad=0.2)
    return fig


def plot_stage1(history: pd.DataFrame, by_seed: bool = True):
    """The stage-1 classifier's training curves (``simaug.plots.plot_training_curves``, one line
    per seed when ``by_seed`` and the history holds several), at this module's dpi."""
    from .curves import plot_training_curves

    hue = "seed" if by_seed and "seed" in history and history["seed"].nunique() > 1 else None
    fig = plot_training_curves(history, hue=hue)
    fig.set_dpi(DPI)
    fig.set_size_inches(min(fig.get_size_inches()[0], MAX_WIDTH), fig.get_size_inches()[1])
    return fig


def plot_adversarial_curves(history: pd.DataFrame, g_column: str = "loss_g_adv", axes=None):
    """Fig. 2: D's loss and G's adversarial term against the step, train (blue) and the
    ``test_`` columns (orange) when present.

    Args:
        history: ``train_augmenter(...).history`` of a variant with a discriminator.
        g_column: G's curve, "loss_g_adv" (the paper's adversarial term) or "loss_g" (total).
        axes: optional two matplotlib Axes.

    Returns:
        matplotlib Figure.
    """
    for col in ("step", "loss_d", g_column):
        if col not in history:
            raise ValueError(f"history has no column {col!r}; pass train_augmenter(...).history")
    if history["loss_d"].isna().all():
        raise ValueError("this history has no discriminator (variant without D): nothing to plot")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.2), dpi=DPI)
    fig = axes[0].figure
    for ax, col, title in zip(axes, ("loss_d", g_column), ("discriminator loss", f"augmenter {g_column}")):
        ax.plot(history["step"], history[col], color="tab:blue", label="train")
        if "test_" + col in history:
            ax.plot(history["step"], history["test_" + col], color="tab:orange", label="held-out")
        ax.set_xlabel("stage-2 step"), ax.set_title(title), ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_adversarial_by_arm(histories: Dict[str, pd.DataFrame]):
    """Fig. 2 for several arms: one row per arm (D's loss, G's term log(1 - D(G(x)))); dotted:
    2 ln 2, the loss of a D that cannot tell real from warped."""
    arms = [a for a, h in histories.items() if "loss_d" in h and h["loss_d"].notna().any()]
    if not arms:
        raise ValueError("none of these arms trains a discriminator: nothing to plot")
    fig, axes = plt.subplots(len(arms), 2, figsize=(MAX_WIDTH, 2.6 * len(arms)), squeeze=False, dpi=DPI)
    for row, arm in zip(axes, arms):
        plot_adversarial_curves(histories[arm], axes=row)
        row[0].axhline(2 * math.log(2), color="grey", ls=":", lw=1)  # a D that cannot tell real from warped
        row[0].set_title(f"{arm}: discriminator loss"), row[1].set_title(f"{arm}: G's term log(1 - D(G(x)))")
    fig.tight_layout()
    return fig


def plot_theta_diagnostics(history: pd.DataFrame, ax=None):
    """|θ - I|_F and the classifier's entropy on G(x) (bits, right axis) against the step."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2), dpi=DPI)
    ax.plot(history["step"], history["theta_dist"], color="tab:green", label="|θ - I|_F")
    ax.set_xlabel("stage-2 step"), ax.set_ylabel("|θ - I|_F")
    right = ax.twinx()
    right.grid(False)
    right.plot(history["step"], history["entropy_aug"], color="tab:red", label="H(C(G(x))) bits")
    right.plot(history["step"], history["entropy_orig"], color="tab:red", ls=":", label="H(C(x)) bits")
    right.set_ylabel("entropy (bits)")
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles=handles, fontsize=8)
    ax.figure.tight_layout()
    return ax.figure


THETA_TICKS = (0, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5)
STAGE2_PANELS = (("test_theta_dist", "|θ - I|_F"), ("test_entropy_gain", "entropy gain (bits)"),
                 ("test_acc_aug", "accuracy of C on G(x)"))


def plot_stage2_panels(history: pd.DataFrame, arms: Optional[Sequence[str]] = None):
    """What G learned, per arm (mean over seeds, held-out batch): θ's distance from the
    identity (symlog, dotted: the near-identity threshold), the entropy G adds, and C's
    accuracy on G(x).

    Args:
        history: long frame with ``step``, ``arm`` and the ``test_`` columns of the stage-2
            history (one row per arm, seed and logged step); ``test_entropy_gain`` is added if absent.
    """
    h = history.copy()
    if "test_entropy_gain" not in h:
        h["test_entropy_gain"] = h["test_entropy_aug"] - h["test_entropy_orig"]
    arms = list(arms) if arms is not None else list(dict.fromkeys(h["arm"]))
    fig, axes = plt.subplots(1, 3, figsize=(MAX_WIDTH, 3.3), dpi=DPI)
    styles = ["-", "--", "-.", ":"] * 3
    for ax, (col, label) in zip(axes, STAGE2_PANELS):
        mean = h.pivot_table(index="step", columns="arm", values=col)
        for arm, style in zip(arms, styles):
            if arm in mean:
                ax.plot(mean.index, mean[arm], style, label=arm)
        ax.set_xlabel("stage-2 step"), ax.set_ylabel(label)
    axes[0].axhline(NEAR_IDENTITY, color="grey", ls=":", lw=1)
    axes[0].set_yscale("symlog", linthresh=0.1)
    top = max(float(h["test_theta_dist"].max()), 2 * NEAR_IDENTITY)
    axes[0].set_ylim(0, top * 1.15)
    axes[0].yaxis.set_major_locator(FixedLocator([t for t in THETA_TICKS if t <= top * 1.15]))
    axes[0].yaxis.set_major_formatter(FormatStrFormatter("%g"))
    axes[0].yaxis.set_minor_locator(NullLocator())
    axes[-1].legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def plot_arm_accuracy(finals: pd.DataFrame, stage1_acc: Optional[float] = None, arms: Optional[Sequence[str]] = None):
    """Final test accuracy per arm: dots are seeds, bars the mean; dashed: the stage-1
    classifier every arm starts from.

    Args:
        finals: one row per run with columns ``arm``, ``seed``, ``test_acc``.
        stage1_acc: mean test accuracy after stage 1 (optional reference line).
    """
    arms = list(arms) if arms is not None else list(dict.fromkeys(finals["arm"]))
    fig, ax = plt.subplots(figsize=(min(1.1 * len(arms) + 2, MAX_WIDTH), 3.4), dpi=DPI)
    means = finals.groupby("arm").test_acc.mean().reindex(arms)
    ax.bar(range(len(arms)), means.values, color="lightsteelblue")
    for i, arm in enumerate(arms):
        v = finals[finals.arm == arm].test_acc
        ax.plot([i] * len(v), v, "o", color="navy", ms=4)
    if stage1_acc is not None:
        ax.axhline(stage1_acc, color="grey", ls="--", lw=1, label="after stage 1")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_xticks(range(len(arms)), arms, rotation=20)
    ax.set_ylabel("test accuracy")
    lo, hi = finals.test_acc.min(), finals.test_acc.max()
    if stage1_acc is not None:
        lo, hi = min(lo, stage1_acc), max(hi, stage1_acc)
    pad = max(hi - lo, 0.005)
    ax.set_ylim(lo - 1.5 * pad, hi + pad)
    fig.tight_layout()
    return fig


__all__ = ["plot_stage1", "plot_stn_grid", "plot_arm_grid", "plot_adversarial_curves", "plot_adversarial_by_arm",
           "plot_theta_diagnostics", "plot_stage2_panels", "plot_arm_accuracy"]
