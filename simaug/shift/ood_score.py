"""Out-of-distribution detection scores and the AUROC (Hendrycks & Gimpel, 2017, maximum
softmax probability; Smith & Gal, 2018, entropy and mutual information as OOD scores).

``ood_scores`` turns predictive probabilities into per-example scores. Orientation:
``max_softmax`` is a confidence (high = in-distribution); ``entropy`` and
``mutual_information`` (nats) are uncertainties (high = OOD). ``auroc`` treats OOD as the
positive class and a *high* score as "OOD" unless ``higher_is_ood=False``:

    AUROC = P(s_out > s_in) + 1/2 P(s_out = s_in) = U / (n_in n_out)

the Mann-Whitney U statistic from average ranks, so ties count one half.
"""
from __future__ import annotations

from typing import Dict

import torch

from ..bayes.uncertainty import mutual_information, predictive_entropy

HIGHER_IS_OOD = {"max_softmax": False, "entropy": True, "mutual_information": True}


def ood_scores(probs: torch.Tensor) -> Dict[str, torch.Tensor]:
    """Per-example OOD scores from (S, B, K) Monte Carlo samples or (B, K) probabilities.

    Returns ``max_softmax`` (of the mean predictive), ``entropy`` (predictive entropy) and
    ``mutual_information`` (zeros for a single (B, K) sample), each (B,).

    Example:
        >>> s = ood_scores(torch.tensor([[0.5, 0.5], [1.0, 0.0]]))
        >>> s["max_softmax"], s["entropy"]
        (tensor([0.5000, 1.0000]), tensor([0.6931, -0.0000]))
    """
    if not torch.is_tensor(probs) or probs.ndim not in (2, 3):
        raise ValueError("probs must be a (B, K) or (S, B, K) tensor of probabilities")
    mean = probs.mean(0) if probs.ndim == 3 else probs
    return {
        "max_softmax": mean.amax(-1),
        "entropy": predictive_entropy(probs),
        "mutual_information": mutual_information(probs),
    }


def average_ranks(x: torch.Tensor) -> torch.Tensor:
    """1-based ranks with ties given their average rank (``scipy.stats.rankdata``). Shape: (n,) -> (n,)."""
    order = torch.argsort(x, stable=True)
    sorted_x = x[order]
    _, inverse, counts = torch.unique_consecutive(sorted_x, return_inverse=True, return_counts=True)
    last = torch.cumsum(counts, 0).to(torch.float64)  # rank of the last member of each tie group
    group_rank = last - (counts.to(torch.float64) - 1) / 2  # mean of first..last
    ranks = torch.empty_like(group_rank[inverse])
    ranks[order] = group_rank[inverse]
    return ranks


def auroc(scores_in: torch.Tensor, scores_out: torch.Tensor, higher_is_ood: bool = True) -> float:
    """Area under the ROC curve for separating OOD (positive) from in-distribution inputs.

    Args:
        scores_in: scores of in-distribution examples.
        scores_out: scores of out-of-distribution examples.
        higher_is_ood: False for confidences such as ``max_softmax``.

    Shape:
        (n_in,), (n_out,) -> python float in [0, 1] (0.5 = chance).

    Example:
        >>> auroc(torch.tensor([0.1, 0.2]), torch.tensor([0.3, 0.2]))
        0.875
    """
    a, b = torch.as_tensor(scores_in).flatten(), torch.as_tensor(scores_out).flatten()
    if a.numel() == 0 or b.numel() == 0:
        raise ValueError("auroc needs at least one in-distribution and one OOD score")
    if torch.isnan(a).any() or torch.isnan(b).any():
        raise ValueError("scores contain NaN")
    both = torch.cat([a, b.to(a.device)]).to(torch.float64)
    if not higher_is_ood:
        both = -both
    ranks = average_ranks(both)
    n_in, n_out = a.numel(), b.numel()
    u = ranks[n_in:].sum() - n_out * (n_out + 1) / 2  # Mann-Whitney U of the OOD sample
    return float(u / (n_in * n_out))


def ood_auroc(probs_in: torch.Tensor, probs_out: torch.Tensor) -> Dict[str, float]:
    """AUROC of every :func:`ood_scores` score, each with its own orientation.

    Shape:
        (S, B_in, K) or (B_in, K), and the same for OOD -> dict name -> float.
    """
    s_in, s_out = ood_scores(probs_in), ood_scores(probs_out)
    return {k: auroc(s_in[k], s_out[k], HIGHER_IS_OOD[k]) for k in s_in}
