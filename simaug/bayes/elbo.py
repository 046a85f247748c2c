"""The evidence lower bound for Bayes by Backprop (Blundell et al., 2015, eq. 1-2, §3.4).

The variational free energy of the whole training set is
``F = KL(q(w) || p(w)) - E_q[log p(D | w)]``. With minibatches of size B out of N
examples and the KL spread uniformly over the N / B batches of an epoch, the loss per
*example* that we minimise is

    loss = mean_batch CE(logits, y) + kl_weight * KL / N

(one weight sample per forward pass estimates the expectation). ``kl_weight = 1`` is the
true ELBO; smaller values (KL annealing, "cold" posteriors) trade the Bayesian objective
for accuracy and must be reported as such. Units: nats per training example.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .bayes_layer import BayesLayer


def model_kl(model: nn.Module) -> torch.Tensor:
    """Sum of the closed-form KL of every :class:`BayesLayer` in ``model`` (nats, scalar).

    Example:
        >>> from simaug.bayes import BayesLinear
        >>> model_kl(nn.Sequential(BayesLinear(2, 2))).item() > 0
        True
    """
    kls = [m.kl_divergence() for m in model.modules() if isinstance(m, BayesLayer)]
    if not kls:
        raise ValueError("model has no Bayes layers; build it from BayesLinear / BayesConv2d "
                         "or call simaug.bayes.convert_to_bayes(model) first")
    return torch.stack(kls).sum()


def elbo_loss(logits: torch.Tensor, targets: torch.Tensor, kl: torch.Tensor, n_train: int,
              kl_weight: float = 1.0) -> torch.Tensor:
    """Negative ELBO per training example: ``CE + kl_weight * kl / n_train``.

    Args:
        logits: (B, K) outputs of one stochastic forward pass.
        targets: (B,) class indices.
        kl: ``model_kl(model)`` for the same pass.
        n_train: number of training examples N (not batches).
        kl_weight: multiplier of the KL term (1 = Bayes by Backprop).

    Example:
        >>> float(elbo_loss(torch.zeros(2, 2), torch.tensor([0, 1]), torch.tensor(10.0), 10))
        1.6931471824645996
    """
    if not isinstance(n_train, int) or n_train < 1:
        raise ValueError(f"n_train must be the number of training examples (int >= 1), got {n_train!r}")
    if kl_weight < 0:
        raise ValueError(f"kl_weight must be >= 0, got {kl_weight}")
    return F.cross_entropy(logits, targets) + kl_weight * kl / n_train


class ELBOLoss(nn.Module):
    """``loss_fn(logits, targets)`` for a trainer: the ELBO with the model's current KL.

    Example:
        >>> from simaug.bayes import BayesLinear
        >>> net = nn.Sequential(BayesLinear(3, 2))
        >>> loss = ELBOLoss(net, n_train=100)(net(torch.randn(4, 3)), torch.tensor([0, 1, 0, 1]))
    """

    def __init__(self, model: nn.Module, n_train: int, kl_weight: float = 1.0):
        super().__init__()
        model_kl(model)  # fail early if the model has no Bayes layers
        self._model = [model]  # a list keeps the model out of this module's parameters
        self.n_train, self.kl_weight = n_train, kl_weight

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return elbo_loss(logits, targets, model_kl(self._model[0]), self.n_train, self.kl_weight)
