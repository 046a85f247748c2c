"""Expected calibration error (Naeini et al., 2015; Guo et al., 2017, eq. 3).

``ECE = sum_m |B_m| / n * |acc(B_m) - conf(B_m)|`` over the confidence bins ``B_m`` of the
top-1 prediction. Bins are ``(lo, hi]`` with the first bin ``[0, hi]`` (so a confidence of
1.0 counts in the last bin) and empty bins are skipped; see :mod:`.binning`.

Norms (Kumar et al., 2019, "Verified uncertainty calibration"; torchmetrics' names):

* ``"l1"``: the ECE above;
* ``"l2"``: ``sqrt(sum_m |B_m|/n * gap_m^2)``, the root-mean-square calibration error;
* ``"max"``: ``max_m gap_m`` over non-empty bins, the maximum calibration error (MCE).
"""
from __future__ import annotations

import torch

from .binning import bin_edges, bin_statistics, confidences_and_hits

NORMS = ("l1", "l2", "max")


def expected_calibration_error(
    probs: torch.Tensor,
    labels: torch.Tensor,
    n_bins: int = 15,
    binning: str = "uniform",
    norm: str = "l1",
) -> float:
    """Calibration error of the top-1 confidence, in probability units (0 = calibrated).

    Args:
        probs: class probabilities (softmax outputs), rows sum to 1.
        labels: true class indices.
        n_bins: number of confidence bins (Guo et al. use 15).
        binning: ``"uniform"`` (equal width) or ``"quantile"`` (equal mass).
        norm: ``"l1"`` (ECE), ``"l2"`` (RMS calibration error) or ``"max"`` (MCE).

    Shape:
        probs (N, K), labels (N,) -> python float.

    Example:
        >>> probs = torch.tensor([[0.9, 0.1], [0.9, 0.1]])
        >>> round(expected_calibration_error(probs, torch.tensor([0, 1])), 4)  # conf .9, acc .5
        0.4
    """
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    conf, hit = confidences_and_hits(probs, labels)
    conf, hit = conf.to(torch.float64), hit.to(torch.float64)  # sums over 1e5 samples
    count, acc, mean_conf = bin_statistics(conf, hit, bin_edges(conf, n_bins, binning))
    keep = count > 0  # empty bins are skipped
    weight = count[keep].to(torch.float64) / conf.numel()
    gap = (acc[keep] - mean_conf[keep]).abs()
    if norm == "l1":
        return float((weight * gap).sum())
    if norm == "l2":
        return float((weight * gap**2).sum().sqrt())
    return float(gap.max())
