"""Confidence bins shared by the ECE and the reliability diagram (Guo et al., 2017, §2).

Bin convention (libraries disagree, see torchmetrics issue 3510): with edges
``0 = e_0 < e_1 < ... < e_M = 1`` bin ``m`` holds the confidences in ``(e_{m-1}, e_m]``,
except the first bin, which is closed on both sides, ``[0, e_1]``. A confidence of exactly
1.0 therefore lands in the last bin and a confidence of exactly an inner edge lands in the
bin *below* that edge. ``"uniform"`` edges split [0, 1] into M equal widths (Guo et al.);
``"quantile"`` edges are the empirical quantiles of the confidences, so every bin holds
about N / M samples (equal-mass binning, Nixon et al., 2019). Empty bins are possible
(uniform bins above the highest confidence, tied quantile edges) and are skipped by the ECE.
"""
from __future__ import annotations

import torch

BINNINGS = ("uniform", "quantile")


def confidences_and_hits(probs: torch.Tensor, labels: torch.Tensor):
    """Top-1 confidence and correctness of each row.

    Args:
        probs: class probabilities, rows sum to 1.
        labels: integer class indices.

    Shape:
        probs (N, K), labels (N,) -> confidence (N,) float, hit (N,) float in {0, 1}.
    """
    if not torch.is_tensor(probs) or not torch.is_tensor(labels):
        raise TypeError("probs and labels must be torch tensors; wrap arrays in torch.as_tensor")
    if probs.ndim != 2:
        raise ValueError(
            f"probs must have shape (N, K), got {tuple(probs.shape)}; for Monte Carlo samples "
            "(S, N, K) average over the first axis first (probs.mean(0))"
        )
    if labels.shape != probs.shape[:1]:
        raise ValueError(f"labels must have shape ({probs.shape[0]},), got {tuple(labels.shape)}")
    if labels.dtype.is_floating_point or labels.dtype == torch.bool:
        raise TypeError(f"labels must be an integer tensor, got {labels.dtype}")
    if probs.shape[0] == 0:
        raise ValueError("probs is empty; need at least one sample")
    if not probs.dtype.is_floating_point:
        raise TypeError(f"probs must be floating point, got {probs.dtype}")
    if probs.min() < 0 or probs.max() > 1:
        raise ValueError("probs must lie in [0, 1]; pass softmax(logits), not logits")
    conf, pred = probs.max(dim=1)
    hit = (pred == labels.to(pred.device)).to(probs.dtype)
    return conf, hit


def bin_edges(conf: torch.Tensor, n_bins: int = 15, binning: str = "uniform") -> torch.Tensor:
    """``n_bins + 1`` increasing edges from 0 to 1.

    Shape:
        conf (N,) -> edges (n_bins + 1,), same dtype and device as ``conf``.

    Example:
        >>> bin_edges(torch.tensor([0.2, 0.9]), n_bins=4)
        tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    if not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive int, got {n_bins!r}")
    if binning == "uniform":
        return torch.linspace(0, 1, n_bins + 1, dtype=conf.dtype, device=conf.device)
    if binning == "quantile":
        q = torch.linspace(0, 1, n_bins + 1, dtype=torch.float64, device=conf.device)
        edges = torch.quantile(conf.to(torch.float64), q).to(conf.dtype)
        edges[0], edges[-1] = 0.0, 1.0  # cover the whole unit interval
        return edges
    raise ValueError(f"binning must be one of {BINNINGS}, got {binning!r}")


def assign_bins(conf: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
    """Bin index of each confidence under the ``(lo, hi]`` / first-bin-closed rule.

    Shape:
        conf (N,), edges (M + 1,) -> index (N,) int64 in [0, M).

    Example:
        >>> assign_bins(torch.tensor([0.0, 0.5, 0.51, 1.0]), torch.tensor([0.0, 0.5, 1.0]))
        tensor([0, 0, 1, 1])
    """
    # bucketize(right=False) gives i with inner[i-1] < x <= inner[i]: exactly (lo, hi].
    inner = edges[1:-1].contiguous()
    return torch.bucketize(conf, inner, right=False)


def bin_statistics(conf: torch.Tensor, hit: torch.Tensor, edges: torch.Tensor):
    """Per-bin sample count, accuracy and mean confidence (NaN for empty bins).

    Shape:
        conf (N,), hit (N,), edges (M + 1,) -> count (M,) int64, accuracy (M,), confidence (M,).
    """
    n_bins = edges.numel() - 1
    idx = assign_bins(conf, edges)
    count = torch.bincount(idx, minlength=n_bins)
    # scatter-add sums per bin in one pass; divide after, empty bins become 0/0 = NaN
    acc_sum = torch.zeros(n_bins, dtype=conf.dtype, device=conf.device).index_add_(0, idx, hit)
    conf_sum = torch.zeros(n_bins, dtype=conf.dtype, device=conf.device).index_add_(0, idx, conf)
    denom = count.to(conf.dtype)
    return count, acc_sum / denom, conf_sum / denom
