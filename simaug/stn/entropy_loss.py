"""The max-entropy loss of Cho, Kim & Yoon (SPEC §01, Section 3.2) and a bounded variant.

With P = softmax(C(I)) over m classes and H(I) = -sum_i p_i log2 p_i <= log2 m (bits)::

    L_ME(I) = -log(log2 m - H(I) + eps)

``eps`` (default 1e-6) is ours: the printed loss is infinite at the uniform prediction
(H = log2 m); with eps it is -log(eps) = 13.8 there, and log2 m - H is clamped at 0 first
so float rounding (H a hair above log2 m) cannot give log of a negative number.

Sign, read carefully. dL_ME/dH = 1 / (log2 m - H + eps) > 0, so *minimising* L_ME, as the
paper's G does (min_G V with V = ... + lambda L_ME), LOWERS the entropy: it rewards images
the classifier is sure about, which the unchanged training images already are. The loss
that raises H under minimisation is its negative, ``+log(log2 m - H + eps)`` (bounded
below by log(eps) at the uniform prediction); ``max_entropy_loss(..., form="ascent")``
returns it. ``form="paper"`` (default) is the printed formula.

``entropy_margin_loss`` is the "lower-freedom" objective of variant ``low_freedom``:
``relu(target - H / log2 m)``. It asks for normalised entropy up to ``target`` and no
more, so G gains nothing from destroying the image once the classifier is unsure enough.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

REDUCTIONS = ("none", "mean", "sum")
FORMS = ("paper", "ascent")


def _check_logits(logits: torch.Tensor) -> None:
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise TypeError("logits must be a float tensor of shape (B, m)")
    if logits.ndim != 2 or logits.shape[1] < 2:
        raise ValueError(
            f"logits must have shape (B, m) with m >= 2 classes, got {tuple(logits.shape)}; "
            "add a batch axis with logits.unsqueeze(0) for a single prediction"
        )


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"unknown reduction {reduction!r}; choose one of {REDUCTIONS}")


def entropy_bits(logits: torch.Tensor) -> torch.Tensor:
    """Shannon entropy of softmax(logits) in bits, stable for saturated logits.

    Shape: (B, m) -> (B,).

    Example:
        >>> entropy_bits(torch.zeros(1, 4))  # uniform over 4 classes: 2 bits
        tensor([2.])
    """
    _check_logits(logits)
    logp = F.log_softmax(logits, dim=1)  # (B, m), natural log
    # p * logp is 0 * (-large) = 0 for saturated classes: exp underflows to exactly 0.
    return -(logp.exp() * logp).sum(dim=1) / math.log(2.0)


def max_entropy_loss(
    logits: torch.Tensor, eps: float = 1e-6, reduction: str = "mean", form: str = "paper"
) -> torch.Tensor:
    """L_ME = -log(log2 m - H + eps), H in bits (module doc; ``form="ascent"`` negates it).

    Args:
        logits: classifier outputs (B, m).
        eps: > 0, keeps the uniform prediction finite: L_ME = -log(eps) there.
        reduction: "mean" (default), "sum" or "none" (per sample).
        form: "paper" (the printed loss; minimising it lowers H) or "ascent" (its
            negative; minimising it raises H).

    Shape: (B, m) -> () or (B,) for reduction="none".

    Example:
        >>> round(max_entropy_loss(torch.zeros(1, 2)).item(), 4)  # uniform: -log(1e-6)
        13.8155
    """
    if not eps > 0:
        raise ValueError(f"eps must be > 0 (it keeps the uniform prediction finite), got {eps}")
    if form not in FORMS:
        raise ValueError(f"unknown form {form!r}; choose one of {FORMS}")
    gap = (math.log2(logits.shape[-1]) - entropy_bits(logits)).clamp_min(0.0)  # (B,) bits
    loss = -torch.log(gap + eps)
    return _reduce(loss if form == "paper" else -loss, reduction)


def entropy_margin_loss(
    logits: torch.Tensor, target: float = 0.5, reduction: str = "mean"
) -> torch.Tensor:
    """relu(target - H / log2 m): zero once the normalised entropy reaches ``target``.

    Args:
        logits: classifier outputs (B, m).
        target: wanted normalised entropy in (0, 1]; 1 asks for the uniform prediction.

    Shape: (B, m) -> () or (B,) for reduction="none".

    Example:
        >>> entropy_margin_loss(torch.zeros(3, 10), target=0.5)  # uniform: H / log2 m = 1
        tensor(0.)
    """
    if not 0.0 < target <= 1.0:
        raise ValueError(f"target is a normalised entropy in (0, 1], got {target}")
    h_norm = entropy_bits(logits) / math.log2(logits.shape[-1])  # (B,) in [0, 1]
    return _reduce(F.relu(target - h_norm), reduction)
