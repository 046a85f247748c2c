"""Reliability diagrams (DeGroot & Fienberg, 1983; Guo et al., 2017, Fig. 1).

Per confidence bin, the accuracy of the top-1 prediction is plotted against the bin's mean
confidence; a calibrated model lies on the diagonal. ``reliability_table`` returns the
numbers, ``plot_reliability`` draws them with the per-bin sample counts on a twin axis and
the ECE in the title. Bins follow :mod:`.binning`: ``(lo, hi]``, first bin ``[0, hi]``.
"""
from __future__ import annotations

from typing import Optional

import pandas as pd
import torch

from .binning import bin_edges, bin_statistics, confidences_and_hits
from .ece import expected_calibration_error


def reliability_table(
    probs: torch.Tensor, labels: torch.Tensor, n_bins: int = 15, binning: str = "uniform"
) -> pd.DataFrame:
    """One row per bin: ``bin, lo, hi, count, accuracy, confidence, gap``.

    ``gap = confidence - accuracy`` (positive: over-confident). Empty bins keep their row
    with ``count = 0`` and NaN accuracy / confidence / gap, so the table always has
    ``n_bins`` rows; ``(table.count / table.count.sum() * table.gap.abs()).sum()`` is the ECE.

    Shape:
        probs (N, K), labels (N,) -> DataFrame with ``n_bins`` rows.

    Example:
        >>> probs = torch.tensor([[0.75, 0.25], [0.25, 0.75]])
        >>> t = reliability_table(probs, torch.tensor([0, 0]), n_bins=2)
        >>> t[["count", "accuracy", "confidence"]].values.tolist()
        [[0.0, nan, nan], [2.0, 0.5, 0.75]]
    """
    conf, hit = confidences_and_hits(probs, labels)
    conf, hit = conf.to(torch.float64), hit.to(torch.float64)
    edges = bin_edges(conf, n_bins, binning)
    count, acc, mean_conf = bin_statistics(conf, hit, edges)
    edges = edges.cpu().numpy()
    return pd.DataFrame(
        {
            "bin": range(n_bins),
            "lo": edges[:-1],
            "hi": edges[1:],
            "count": count.cpu().numpy(),
            "accuracy": acc.cpu().numpy(),
            "confidence": mean_conf.cpu().numpy(),
            "gap": (mean_conf - acc).cpu().numpy(),
        }
    )


def plot_reliability(
    ax,
    probs: torch.Tensor,
    labels: torch.Tensor,
    n_bins: int = 15,
    binning: str = "uniform",
    title: Optional[str] = None,
    show_counts: bool = True,
):
    """Draw a reliability diagram on a matplotlib ``ax`` and return it.

    Blue bars: accuracy per bin. Red hatched bars: the gap between accuracy and mean
    confidence (above the blue bar when over-confident, below its top when
    under-confident). Dashed diagonal: perfect calibration. Dark step outline on a twin y
    axis (right): number of samples per bin. The title ends with the ECE (l1, same bins).

    Args:
        ax: a matplotlib Axes.
        probs, labels: as in :func:`reliability_table`.
        title: text before the ECE; ``None`` gives just the ECE.
        show_counts: draw the bin-count histogram on the twin axis.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots()
        >>> _ = plot_reliability(ax, torch.softmax(torch.randn(100, 10), 1), torch.randint(0, 10, (100,)))
    """
    table = reliability_table(probs, labels, n_bins, binning)
    ece = expected_calibration_error(probs, labels, n_bins, binning)
    full = table[table["count"] > 0]
    width = (full.hi - full.lo).values
    ax.bar(full.lo, full.accuracy, width=width, align="edge", color="tab:blue",
           edgecolor="black", linewidth=0.5, label="accuracy", zorder=2)
    # gap bar spans accuracy -> confidence at the bin's position
    bottom = full[["accuracy", "confidence"]].min(axis=1)
    ax.bar(full.lo, full.gap.abs(), bottom=bottom, width=width, align="edge",
           color="tab:red", alpha=0.3, hatch="//", edgecolor="tab:red", label="gap", zorder=3)
    ax.plot([0, 1], [0, 1], "--", color="gray", linewidth=1, label="calibrated", zorder=4)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (top-1 probability)")
    ax.set_ylabel("accuracy")
    handles, names = ax.get_legend_handles_labels()
    if show_counts:
        # twin axis on top of the bars: an unfilled step outline stays readable over them
        twin = ax.twinx()
        line = twin.stairs(table["count"].values, list(table.lo) + [1.0], color="0.2",
                           linewidth=1.2, label="samples per bin (right axis)")
        twin.set_ylabel("samples per bin")
        twin.set_ylim(0, max(1, table["count"].max()) * 1.05)
        handles.append(line)
        names.append(line.get_label())
    prefix = f"{title} — " if title else ""
    ax.set_title(f"{prefix}ECE = {100 * ece:.2f}%")
    ax.legend(handles, names, loc="upper left", fontsize="small")
    return ax
