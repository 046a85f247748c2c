"""Figures of stage 2 (SPEC §01): the paper's Fig. 2 (D's and G's adversarial losses over
training, train in blue and held-out in orange) and Fig. 3 (G's inputs above its outputs),
plus θ's distance from the identity over steps, the number that shows the collapse.

matplotlib is imported inside the functions so ``import simaug.stn`` stays light.
"""
from __future__ import annotations

from typing import Optional, Sequence

import pandas as pd

from .stages import STNSnapshots


def _hwc(img):
    """(C, H, W) tensor in [0, 1] -> array for imshow (grey for C = 1)."""
    arr = img.permute(1, 2, 0).numpy()
    return arr[..., 0] if arr.shape[-1] == 1 else arr


def plot_stn_grid(
    snapshots: STNSnapshots,
    steps: Optional[Sequence[int]] = None,
    n: int = 8,
    titles: Optional[Sequence[str]] = None,
    scale: float = 1.2,
):
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
    import matplotlib.pyplot as plt

    for col in ("step", "loss_d", g_column):
        if col not in history:
            raise ValueError(f"history has no column {col!r}; pass train_augmenter(...).history")
    if history["loss_d"].isna().all():
        raise ValueError("this history has no discriminator (variant without D): nothing to plot")
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    fig = axes[0].figure
    for ax, col, title in zip(axes, ("loss_d", g_column), ("discriminator loss", f"augmenter {g_column}")):
        ax.plot(history["step"], history[col], color="tab:blue", label="train")
        if "test_" + col in history:
            ax.plot(history["step"], history["test_" + col], color="tab:orange", label="test")
        ax.set_xlabel("stage-2 step"), ax.set_title(title), ax.legend()
    fig.tight_layout()
    return fig


def plot_theta_diagnostics(history: pd.DataFrame, ax=None):
    """|θ - I|_F and the classifier's entropy on G(x) (bits, right axis) against the step."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(history["step"], history["theta_dist"], color="tab:green", label="|θ - I|_F")
    ax.set_xlabel("stage-2 step"), ax.set_ylabel("|θ - I|_F")
    right = ax.twinx()
    right.plot(history["step"], history["entropy_aug"], color="tab:red", label="H(C(G(x))) bits")
    right.plot(history["step"], history["entropy_orig"], color="tab:red", ls=":", label="H(C(x)) bits")
    right.set_ylabel("entropy (bits)")
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles=handles, fontsize=8)
    ax.figure.tight_layout()
    return ax.figure


def plot_arm_grid(snapshots: dict, n: int = 8, titles: Optional[Sequence[str]] = None, scale: float = 1.1):
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
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(rows), n, figsize=(scale * n, scale * len(rows)), squeeze=False)
    cmap = "gray" if rows[0][1].shape[1] == 1 else None
    for r, (label, imgs) in enumerate(rows):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(_hwc(imgs[c]), cmap=cmap, vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
            if r == 0 and titles is not None:
                ax.set_title(str(titles[c]), fontsize=8)
    fig.tight_layout()
    return fig
