"""Temperature scaling (Guo et al., 2017, §4.2).

One scalar ``T > 0`` divides all logits, ``softmax(z / T)``; it is fitted by minimising
the NLL on *held-out* logits (a validation split, never the training set, where a network
that fits its labels wants ``T -> 0``). ``T`` does not change the arg-max, so accuracy is
unchanged; ``T > 1`` softens over-confident predictions.

We optimise ``log T`` (unconstrained, and the NLL is smoother in it) with L-BFGS and a
strong-Wolfe line search in float64; the NLL is convex in ``1 / T`` so one start suffices.
The logits must come from the model in eval mode (dropout off, batch-norm running
statistics): use :func:`simaug.calibration.collect_logits`.

When the only held-out images are the test set (a model trained on every training image),
:func:`cross_fit_temperature` splits them into random folds and scales each fold with the T
fitted on the others, so every test image is scaled by a temperature that never saw it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List

import torch
import torch.nn.functional as F

from .ece import expected_calibration_error
from .scoring_rule import brier_score, nll


def calibration_metrics(logits: torch.Tensor, labels: torch.Tensor, n_bins: int = 15) -> Dict[str, float]:
    """``accuracy``, ``nll`` (nats), ``ece`` (l1, uniform bins) and ``brier`` of logits.

    Shape:
        logits (N, K), labels (N,) -> dict of python floats.
    """
    probs = torch.softmax(logits.to(torch.float64), dim=1)
    labels = labels.to(logits.device)
    return {
        "accuracy": float((probs.argmax(1) == labels).double().mean()),
        "nll": nll(logits, labels, kind="logits"),
        "ece": expected_calibration_error(probs, labels, n_bins),
        "brier": brier_score(probs, labels),
    }


@dataclass
class TemperatureResult:
    """Fitted temperature ``T`` and the metrics before (T = 1) and after scaling."""

    T: float
    before: Dict[str, float] = field(default_factory=dict)
    after: Dict[str, float] = field(default_factory=dict)
    n_iter: int = 0

    def apply(self, logits: torch.Tensor) -> torch.Tensor:
        """Scaled logits ``logits / T`` (same shape, dtype, device)."""
        return logits / self.T


def fit_temperature(
    logits: torch.Tensor, labels: torch.Tensor, max_iter: int = 200, n_bins: int = 15
) -> TemperatureResult:
    """Fit ``T`` minimising the mean NLL of ``softmax(logits / T)``.

    Args:
        logits: held-out (validation) logits from the model in eval mode.
        labels: their true classes.
        max_iter: L-BFGS iterations (the 1-D problem converges in ~10-30).
        n_bins: bins of the ECE reported in ``before`` / ``after``.

    Shape:
        logits (N, K), labels (N,) -> TemperatureResult with a python float ``T``.

    Example:
        >>> z = torch.randn(500, 10); y = z.argmax(1)
        >>> res = fit_temperature(4 * z, y)
        >>> res.after["nll"] <= res.before["nll"]
        True
    """
    if not torch.is_tensor(logits) or logits.ndim != 2:
        raise ValueError("logits must be a (N, K) tensor of validation logits")
    if not torch.is_tensor(labels) or labels.shape != logits.shape[:1]:
        raise ValueError(f"labels must be a ({logits.shape[0]},) tensor")
    if not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive int, got {max_iter!r}")
    z = logits.detach().to(torch.float64)
    y = labels.to(z.device)
    log_t = torch.zeros((), dtype=torch.float64, device=z.device, requires_grad=True)
    opt = torch.optim.LBFGS(
        [log_t], lr=1.0, max_iter=max_iter, tolerance_grad=1e-10, tolerance_change=1e-14,
        line_search_fn="strong_wolfe",
    )

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(z * torch.exp(-log_t), y)
        loss.backward()
        return loss

    opt.step(closure)
    T = float(log_t.detach().exp())
    n_iter = int(opt.state[opt.param_groups[0]["params"][0]].get("n_iter", 0))
    return TemperatureResult(
        T=T,
        before=calibration_metrics(z, y, n_bins),
        after=calibration_metrics(z / T, y, n_bins),
        n_iter=n_iter,
    )


@dataclass
class CrossFitResult:
    """Cross-fitted temperature scaling: ``scaled`` logits (N, K) float64, the temperature
    fitted for each fold (on all the other folds), and each image's ``fold`` (N,)."""

    scaled: torch.Tensor
    temperatures: List[float]
    fold: torch.Tensor


def cross_fit_temperature(logits: torch.Tensor, labels: torch.Tensor, folds: int = 2, seed: int = 0,
                          max_iter: int = 200) -> CrossFitResult:
    """Temperature scaling fitted and evaluated on the same images without leakage.

    The images are split into ``folds`` random parts of equal size (a permutation seeded by
    ``seed``); the logits of part ``f`` are divided by the T fitted (:func:`fit_temperature`)
    on all the other parts. Metrics of ``scaled`` are then honest held-out numbers for the
    whole set (Guo et al. fit T on a validation split; this is that, done k times).

    Args:
        logits: (N, K) logits (or log-probabilities) of the model in eval mode.
        labels: (N,) true classes.
        folds: number of parts, >= 2 (each needs at least 2 images).
        seed: seed of the split.

    Shape:
        logits (N, K), labels (N,) -> CrossFitResult(scaled (N, K), temperatures [folds], fold (N,)).

    Example:
        >>> z = torch.randn(400, 10); y = z.argmax(1)
        >>> res = cross_fit_temperature(3 * z, y)
        >>> len(res.temperatures), res.scaled.shape
        (2, torch.Size([400, 10]))
    """
    if not torch.is_tensor(logits) or logits.ndim != 2:
        raise ValueError("logits must be a (N, K) tensor")
    if not torch.is_tensor(labels) or labels.shape != logits.shape[:1]:
        raise ValueError(f"labels must be a ({logits.shape[0]},) tensor")
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ValueError(f"folds must be an int >= 2, got {folds!r}")
    n = logits.shape[0]
    if n < 2 * folds:
        raise ValueError(f"{n} images cannot be split into {folds} folds of at least 2; use fewer folds or more images")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(int(seed)))
    fold = torch.empty(n, dtype=torch.long)
    fold[perm] = torch.arange(n) % folds  # equal sizes (within one), random membership
    z = logits.detach().to(torch.float64).cpu()
    y = labels.cpu()
    scaled = torch.empty_like(z)
    temperatures = []
    for f in range(folds):
        held = fold == f
        T = fit_temperature(z[~held], y[~held], max_iter=max_iter).T
        scaled[held] = z[held] / T
        temperatures.append(T)
    return CrossFitResult(scaled, temperatures, fold)
