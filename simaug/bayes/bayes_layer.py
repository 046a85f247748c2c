"""Mean-field Gaussian variational layers, Bayes by Backprop (Blundell et al., 2015).

Every weight has its own posterior ``q(w) = N(mu, sigma^2)`` with ``sigma = softplus(rho)``
(eq. 2 of the paper: positive without a constraint). A forward pass draws
``w = mu + sigma * eps``, ``eps ~ N(0, I)`` (the reparameterisation trick), so gradients flow
to ``mu`` and ``rho``. The prior is a single Gaussian ``N(0, prior_sigma^2)`` per weight
(the paper's scale mixture is replaced by the closed-form case), so the KL term is exact:

    KL(q || p) = sum_w [ log(prior_sigma / sigma) + (sigma^2 + mu^2) / (2 prior_sigma^2) - 1/2 ]

Local reparameterisation (Kingma, Salimans & Welling, 2015) is optional: instead of one
weight sample per batch it samples the pre-activations, ``b ~ N(x mu, x^2 sigma^2)``,
independently per example, which lowers the gradient variance at the same cost.

Sampling is on in train *and* eval mode (the predictive distribution is a Monte Carlo
average, see :func:`simaug.bayes.mc_predict`); set ``layer.sampling = False`` (or
:func:`set_sampling`) to use the posterior means.
"""
from __future__ import annotations

import math
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.utils import _pair


class BayesLayer(nn.Module):
    """Base class: holds ``weight_mu/rho`` (and ``bias_mu/rho``), the prior and the KL."""

    def _init_posterior(self, weight_shape, bias: bool, prior_sigma: float, rho_init: float,
                        local_reparam: bool) -> None:
        if prior_sigma <= 0:
            raise ValueError(f"prior_sigma must be > 0, got {prior_sigma}")
        self.prior_sigma = float(prior_sigma)
        self.rho_init = float(rho_init)
        self.local_reparam = bool(local_reparam)
        self.sampling = True
        self.weight_mu = nn.Parameter(torch.empty(weight_shape))
        self.weight_rho = nn.Parameter(torch.empty(weight_shape))
        if bias:
            self.bias_mu = nn.Parameter(torch.empty(weight_shape[0]))
            self.bias_rho = nn.Parameter(torch.empty(weight_shape[0]))
        else:
            self.register_parameter("bias_mu", None)
            self.register_parameter("bias_rho", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # means like nn.Linear / nn.Conv2d (Kaiming-uniform); sigma = softplus(rho_init),
        # small (rho = -5 -> sigma = 0.0067) so training starts near a deterministic net
        nn.init.kaiming_uniform_(self.weight_mu, a=math.sqrt(5))
        nn.init.constant_(self.weight_rho, self.rho_init)
        if self.bias_mu is not None:
            fan_in = self.weight_mu[0].numel()
            bound = 1 / math.sqrt(fan_in)
            nn.init.uniform_(self.bias_mu, -bound, bound)
            nn.init.constant_(self.bias_rho, self.rho_init)

    @property
    def weight_sigma(self) -> torch.Tensor:
        return F.softplus(self.weight_rho)

    @property
    def bias_sigma(self) -> Optional[torch.Tensor]:
        return None if self.bias_rho is None else F.softplus(self.bias_rho)

    def sample_parameters(self) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """One draw ``(w, b)`` from the posterior (the means if ``sampling`` is off)."""
        if not self.sampling:
            return self.weight_mu, self.bias_mu
        w = self.weight_mu + self.weight_sigma * torch.randn_like(self.weight_mu)
        b = None
        if self.bias_mu is not None:
            b = self.bias_mu + self.bias_sigma * torch.randn_like(self.bias_mu)
        return w, b

    def kl_divergence(self) -> torch.Tensor:
        """Closed-form ``KL(q || N(0, prior_sigma^2))`` summed over all weights and biases (nats)."""
        kl = _gaussian_kl(self.weight_mu, self.weight_sigma, self.prior_sigma)
        if self.bias_mu is not None:
            kl = kl + _gaussian_kl(self.bias_mu, self.bias_sigma, self.prior_sigma)
        return kl

    def _linear_op(self, x, w, b):  # the deterministic op with given parameters
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.sampling and self.local_reparam:
            mean = self._linear_op(x, self.weight_mu, self.bias_mu)
            b_var = None if self.bias_mu is None else self.bias_sigma**2
            var = self._linear_op(x * x, self.weight_sigma**2, b_var)
            return mean + var.clamp_min(1e-16).sqrt() * torch.randn_like(mean)
        w, b = self.sample_parameters()
        return self._linear_op(x, w, b)


def _gaussian_kl(mu: torch.Tensor, sigma: torch.Tensor, prior_sigma: float) -> torch.Tensor:
    return (math.log(prior_sigma) - sigma.log() + (sigma**2 + mu**2) / (2 * prior_sigma**2) - 0.5).sum()


class BayesLinear(BayesLayer):
    """Variational ``nn.Linear``: weight (out, in), bias (out,).

    Shape:
        (B, in_features) -> (B, out_features)

    Example:
        >>> layer = BayesLinear(4, 2)
        >>> layer(torch.randn(3, 4)).shape
        torch.Size([3, 2])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 prior_sigma: float = 1.0, rho_init: float = -5.0, local_reparam: bool = False):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self._init_posterior((out_features, in_features), bias, prior_sigma, rho_init, local_reparam)

    def _linear_op(self, x, w, b):
        return F.linear(x, w, b)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"prior_sigma={self.prior_sigma}, local_reparam={self.local_reparam}")


class BayesConv2d(BayesLayer):
    """Variational ``nn.Conv2d`` (zero padding): weight (out, in / groups, kH, kW).

    Shape:
        (B, C_in, H, W) -> (B, C_out, H', W') as ``nn.Conv2d`` with the same arguments.

    Example:
        >>> BayesConv2d(3, 8, 3, padding=1)(torch.randn(2, 3, 16, 16)).shape
        torch.Size([2, 8, 16, 16])
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, prior_sigma: float = 1.0,
                 rho_init: float = -5.0, local_reparam: bool = False):
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) "
                             f"must be divisible by groups ({groups})")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.dilation = _pair(kernel_size), _pair(stride), _pair(dilation)
        self.padding = padding if isinstance(padding, str) else _pair(padding)
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self._init_posterior(shape, bias, prior_sigma, rho_init, local_reparam)

    def _linear_op(self, x, w, b):
        return F.conv2d(x, w, b, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, prior_sigma={self.prior_sigma}, "
                f"local_reparam={self.local_reparam}")


def set_sampling(model: nn.Module, enabled: bool) -> nn.Module:
    """Switch weight sampling of every :class:`BayesLayer` in ``model`` on or off (in place)."""
    for m in model.modules():
        if isinstance(m, BayesLayer):
            m.sampling = bool(enabled)
    return model
