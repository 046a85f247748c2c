"""One backbone, four uncertainty methods: the comparison of notebook 03.

* ``deterministic``: a dropout-trained network with dropout off at test time (the usual
  deployed predictor);
* ``mc_dropout``: the same network with dropout on, averaged over S masks (Gal & Ghahramani, 2016);
* ``bbb``: its Bayes-by-Backprop twin (Blundell et al., 2015), averaged over S weight samples;
* ``ensemble``: the deterministic networks of all seeds averaged (Lakshminarayanan et al., 2017).

Every method returns stacked softmax samples ``(S, N, K)``; temperature scaling (Guo et
al., 2017) is applied to the log of the mean predictive, ``softmax(log p / T)``, so one
scalar T serves single networks and Monte Carlo averages alike.
"""
from __future__ import annotations

from typing import Dict, Sequence

import torch
from torch import nn

from ..calibration.temperature import calibration_metrics, fit_temperature
from .conversion import convert_to_bayes
from .elbo import ELBOLoss
from .mc_dropout import insert_dropout
from .predictive import ensemble_predict, mc_predict

METHODS = ("deterministic", "mc_dropout", "bbb", "ensemble")


def build_classifier(kind: str, model: nn.Module, n_train: int, dropout_p: float = 0.3,
                     kl_weight: float = 1.0, prior_sigma: float = 1.0):
    """``(network, loss_fn)`` for training: ``kind="dropout"`` puts dropout before the dense
    layers (loss None = cross-entropy); ``kind="bbb"`` converts every layer to Gaussian
    weights and returns the ELBO with ``kl_weight`` (1 = Bayes by Backprop)."""
    if kind == "dropout":
        return insert_dropout(model, dropout_p), None
    if kind == "bbb":
        net = convert_to_bayes(model, prior_sigma=prior_sigma)
        return net, ELBOLoss(net, n_train, kl_weight)
    raise ValueError(f"kind must be 'dropout' or 'bbb', got {kind!r}")


def method_probs(method: str, trainers: Sequence, images: torch.Tensor, n_samples: int = 10,
                 seed: int = 0) -> torch.Tensor:
    """Softmax samples of ``method`` on uint8 ``images``.

    Args:
        method: one of :data:`METHODS`.
        trainers: the trained :class:`simaug.Trainer` s; one for the single-network
            methods, all seeds' dropout networks for ``ensemble``.
        n_samples: S for ``mc_dropout`` and ``bbb``.

    Shape:
        images (N, C, H, W) -> probs (S, N, K) on the CPU (S = 1 for ``deterministic``,
        S = len(trainers) for ``ensemble``).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method != "ensemble" and len(trainers) != 1:
        raise ValueError(f"{method} takes one trained network, got {len(trainers)}")
    t = trainers[0]
    if method == "deterministic":
        return torch.softmax(t.predict(images), -1)[None]
    if method == "ensemble":
        return ensemble_predict([tr.model for tr in trainers], images, transform=trainers[0].to_input).cpu()
    return mc_predict(t.model, images, n_samples, transform=t.to_input, seed=seed,
                      mc_dropout=method == "mc_dropout").cpu()


def log_predictive(probs: torch.Tensor) -> torch.Tensor:
    """Log of the mean predictive, used as logits: (S, N, K) -> (N, K)."""
    return probs.mean(0).clamp_min(1e-12).log()


def scaled_metrics(val_probs: torch.Tensor, val_labels: torch.Tensor, test_probs: torch.Tensor,
                   test_labels: torch.Tensor) -> Dict[str, float]:
    """Fit T on the held-out predictive, then report test ``accuracy, nll, ece, brier`` before
    scaling and ``*_ts`` after, plus ``T``."""
    T = fit_temperature(log_predictive(val_probs), val_labels).T
    z = log_predictive(test_probs)
    before = calibration_metrics(z, test_labels)
    after = calibration_metrics(z / T, test_labels)
    return {"T": T, **before, **{f"{k}_ts": v for k, v in after.items() if k != "accuracy"}}
