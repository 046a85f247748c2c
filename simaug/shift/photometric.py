"""Photometric corruptions of CIFAR-10-C (Hendrycks & Dietterich, 2019; ``make_cifar_c.py``).

* contrast: ``(x - m) * c + m`` with ``m`` the per-image, per-channel spatial mean.
* brightness: the HSV value channel is raised, ``V' = clip(V + c, 0, 1)``, hue and
  saturation kept. Since RGB = V * (1 - S * f(H)) per channel, that is exactly a per-pixel
  rescaling ``rgb * V' / V`` (and ``rgb = V'`` for black pixels, where V = S = 0), so we
  never leave RGB.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .corruption import CORRUPTIONS, Corruption, from_unit, register_corruption, to_unit

CONTRAST_FACTOR = (0.75, 0.5, 0.4, 0.3, 0.15)
BRIGHTNESS_SHIFT = (0.05, 0.1, 0.15, 0.2, 0.3)  # added to V in [0, 1]


@register_corruption("contrast")
@dataclass(kw_only=True, eq=False)
class Contrast(Corruption):
    """Shrink each channel towards its per-image mean (deterministic)."""

    def corrupt(self, x, params):
        c = CONTRAST_FACTOR[self.severity - 1]
        u = to_unit(x)
        mean = u.mean(dim=(-2, -1), keepdim=True)  # (N, C, 1, 1)
        return from_unit((u - mean) * c + mean)


@register_corruption("brightness")
@dataclass(kw_only=True, eq=False)
class Brightness(Corruption):
    """Raise the HSV value by c, keeping hue and saturation (deterministic)."""

    def corrupt(self, x, params):
        c = BRIGHTNESS_SHIFT[self.severity - 1]
        u = to_unit(x)
        v = u.amax(dim=1, keepdim=True)  # (N, 1, H, W), HSV value
        v_new = (v + c).clamp(max=1.0)
        scaled = u * (v_new / v.clamp_min(1e-12))
        return from_unit(torch.where(v > 0, scaled, v_new.expand_as(u)))


contrast = CORRUPTIONS.get("contrast")
brightness = CORRUPTIONS.get("brightness")
