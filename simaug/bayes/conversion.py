"""Turn a deterministic backbone into its Bayes-by-Backprop twin, layer for layer.

Every ``nn.Linear`` and ``nn.Conv2d`` becomes a :class:`BayesLinear` / :class:`BayesConv2d`
with the same shape arguments; everything else (activations, pooling, batch norm) is
kept. Using the same backbone for the deterministic, MC-dropout, ensemble and Bayesian
models keeps the comparison about the inference method, not the architecture (e.g.
``convert_to_bayes(create_model("simple_cnn"))`` is the SPEC §04 CNN with Gaussian weights).
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from .bayes_layer import BayesConv2d, BayesLinear


def _bayes_twin(m: nn.Module, kw: dict) -> nn.Module:
    if isinstance(m, nn.Linear):
        return BayesLinear(m.in_features, m.out_features, m.bias is not None, **kw)
    if m.padding_mode != "zeros":
        raise ValueError(f"only zero-padded Conv2d can be converted, got padding_mode={m.padding_mode!r}")
    return BayesConv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding,
                       m.dilation, m.groups, m.bias is not None, **kw)


def convert_to_bayes(model: nn.Module, prior_sigma: float = 1.0, rho_init: float = -5.0,
                     local_reparam: bool = False, copy_weights: bool = True) -> nn.Module:
    """A copy of ``model`` with Linear / Conv2d layers replaced by mean-field Gaussian layers.

    Args:
        model: a deterministic network (left unchanged).
        prior_sigma: standard deviation of the N(0, prior_sigma^2) weight prior.
        rho_init: initial ``rho`` of every weight, ``sigma = softplus(rho_init)``.
        local_reparam: sample pre-activations instead of weights (Kingma et al., 2015).
        copy_weights: start the posterior means at the model's weights (otherwise re-init).

    Example:
        >>> net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))
        >>> bnet = convert_to_bayes(net)
        >>> type(bnet[0]).__name__, type(bnet[3]).__name__
        ('BayesConv2d', 'BayesLinear')
    """
    kw = dict(prior_sigma=prior_sigma, rho_init=rho_init, local_reparam=local_reparam)
    new = copy.deepcopy(model)
    targets = [(name, m) for name, m in new.named_modules() if type(m) in (nn.Linear, nn.Conv2d)]
    if not targets:
        raise ValueError("model has no nn.Linear or nn.Conv2d layers to convert")
    for name, m in targets:
        twin = _bayes_twin(m, kw).to(device=m.weight.device, dtype=m.weight.dtype)
        if copy_weights:
            with torch.no_grad():
                twin.weight_mu.copy_(m.weight)
                if m.bias is not None:
                    twin.bias_mu.copy_(m.bias)
        if not name:  # the model itself is a single Linear / Conv2d
            return twin
        parent_name, _, child = name.rpartition(".")
        parent = new.get_submodule(parent_name) if parent_name else new
        setattr(parent, child, twin)
    return new
