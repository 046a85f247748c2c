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


def draw_reliability(ax, table: pd.DataFrame, title: Optional[str] = None, ax_counts=None, ylabel: bool = True):
    """Draw one reliability diagram from a table on ``ax`` and, if given, the bin counts on
    ``ax_counts`` (the axis below). Returns ``ax``."""
    full = table[table["count"] > 0]
    width = (full.hi - full.lo).values
    ax.bar(full.lo, full.accuracy, width=width, align="edge", color="tab:blue", edgecolor="black", linewidth=0.4,
           label="accuracy", zorder=2)
    bottom = full[["accuracy", "confidence"]].min(axis=1)
    ax.bar(full.lo, (full.confidence - full.accuracy).abs(), bottom=bottom, width=width, align="edge", color="tab:red",
           alpha=0.3, hatch="//", edgecolor="tab:red", linewidth=0.4, label="gap to confidence", zorder=3)
    ax.plot([0, 1], [0, 1], "--", color="0.4", linewidth=1, label="calibrated", zorder=4)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.grid(False)
    if ylabel:
        ax.set_ylabel("accuracy")
    ece = table_ece(table)
    ax.set_title(f"{title} — ECE {100 * ece:.2f}%" if title else f"ECE {100 * ece:.2f}%", fontsize=9)
    if ax_counts is None:
        ax.set_xlabel("confidence (top-1 probability)")
        return ax
    ax.tick_params(labelbottom=False)
    counts = table["count"].to_numpy(dtype=float)
    ax_counts.bar(table.lo, np.where(counts > 0, counts, np.nan), width=(table.hi - table.lo).values, align="edge",
                  color="0.55", edgecolor="black", linewidth=0.4)
    ax_counts.set_yscale("log")
    top = max(1.0, counts.max())
    ax_counts.set_ylim(0.8, top * 30)
    for lo, hi, c in zip(table.lo, table.hi, counts):
        if c > 0:
            ax_counts.text((lo + hi) / 2, c * 1.3, f"{int(c)}", ha="center", va="bottom", rotation=90, fontsize=6.5)
    ax_counts.set_xlim(0, 1)
    ax_counts.grid(False)
    ax_counts.set_xlabel("confidence (top-1 probability)")
    if ylabel:
        ax_counts.set_ylabel("images")
    return ax


def plot_reliability(ax, probs: torch.Tensor, labels: torch.Tensor, n_bins: int = 15, title: Optional[str] = None,
                     ax_counts=None):
    """Reliability diagram of predictions: ``probs`` (N, K) softmax outputs, ``labels`` (N,)."""
    return draw_reliability(ax, reliability_table(probs, labels, n_bins), title, ax_counts)


def plot_reliability_grid(tables: Dict[Tuple[str, str], pd.DataFrame], rows: Sequence[str], cols: Sequence[str],
                          width: float = 10.0):
    """A grid of reliability diagrams: ``tables[(row, col)]``; each cell holds the diagram and
    its bin counts below. Missing cells stay empty. Returns the figure.

    Example (rows = before/after temperature scaling, columns = models)::

        plot_reliability_grid({("before", "wd 0"): t1, ("after", "wd 0"): t2}, ["before", "after"], ["wd 0"])
    """
    nr, nc = len(rows), len(cols)
    panel_w = width / nc
    fig = plt.figure(figsize=(width, nr * (panel_w * 1.05 + 0.55) + 0.3), dpi=DPI)
    outer = GridSpec(nr, nc, figure=fig, hspace=0.45, wspace=0.28)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            if (r, c) not in tables:
                continue
            inner = GridSpecFromSubplotSpec(2, 1, subplot_spec=outer[i, j], height_ratios=[3, 1], hspace=0.08)
            ax, ax_counts = fig.add_subplot(inner[0]), fig.add_subplot(inner[1])
            draw_reliability(ax, tables[(r, c)], title=f"{c}\n{r}", ax_counts=ax_counts, ylabel=j == 0)
            if j > 0:
                ax.tick_params(labelleft=False)
    handles, names = fig.axes[0].get_legend_handles_labels() if fig.axes else ([], [])
    if handles:
        fig.legend(handles, names, loc="upper center", ncol=3, frameon=False, bbox_to_anchor=(0.5, 1.0))
    fig.subplots_adjust(top=1 - 0.55 / fig.get_figheight(), bottom=0.6 / fig.get_figheight(), left=0.08, right=0.98)
    return fig
