"""Cutout (DeVries & Taylor, "Improved Regularization of Convolutional Neural Networks
with Cutout", 2017), batched.

A ``size`` x ``size`` square whose centre is uniform over all pixels of the image is
zeroed; the square may stick out of the image and is clipped at the border, so the
erased area varies (the official code: ``y = randint(h)``,
``y1 = clip(y - length // 2, 0, h)``, ``y2 = clip(y + length // 2, 0, h)``). Here the
square is [c - size // 2, c - size // 2 + size), the same for even sizes (CIFAR-10: 16).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from simaug.augment.boxes import box_fraction, box_weight
from simaug.augment.erasing import Erasing
from simaug.augment.registry import AUGMENTS
from simaug.augment.transform import rand01


@AUGMENTS.register("cutout")
@dataclass(kw_only=True, eq=False)
class Cutout(Erasing):
    """Cutout with one square hole per image.

    Args:
        p: probability that an image gets the hole (the paper: 1).
        size: side of the square in pixels (CIFAR-10: 16).
        fill: ``"zero"`` (paper), ``"constant"``, ``"mean"`` or ``"random"``
            (see ``RandomErasing``).
        value: the fill value for ``"constant"`` / ``"mean"``.

    Shape: (B, C, H, W) -> (B, C, H, W). Params: ``apply`` (B,), the centre ``cy, cx``
    and the clipped box ``y0, y1, x0, x1`` (B,) int64.

    Example:
        >>> out = Cutout(size=4)(torch.ones(2, 1, 8, 8), torch.Generator().manual_seed(0))
        >>> int((out == 0).sum()) <= 2 * 16
        True
    """

    name = "cutout"
    p: float = 1.0
    size: int = 16

    def __post_init__(self):
        super().__post_init__()
        if int(self.size) < 1:
            raise ValueError(f"size must be a positive number of pixels, got {self.size}")

    def _sample(self, shape, generator, device):
        B, _, H, W = shape
        if self.size > min(H, W):
            raise ValueError(
                f"cutout size {self.size} is larger than the {H}x{W} image; use size <= {min(H, W)}"
            )
        u = rand01((3, B), generator, device)  # apply, centre row, centre column
        c = (u[1:].double() * torch.tensor([[H], [W]], device=u.device)).long()  # (2, B) uniform pixel
        yx0 = c - self.size // 2
        lim = torch.tensor([[H], [W]], device=u.device)
        yx1 = torch.minimum((yx0 + self.size).clamp_(min=0), lim)
        yx0 = torch.minimum(yx0.clamp_(min=0), lim)
        return {
            "apply": u[0] < self.p, "cy": c[0], "cx": c[1],
            "y0": yx0[0], "y1": yx1[0], "x0": yx0[1], "x1": yx1[1],
        }

    def weight(self, params, size, dtype=torch.float32):
        return box_weight(params, size, dtype)

    def erased_fraction(self, params, size):
        return box_fraction(params, size)
