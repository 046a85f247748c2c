"""Noise corruptions of CIFAR-10-C (Hendrycks & Dietterich, 2019, §3; constants from
``make_cifar_c.py``). Pixel values are in [0, 1] units below.

* gaussian: ``x + N(0, c^2)``, c = std
* shot (Poisson): ``Poisson(x * c) / c``, c = photons per unit intensity (fewer = noisier)
* impulse (salt & pepper, skimage ``random_noise(mode="s&p")``): each value independently
  replaced with probability c, by 1 or 0 with equal odds
* speckle: ``x + x * N(0, c^2)`` (multiplicative)
"""
from __future__ import annotations

from typing import Optional

import torch

from .corruption import CORRUPTIONS, check_images, check_severity, from_unit, to_unit

GAUSSIAN_STD = (0.04, 0.06, 0.08, 0.09, 0.10)
SHOT_PHOTONS = (500, 250, 100, 75, 50)
IMPULSE_AMOUNT = (0.01, 0.02, 0.03, 0.05, 0.07)
SPECKLE_STD = (0.06, 0.10, 0.12, 0.16, 0.20)


def _randn(x: torch.Tensor, generator: Optional[torch.Generator]) -> torch.Tensor:
    return torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)


def _rand(x: torch.Tensor, generator: Optional[torch.Generator]) -> torch.Tensor:
    return torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)


@CORRUPTIONS.register("gaussian_noise")
def gaussian_noise(images: torch.Tensor, severity: int, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Additive Gaussian noise. Shape: (N, C, H, W) uint8 -> same."""
    check_images(images)
    x = to_unit(images)
    return from_unit(x + GAUSSIAN_STD[check_severity(severity) - 1] * _randn(x, generator))


@CORRUPTIONS.register("shot_noise")
def shot_noise(images: torch.Tensor, severity: int, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Poisson (photon) noise. Shape: (N, C, H, W) uint8 -> same."""
    check_images(images)
    c = SHOT_PHOTONS[check_severity(severity) - 1]
    x = to_unit(images)
    return from_unit(torch.poisson(x * c, generator=generator) / c)


@CORRUPTIONS.register("impulse_noise")
def impulse_noise(images: torch.Tensor, severity: int, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Salt-and-pepper noise on each channel value. Shape: (N, C, H, W) uint8 -> same."""
    check_images(images)
    x = to_unit(images)
    hit = _rand(x, generator) < IMPULSE_AMOUNT[check_severity(severity) - 1]
    salt = (_rand(x, generator) < 0.5).to(x.dtype)  # 1 (salt) or 0 (pepper)
    return from_unit(torch.where(hit, salt, x))


@CORRUPTIONS.register("speckle_noise")
def speckle_noise(images: torch.Tensor, severity: int, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Multiplicative Gaussian noise. Shape: (N, C, H, W) uint8 -> same."""
    check_images(images)
    x = to_unit(images)
    return from_unit(x + x * SPECKLE_STD[check_severity(severity) - 1] * _randn(x, generator))
