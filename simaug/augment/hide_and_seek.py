"""Hide-and-Seek (Singh & Lee, "Hide-and-Seek: Forcing a Network to be Meticulous for
Weakly-supervised Object and Action Localization", ICCV 2017), batched.

The image is cut into a grid of ``patch`` x ``patch`` pixel cells (the last row/column
of cells is partial when the size is not a multiple of ``patch``, as in the paper's
``range(0, W, grid_size)`` loop) and each cell is hidden independently with probability
``hide_prob`` (Algorithm 1 of the thesis). Following the thesis' setting (CIFAR-10:
patch 8, hide_prob 0.5) the whole procedure is applied to an image with probability
``p = 0.5``. The paper fills hidden cells with the data mean; the thesis with 0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from simaug.augment.erasing import Erasing
from simaug.augment.registry import AUGMENTS
from simaug.augment.transform import check_probability, rand01


@AUGMENTS.register("hide_and_seek")
@dataclass(kw_only=True, eq=False)
class HideAndSeek(Erasing):
    """Hide-and-Seek on a fixed grid.

    Args:
        p: probability that an image is processed at all.
        patch: cell side in pixels (CIFAR-10: 8).
        hide_prob: probability that one cell is hidden.
        fill: ``"zero"`` (thesis), ``"mean"`` (paper), ``"constant"`` or ``"random"``.
        value: the fill value for ``"constant"`` / ``"mean"``.

    Shape: (B, C, H, W) -> (B, C, H, W). Params: ``apply`` (B,) bool and ``hidden``
    (B, ceil(H / patch), ceil(W / patch)) bool.

    Example:
        >>> aug = HideAndSeek(p=1.0)
        >>> params = aug.sample((2, 3, 32, 32), torch.Generator().manual_seed(0))
        >>> params["hidden"].shape
        torch.Size([2, 4, 4])
    """

    name = "hide_and_seek"
    p: float = 0.5
    patch: int = 8
    hide_prob: float = 0.5

    def __post_init__(self):
        super().__post_init__()
        check_probability("hide_prob", self.hide_prob)
        if int(self.patch) < 1:
            raise ValueError(f"patch must be a positive number of pixels, got {self.patch}")

    def _sample(self, shape, generator, device):
        B, _, H, W = shape
        if self.patch > min(H, W):
            raise ValueError(
                f"patch {self.patch} is larger than the {H}x{W} image; use patch <= {min(H, W)}"
            )
        gh, gw = math.ceil(H / self.patch), math.ceil(W / self.patch)
        u = rand01((B, 1 + gh * gw), generator, device)  # apply, then one per cell
        return {"apply": u[:, 0] < self.p, "hidden": (u[:, 1:] < self.hide_prob).view(B, gh, gw)}

    def _cells(self, params, size) -> torch.Tensor:
        """Erased cells (B, gh, gw), already gated by ``apply``."""
        return params["hidden"] & params["apply"][:, None, None]

    def weight(self, params, size, dtype=torch.float32):
        H, W = size
        cells = self._cells(params, size).to(dtype)  # (B, gh, gw)
        B, gh, gw = cells.shape
        P = self.patch
        # Each cell covers P x P pixels; the overhang past H, W is cut off. Expanding the
        # columns, then whole pixel rows, copies runs of gw * P contiguous values: ~4x
        # faster on CPU than one expand to (B, gh, P, gw, P) with runs of P.
        rows = cells[:, :, :, None].expand(B, gh, gw, P).reshape(B, gh, 1, gw * P)[..., :W]
        full = rows.expand(B, gh, P, W).reshape(B, gh * P, W)
        return full[:, None, :H]  # (B, 1, H, W)

    def erased_fraction(self, params, size):
        H, W = size
        cells = self._cells(params, size).float()  # (B, gh, gw)
        dev = cells.device
        # Pixel extent of each row/column of cells (the last one may be partial).
        hs = (torch.arange(cells.shape[1], device=dev) * self.patch).neg().add(H).clamp(max=self.patch)
        ws = (torch.arange(cells.shape[2], device=dev) * self.patch).neg().add(W).clamp(max=self.patch)
        return torch.einsum("bij,i,j->b", cells, hs.float(), ws.float()) / (H * W)
