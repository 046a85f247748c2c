"""Reliability diagrams (DeGroot & Fienberg, 1983; Guo et al., 2017, Fig. 1).

Per confidence bin, the accuracy of the top-1 prediction is plotted against the bin's mean
confidence; a calibrated model lies on the diagonal. ``reliability_table`` returns the
numbers (with the sample count of every bin); :func:`simaug.plots.calibration.plot_reliability`
draws them. Bins follow :mod:`.binning`: ``(lo, hi]``, first bin ``[0, hi]``.
"""
from __future__ import annotations

import pandas as pd
import torch

from .binning import bin_edges, bin_statistics, confidences_and_hits


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
