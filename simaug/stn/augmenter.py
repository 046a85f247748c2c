"""The augmentation module G of Cho, Kim & Yoon (SPEC §01, Section 3.1): a spatial
transformer (Jaderberg et al., 2015) used as a learned, per-image affine augmentation.

A small localisation CNN reads the image and outputs six numbers; they become a (B, 2, 3)
sampling map θ (see ``simaug.augment.affine`` for the convention) and ``affine_grid`` +
``grid_sample`` warp the image. G starts as the identity, like the STN paper's
initialisation: the last layer's weights are zero and its bias encodes the identity, so
G(x) == x at step 0 (up to float rounding) whatever the rest of the network holds.

Two parameterisations of θ:

* ``"free"`` (the paper's): θ = the six outputs read as a 2x3 matrix; bias = [1,0,0, 0,1,0].
* ``"bounded"`` (a remedy): θ = ``bounded_theta(outputs, bounds)``, each of rotation,
  scale x/y, shear, translation x/y is centre + half-width * tanh(output) and can never
  leave ``bounds``; bias = 0 (tanh(0) = 0 gives the identity).

Determinism: ``grid_sample``'s backward is not deterministic on CUDA.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn

from ..augment.affine import AffineBounds, apply_affine, bounded_theta

PARAMETERISATIONS = ("free", "bounded")
PADDING_MODES = ("zeros", "border", "reflection")


class STNAugmenter(nn.Module):
    """G: image -> affinely warped image, θ predicted per image.

    Args:
        in_channels: image channels C.
        param: "free" (paper) or "bounded" (module doc).
        bounds: ``AffineBounds`` for param="bounded" (default ``AffineBounds()``).
        width: channels of the first localisation conv (the second has 2 * width).
        padding_mode: what G shows outside the image ("zeros" = 0, the mean colour of
            normalised inputs).
        align_corners: passed to both ``affine_grid`` and ``grid_sample``.

    Shape: (B, C, H, W) with H, W >= 4 -> (B, C, H, W); ``theta(x)`` -> (B, 2, 3).

    Example:
        >>> G = STNAugmenter(in_channels=3)
        >>> x = torch.randn(2, 3, 16, 16)
        >>> torch.allclose(G(x), x, atol=1e-5)  # identity at initialisation
        True
    """

    def __init__(
        self,
        in_channels: int = 3,
        param: str = "free",
        bounds: Optional[AffineBounds] = None,
        width: int = 16,
        padding_mode: str = "zeros",
        align_corners: bool = False,
    ):
        super().__init__()
        if param not in PARAMETERISATIONS:
            raise ValueError(f"unknown param {param!r}; choose one of {PARAMETERISATIONS}")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"unknown padding_mode {padding_mode!r}; choose one of {PADDING_MODES}")
        if bounds is not None and param != "bounded":
            raise ValueError("bounds only apply to param='bounded'; drop bounds or set param='bounded'")
        self.param = param
        self.bounds = bounds if bounds is not None else AffineBounds()
        self.padding_mode = padding_mode
        self.align_corners = align_corners
        self.localization = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, w, H/2, W/2)
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 2w, H/4, W/4)
            nn.AdaptiveAvgPool2d(2), nn.Flatten(),  # (B, 8w): coarse layout, any image size
            nn.Linear(8 * width, 32), nn.ReLU(),
        )
        self.head = nn.Linear(32, 6)
        nn.init.zeros_(self.head.weight)
        with torch.no_grad():
            if param == "free":
                self.head.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]))
            else:
                self.head.bias.zero_()

    def theta(self, x: torch.Tensor) -> torch.Tensor:
        """Sampling maps (B, 2, 3) for a batch (B, C, H, W)."""
        if x.ndim != 4 or min(x.shape[-2:]) < 4:
            raise ValueError(f"G needs images (B, C, H, W) with H, W >= 4, got {tuple(x.shape)}")
        raw = self.head(self.localization(x))  # (B, 6)
        if self.param == "free":
            return raw.view(-1, 2, 3)
        return bounded_theta(raw, self.bounds)

    def forward(self, x: torch.Tensor, return_theta: bool = False):
        theta = self.theta(x)  # (B, 2, 3)
        out = apply_affine(x, theta, padding_mode=self.padding_mode, align_corners=self.align_corners)
        return (out, theta) if return_theta else out

    def extra_repr(self) -> str:
        b = f", bounds={self.bounds}" if self.param == "bounded" else ""
        return f"param={self.param!r}, padding_mode={self.padding_mode!r}{b}"

