"""Uncertainty decomposition of a Monte Carlo predictive (Houlsby et al., 2011, BALD;
Depeweg et al., 2018; Gal, 2016, §3.3).

From S sampled class distributions ``p_s(y | x)`` (weight samples, dropout masks or
ensemble members):

* total:     ``predictive_entropy = H[mean_s p_s]``
* aleatoric: ``expected_entropy   = mean_s H[p_s]``
* epistemic: ``mutual_information = H[mean_s p_s] - mean_s H[p_s] = I(y; w | x) >= 0``

All in nats (natural log); ``0 log 0 = 0``. Maximum entropy is ``log K``.
"""
from __future__ import annotations

import torch


def _check(probs: torch.Tensor) -> torch.Tensor:
    if not torch.is_tensor(probs) or not probs.dtype.is_floating_point:
        raise TypeError("probs must be a floating-point tensor of probabilities")
    if probs.ndim == 2:
        return probs.unsqueeze(0)  # (B, K) is a single sample
    if probs.ndim != 3:
        raise ValueError(f"probs must be (S, B, K) samples or (B, K), got shape {tuple(probs.shape)}")
    return probs


def entropy(probs: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Shannon entropy in nats along ``dim``, with ``0 log 0 = 0``."""
    return -torch.special.xlogy(probs, probs).sum(dim)


def predictive_entropy(probs: torch.Tensor) -> torch.Tensor:
    """Entropy of the mean predictive.

    Shape:
        (S, B, K) or (B, K) -> (B,)

    Example:
        >>> predictive_entropy(torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]]))  # disagreeing samples
        tensor([0.6931])
    """
    return entropy(_check(probs).mean(0))


def expected_entropy(probs: torch.Tensor) -> torch.Tensor:
    """Mean entropy of the individual samples (aleatoric part). Shape: (S, B, K) -> (B,)."""
    return entropy(_check(probs)).mean(0)


def mutual_information(probs: torch.Tensor) -> torch.Tensor:
    """BALD mutual information between label and weights (epistemic part), clamped at 0.

    Shape:
        (S, B, K) or (B, K) -> (B,); a single sample (B, K) gives zeros.

    Example:
        >>> mutual_information(torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]]))
        tensor([0.6931])
    """
    p = _check(probs)
    return (entropy(p.mean(0)) - entropy(p).mean(0)).clamp_min(0.0)
