"""Reliability diagrams with the sample count of every bin (Guo et al., 2017, Fig. 1).

A panel is two stacked axes sharing the confidence axis: above, the accuracy of each
confidence bin (blue bars), the gap to the bin's mean confidence (red hatch: above the blue
bar when over-confident, inside it when under-confident) and the diagonal of perfect
calibration; below, the number of test images in each bin (log scale, exact counts written
on the bars), so a reader sees which bins carry the ECE. The title ends with the ECE.

Inputs are reliability tables (``simaug.calibration.reliability_table``: columns ``lo, hi,
count, accuracy, confidence``), so stored runs are drawn without their predictions.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.gridspec import GridSpec, GridSpecFromSubplotSpec

from ..calibration import reliability_table

DPI = 150


def table_ece(table: pd.DataFrame) -> float:
    """ECE of a reliability table: ``sum_m count_m / n * |accuracy_m - confidence_m|`` over
    non-empty bins (equals :func:`simaug.calibration.expected_calibration_error` on the same bins)."""
    full = table[table["count"] > 0]
    return float((full["count"] / table["count"].sum() * (full.accuracy - full.confidence).abs()).sum())


def draw_reliability(ax, table: pd.DataFrame, title: Optional[str] = None, ax_counts=None, ylabel: Optional[str] = "accuracy"):
    """Draw one reliability diagram from a table on ``ax`` (the ECE written in its upper-left
    corner) and, if given, the bin counts on ``ax_counts`` (the axis below). Returns ``ax``."""
    full = table[table["count"] > 0]
    width = (full.hi - full.lo).values
    ax.bar(full.lo, full.accuracy, width=width, align="edge", color="tab:blue", edgecolor="black", linewidth=0.4,
           label="accuracy", zorder=2)
    bottom = full[["accuracy", "confidence"]].min(axis=1)
    ax.bar(full.lo, (full.confidence - full.accuracy).abs(), bottom=bottom, width=width, align="edge", color="tab:red",
           alpha=0.3, hatch="//", edgecolor="tab:red", linewidth=0.4, label="gap to mean confidence", zorder=3)
    ax.plot([0, 1], [0, 1], "--", color="0.4", linewidth=1, label="perfect calibration", zorder=4)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xticks([0, 0.5, 1], ["0", "0.5", "1"])
    ax.grid(False)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=9)
    ax.text(0.03, 0.96, f"ECE {100 * table_ece(table):.2f}%", transform=ax.transAxes, ha="left", va="top", fontsize=9,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.5}, zorder=5)
    if title:
        ax.set_title(title, fontsize=9)
    if ax_counts is None:
        ax.set_xlabel("confidence (top-1 probability)")
        return ax
    ax.tick_params(labelbottom=False)
    counts = table["count"].to_numpy(dtype=float)
    ax_counts.bar(table.lo, np.where(counts > 0, counts, np.nan), width=(table.hi - table.lo).values, align="edge",
                  color="0.55", edgecolor="black", linewidth=0.4)
    ax_counts.set_yscale("log")
    ax_counts.set_ylim(0.8, max(1.0, counts.max()) * 40)
    for lo, hi, c in zip(table.lo, table.hi, counts):
        if c > 0:
            ax_counts.text((lo + hi) / 2, c * 1.3, f"{int(c)}", ha="center", va="bottom", rotation=90, fontsize=6.5)
    ax_counts.set_xlim(0, 1)
    ax_counts.set_xticks([0, 0.5, 1], ["0", "0.5", "1"])
    ax_counts.grid(False)
    ax_counts.set_xlabel("confidence", fontsize=9)
    if ylabel:
        ax_counts.set_ylabel("images", fontsize=8)
    return ax


def plot_reliability(ax, probs: torch.Tensor, labels: torch.Tensor, n_bins: int = 15, title: Optional[str] = None,
                     ax_counts=None):
    """Reliability diagram of predictions: ``probs`` (N, K) softmax outputs, ``labels`` (N,)."""
    return draw_reliability(ax, reliability_table(probs, labels, n_bins), title, ax_counts)


def plot_reliability_grid(tables: Dict[Tuple[str, str], pd.DataFrame], rows: Sequence[str], cols: Sequence[str],
                          width: float = 10.0):
    """A grid of reliability diagrams: ``tables[(row, col)]``; each cell holds the diagram and
    its bin counts below. Column titles above the first row, row names in the first column's
    axis label; missing cells stay empty. Returns the figure.

    Example (rows = before/after temperature scaling, columns = models)::

        plot_reliability_grid({("before", "wd 0"): t1, ("after", "wd 0"): t2}, ["before", "after"], ["wd 0"])
    """
    nr, nc = len(rows), len(cols)
    panel_w = width / nc
    fig = plt.figure(figsize=(width, nr * (panel_w * 1.1 + 0.5) + 0.6), dpi=DPI)
    outer = GridSpec(nr, nc, figure=fig, hspace=0.3, wspace=0.16)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            if (r, c) not in tables:
                continue
            inner = GridSpecFromSubplotSpec(2, 1, subplot_spec=outer[i, j], height_ratios=[3, 1], hspace=0.06)
            ax, ax_counts = fig.add_subplot(inner[0]), fig.add_subplot(inner[1])
            draw_reliability(ax, tables[(r, c)], title=c if i == 0 else None, ax_counts=ax_counts,
                             ylabel=f"{r}\naccuracy" if j == 0 else None)
            if j > 0:
                ax.tick_params(labelleft=False)
                ax_counts.tick_params(labelleft=False)
            if i < nr - 1:
                ax_counts.set_xlabel("")
    handles, names = fig.axes[0].get_legend_handles_labels() if fig.axes else ([], [])
    h = fig.get_figheight()
    if handles:
        fig.legend(handles, names, loc="lower center", ncol=3, frameon=False, fontsize=8, bbox_to_anchor=(0.5, 0.0))
    fig.subplots_adjust(top=1 - 0.35 / h, bottom=0.85 / h, left=0.09, right=0.99)
    return fig
