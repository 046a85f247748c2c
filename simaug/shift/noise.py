"""Noise corruptions of CIFAR-10-C (Hendrycks & Dietterich, 2019, §3; constants from
``make_cifar_c.py``). Pixel values are in [0, 1] units below.

* gaussian: ``x + N(0, c^2)``, c = std
* shot (Poisson): ``Poisson(x * c) / c``, c = photons per unit intensity (fewer = noisier)
* impulse (salt & pepper, skimage ``random_noise(mode="s&p")``): each value independently
  replaced with probability c, by 1 or 0 with equal odds
* speckle: ``x + x * N(0, c^2)`` (multiplicative)

As batch transforms, ``draw`` takes the noise from the generator (on its device, float32,
of the images' shape) and ``corrupt`` is the pure kernel.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from .corruption import CORRUPTIONS, Corruption, from_unit, register_corruption, to_unit

GAUSSIAN_STD = (0.04, 0.06, 0.08, 0.09, 0.10)
SHOT_PHOTONS = (500, 250, 100, 75, 50)
IMPULSE_AMOUNT = (0.01, 0.02, 0.03, 0.05, 0.07)
SPECKLE_STD = (0.06, 0.10, 0.12, 0.16, 0.20)


def _where(x: torch.Tensor, generator: Optional[torch.Generator]) -> torch.device:
    return generator.device if generator is not None else x.device


def _randn(x: torch.Tensor, generator: Optional[torch.Generator]) -> torch.Tensor:
    return torch.randn(x.shape, generator=generator, device=_where(x, generator)).to(x.device)


def _rand(x: torch.Tensor, generator: Optional[torch.Generator]) -> torch.Tensor:
    return torch.rand(x.shape, generator=generator, device=_where(x, generator)).to(x.device)


@register_corruption("gaussian_noise")
@dataclass(kw_only=True, eq=False)
class GaussianNoise(Corruption):
    """Additive Gaussian noise. Params: ``noise`` N(0, 1) (B, C, H, W) float32."""

    def draw(self, x, generator):
        return {"noise": _randn(x, generator)}

    def corrupt(self, x, params):
        return from_unit(to_unit(x) + GAUSSIAN_STD[self.severity - 1] * params["noise"])


@register_corruption("shot_noise")
@dataclass(kw_only=True, eq=False)
class ShotNoise(Corruption):
    """Poisson (photon) noise. Params: ``counts`` Poisson(x * c) (B, C, H, W) float32,
    drawn from the images (``torch.poisson`` draws on the images' device)."""

    def draw(self, x, generator):
        return {"counts": torch.poisson(to_unit(x) * SHOT_PHOTONS[self.severity - 1], generator=generator)}

    def corrupt(self, x, params):
        return from_unit(params["counts"] / SHOT_PHOTONS[self.severity - 1])


@register_corruption("impulse_noise")
@dataclass(kw_only=True, eq=False)
class ImpulseNoise(Corruption):
    """Salt-and-pepper noise on each channel value. Params: ``hit`` (B, C, H, W) bool
    (replaced values), ``salt`` (B, C, H, W) bool (1 rather than 0)."""

    def draw(self, x, generator):
        hit = _rand(x, generator) < IMPULSE_AMOUNT[self.severity - 1]
        return {"hit": hit, "salt": _rand(x, generator) < 0.5}

    def corrupt(self, x, params):
        u = to_unit(x)
        return from_unit(torch.where(params["hit"], params["salt"].to(u.dtype), u))


@register_corruption("speckle_noise")
@dataclass(kw_only=True, eq=False)
class SpeckleNoise(Corruption):
    """Multiplicative Gaussian noise. Params: ``noise`` N(0, 1) (B, C, H, W) float32."""

    def draw(self, x, generator):
        return {"noise": _randn(x, generator)}

    def corrupt(self, x, params):
        u = to_unit(x)
        return from_unit(u + u * SPECKLE_STD[self.severity - 1] * params["noise"])


gaussian_noise = CORRUPTIONS.get("gaussian_noise")
shot_noise = CORRUPTIONS.get("shot_noise")
impulse_noise = CORRUPTIONS.get("impulse_noise")
speckle_noise = CORRUPTIONS.get("speckle_noise")
