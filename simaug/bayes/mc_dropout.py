"""Monte Carlo dropout (Gal & Ghahramani, 2016): dropout kept on at test time.

A network trained with dropout before its weight layers is an approximate variational
Bayesian network; averaging the softmax over S stochastic forward passes with dropout
*active* estimates its predictive distribution. Batch norm must still use its running
statistics, so the model is put in eval mode and only the dropout modules in train mode.
"""
from __future__ import annotations

import copy
from typing import Tuple, Type

from torch import nn

DROPOUT_TYPES = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout,
                 nn.FeatureAlphaDropout)


def enable_mc_dropout(model: nn.Module) -> nn.Module:
    """Eval mode everywhere except dropout modules, which sample (in place; returns model).

    Raises if the model has no dropout: MC dropout would silently be deterministic.

    Example:
        >>> net = enable_mc_dropout(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2), nn.Dropout(0.5)))
        >>> [m.training for m in net]
        [False, False, True]
    """
    model.eval()
    n = 0
    for m in model.modules():
        if isinstance(m, DROPOUT_TYPES):
            m.train()
            n += 1
    if n == 0:
        raise ValueError("model has no dropout layers; add them with simaug.bayes.insert_dropout "
                         "(and train with them) before using MC dropout")
    return model


def insert_dropout(model: nn.Module, p: float = 0.2,
                   before: Tuple[Type[nn.Module], ...] = (nn.Linear,)) -> nn.Module:
    """A copy of ``model`` with ``nn.Dropout(p)`` on the input of every layer of type ``before``.

    Each such layer ``L`` becomes ``nn.Sequential(nn.Dropout(p), L)`` (its parameters move
    from ``name.weight`` to ``name.1.weight``). Gal & Ghahramani put dropout before every
    weight layer; the default, before the dense layers only, is the common cheaper variant.
    Train the returned model with dropout, then predict with :func:`enable_mc_dropout`.

    Example:
        >>> net = insert_dropout(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), p=0.5)
        >>> net[1]
        Sequential(
          (0): Dropout(p=0.5, inplace=False)
          (1): Linear(in_features=4, out_features=2, bias=True)
        )
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"dropout probability p must be in (0, 1), got {p}")
    new = copy.deepcopy(model)
    targets = [name for name, m in new.named_modules() if name and isinstance(m, before)]
    if not targets:
        raise ValueError(f"model has no layers of type {[t.__name__ for t in before]} to put dropout before")
    for name in targets:
        parent_name, _, child = name.rpartition(".")
        parent = new.get_submodule(parent_name) if parent_name else new
        setattr(parent, child, nn.Sequential(nn.Dropout(p), getattr(parent, child)))
    return new
