"""Photometric corruptions of CIFAR-10-C (Hendrycks & Dietterich, 2019; ``make_cifar_c.py``).

* contrast: ``(x - m) * c + m`` with ``m`` the per-image, per-channel spatial mean.
* brightness: the HSV value channel is raised, ``V' = clip(V + c, 0, 1)``, hue and
  saturation kept. Since RGB = V * (1 - S * f(H)) per channel, that is exactly a per-pixel
  rescaling ``rgb * V' / V`` (and ``rgb = V'`` for black pixels, where V = S = 0), so we
  never leave RGB.
"""
from __future__ import annotations

from typing import Optional

import torch

from .corruption import CORRUPTIONS, check_images, check_severity, from_unit, to_unit

CONTRAST_FACTOR = (0.75, 0.5, 0.4, 0.3, 0.15)
BRIGHTNESS_SHIFT = (0.05, 0.1, 0.15, 0.2, 0.3)  # added to V in [0, 1]


@CORRUPTIONS.register("contrast")
def contrast(images: torch.Tensor, severity: int, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Shrink each channel towards its mean. Shape: (N, C, H, W) uint8 -> same."""
    check_images(images)
    c = CONTRAST_FACTOR[check_severity(severity) - 1]
    x = to_unit(images)
    mean = x.mean(dim=(-2, -1), keepdim=True)  # (N, C, 1, 1)
    return from_unit((x - mean) * c + mean)


@CORRUPTIONS.register("brightness")
def brightness(images: torch.Tensor, severity: int, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Raise the HSV value by c, keeping hue and saturation. Shape: (N, C, H, W) uint8 -> same."""
    check_images(images)
    c = BRIGHTNESS_SHIFT[check_severity(severity) - 1]
    x = to_unit(images)
    v = x.amax(dim=1, keepdim=True)  # (N, 1, H, W), HSV value
    v_new = (v + c).clamp(max=1.0)
    scaled = x * (v_new / v.clamp_min(1e-12))
    return from_unit(torch.where(v > 0, scaled, v_new.expand_as(x)))
