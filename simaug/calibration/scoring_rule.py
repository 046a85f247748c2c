"""Proper scoring rules: negative log-likelihood and the Brier score (Gneiting & Raftery,
2007; Guo et al., 2017, §2 use NLL as a calibration-sensitive metric).

* ``nll = -mean_i log p_i[y_i]`` in nats (natural log), from logits (log-softmax, exact)
  or from probabilities (clamped at 1e-12, so a zero probability costs 27.6 nats, not inf).
* ``brier = mean_i sum_k (p_ik - [y_i = k])^2`` (Brier, 1950, multi-class form), in [0, 2].
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

PROB_FLOOR = 1e-12  # probability floor before the log


def _check(x: torch.Tensor, labels: torch.Tensor, what: str) -> None:
    if not torch.is_tensor(x) or not torch.is_tensor(labels):
        raise TypeError(f"{what} and labels must be torch tensors")
    if x.ndim != 2 or labels.shape != x.shape[:1]:
        raise ValueError(
            f"{what} must be (N, K) and labels (N,), got {tuple(x.shape)} and {tuple(labels.shape)}"
        )
    if labels.dtype.is_floating_point or labels.dtype == torch.bool:
        raise TypeError(f"labels must be an integer tensor, got {labels.dtype}")


def _looks_like_probs(x: torch.Tensor) -> bool:
    rows = x.sum(dim=1)
    return bool(x.min() >= 0 and x.max() <= 1 and torch.allclose(rows, torch.ones_like(rows), atol=1e-4))


def nll(logits_or_probs: torch.Tensor, labels: torch.Tensor, kind: str = "auto") -> float:
    """Mean negative log-likelihood of the true class, in nats.

    Args:
        logits_or_probs: unnormalised logits or probabilities.
        labels: true class indices.
        kind: ``"logits"``, ``"probs"`` or ``"auto"`` (probabilities if every entry is in
            [0, 1] and every row sums to 1 within 1e-4, logits otherwise).

    Shape:
        (N, K), labels (N,) -> python float.

    Example:
        >>> round(nll(torch.tensor([[0.5, 0.5]]), torch.tensor([0])), 4)  # log 2
        0.6931
    """
    _check(logits_or_probs, labels, "logits_or_probs")
    if kind not in ("auto", "logits", "probs"):
        raise ValueError(f"kind must be 'auto', 'logits' or 'probs', got {kind!r}")
    x = logits_or_probs.to(torch.float64)
    labels = labels.to(x.device)
    if kind == "probs" or (kind == "auto" and _looks_like_probs(x)):
        p_true = x.gather(1, labels[:, None]).squeeze(1)
        return float(-p_true.clamp_min(PROB_FLOOR).log().mean())
    return float(F.cross_entropy(x, labels))


def brier_score(probs: torch.Tensor, labels: torch.Tensor) -> float:
    """Multi-class Brier score, mean over samples of the squared error to the one-hot label.

    Shape:
        probs (N, K), labels (N,) -> python float in [0, 2].

    Example:
        >>> brier_score(torch.tensor([[1.0, 0.0], [0.5, 0.5]]), torch.tensor([0, 0]))
        0.25
    """
    _check(probs, labels, "probs")
    if not _looks_like_probs(probs.to(torch.float64)):
        raise ValueError("probs must be probabilities (rows in [0, 1] summing to 1); apply softmax to logits")
    p = probs.to(torch.float64)
    onehot = F.one_hot(labels.to(p.device), p.shape[1]).to(p.dtype)
    return float(((p - onehot) ** 2).sum(dim=1).mean())
