"""Blur corruptions of CIFAR-10-C (Hendrycks & Dietterich, 2019; ``make_cifar_c.py``).

* gaussian_blur: skimage ``gaussian(sigma=c)`` per channel, i.e. a separable Gaussian
  truncated at ``int(4 sigma + 0.5)`` pixels with edge-replicate ("nearest") borders.
* defocus_blur: an anti-aliased disk of radius ``c[0]`` pixels on a 17x17 grid, smoothed by
  a 3x3 Gaussian of std ``c[1]`` (OpenCV ``GaussianBlur``), then correlated with every
  channel using OpenCV's default mirror border (``BORDER_REFLECT_101``, torch ``"reflect"``).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .corruption import CORRUPTIONS, Corruption, from_unit, register_corruption, to_unit

GAUSSIAN_BLUR_SIGMA = (0.4, 0.6, 0.7, 0.8, 1.0)  # pixels
DEFOCUS_RADIUS_ALIAS = ((0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1.0, 0.2), (1.5, 0.1))  # pixels
DISK_HALF = 8  # the reference builds every disk (radius <= 8) on a 17x17 grid


def gaussian_kernel1d(sigma: float, radius: int, dtype=torch.float64, device=None) -> torch.Tensor:
    """Normalised ``exp(-t^2 / (2 sigma^2))`` for ``t = -radius..radius``. Shape: (2 radius + 1,)."""
    t = torch.arange(-radius, radius + 1, dtype=dtype, device=device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def filter2d(x: torch.Tensor, kernel: torch.Tensor, mode: str) -> torch.Tensor:
    """Correlate every channel of ``x`` with one odd-sized 2-D kernel, same output size.

    Shape:
        x (N, C, H, W), kernel (kh, kw) -> (N, C, H, W)
    """
    n, c, h, w = x.shape
    kh, kw = kernel.shape
    flat = x.reshape(n * c, 1, h, w)  # channels as a batch: one kernel for all
    flat = F.pad(flat, (kw // 2, kw // 2, kh // 2, kh // 2), mode=mode)
    out = F.conv2d(flat, kernel.to(x.dtype)[None, None])
    return out.reshape(n, c, h, w)


def disk_kernel(radius: float, alias_blur: float, device=None) -> torch.Tensor:
    """The reference's anti-aliased disk: (17, 17), sums to 1 (up to the smoothing border)."""
    t = torch.arange(-DISK_HALF, DISK_HALF + 1, dtype=torch.float64, device=device)
    yy, xx = torch.meshgrid(t, t, indexing="ij")
    disk = ((xx**2 + yy**2) <= radius**2).to(torch.float64)
    disk = disk / disk.sum()
    g = gaussian_kernel1d(alias_blur, 1, device=device)  # OpenCV ksize=(3, 3)
    return filter2d(disk[None, None], torch.outer(g, g), mode="reflect")[0, 0]


@register_corruption("gaussian_blur")
@dataclass(kw_only=True, eq=False)
class GaussianBlur(Corruption):
    """Separable Gaussian blur with edge-replicate borders (deterministic)."""

    def corrupt(self, x, params):
        sigma = GAUSSIAN_BLUR_SIGMA[self.severity - 1]
        g = gaussian_kernel1d(sigma, int(4.0 * sigma + 0.5), device=x.device)
        u = to_unit(x)
        u = filter2d(u, g[None, :], mode="replicate")  # along W
        u = filter2d(u, g[:, None], mode="replicate")  # along H
        return from_unit(u)


@register_corruption("defocus_blur")
@dataclass(kw_only=True, eq=False)
class DefocusBlur(Corruption):
    """Disk (defocus) blur with mirror borders (deterministic); needs H, W > 8."""

    def corrupt(self, x, params):
        if min(x.shape[-2:]) <= DISK_HALF:
            raise ValueError(f"defocus_blur needs images larger than {DISK_HALF}x{DISK_HALF} "
                             f"(17x17 kernel, mirror border), got {tuple(x.shape[-2:])}")
        radius, alias = DEFOCUS_RADIUS_ALIAS[self.severity - 1]
        kernel = disk_kernel(radius, alias, device=x.device)
        return from_unit(filter2d(to_unit(x), kernel, mode="reflect"))


gaussian_blur = CORRUPTIONS.get("gaussian_blur")
defocus_blur = CORRUPTIONS.get("defocus_blur")
