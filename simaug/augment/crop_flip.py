"""Per-image random crop of the zero-padded image and random horizontal flip, batched: the
standard CIFAR augmentation (pad 4, crop 32, flip with probability 1/2) and the
``Trainer``'s default transform (``TrainConfig.crop_padding`` / ``flip``).

One ``gather`` over the flattened padded images does both for the whole batch: each
image's (H, W) source positions are a cached grid (plain or mirrored) plus its offset, so
there is no Python loop over images (airbench's ``batch_flip_lr`` in spirit). On CPU it is
~2x faster than gathering rows then columns, and ~2.5x faster than advanced indexing into
an ``unfold`` view (measured here at batch 128, uint8). Works on uint8, before the float
conversion, because moving bytes is 4x cheaper.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Tuple

import torch
import torch.nn.functional as F

from simaug.augment.registry import AUGMENTS
from simaug.augment.transform import BatchTransform, gate


@AUGMENTS.register("crop_flip")
@dataclass(kw_only=True, eq=False)
class RandomCropFlip(BatchTransform):
    """Random crop of the image zero-padded by ``padding`` pixels, then a random flip.

    Args:
        padding: zero padding on every side in pixels; the crop offset is uniform on
            0..2 * padding per axis (0: no crop).
        flip: flip each image left-right with probability 1/2.
        p: probability that an image is cropped and flipped at all (1: always; for
            p < 1 the ``apply`` flags are drawn after the offsets and flips).
        fill: ``"zero"`` (the padding).
        channels_last: write the output in channels_last memory format (the same values):
            the gather lays the pixels out as a channels_last model wants them, so the float
            batch made from it needs no layout change (the ``Trainer`` sets it for a
            channels_last model; a uint8 layout change on its own costs as much as the crop).

    Random draws, in this order, on the generator's device (the CPU without one):
    ``randint(0, 2 padding + 1, (B, 1))`` for the rows, the same for the columns (only
    with padding), ``rand(B, 1) < 0.5`` for the flips (only with ``flip``).

    Shape: (B, C, H, W) -> (B, C, H, W), any dtype. Params: ``apply`` (B,) bool, the crop
    offsets ``dy, dx`` (B,) int64 in the padded image and ``flip`` (B,) bool.

    Example:
        >>> x = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8)
        >>> out = RandomCropFlip(padding=4)(x, torch.Generator().manual_seed(0))
        >>> out.shape, out.dtype
        (torch.Size([8, 3, 32, 32]), torch.uint8)
    """

    name = "crop_flip"
    padding: int = 4
    flip: bool = True
    channels_last: bool = False

    def __post_init__(self):
        super().__post_init__()
        if int(self.padding) != self.padding or self.padding < 0:
            raise ValueError(f"padding must be a whole number of pixels >= 0, got {self.padding}")

    def _sample(self, shape, generator, device):
        B = shape[0]
        where = generator.device if generator is not None else torch.device("cpu")
        P = int(self.padding)
        zeros = torch.zeros(B, 1, dtype=torch.long, device=where)
        dy = torch.randint(0, 2 * P + 1, (B, 1), generator=generator, device=where) if P else zeros
        dx = torch.randint(0, 2 * P + 1, (B, 1), generator=generator, device=where) if P else zeros
        if self.flip:
            flip = torch.rand(B, 1, generator=generator, device=where) < 0.5
        else:
            flip = torch.zeros(B, 1, dtype=torch.bool, device=where)
        params = {"dy": dy[:, 0], "dx": dx[:, 0], "flip": flip[:, 0]}
        params = {k: v.to(device) for k, v in params.items()}
        params["apply"] = gate(self.p, B, generator, device)
        return params

    def _apply(self, x, params):
        B, C, H, W = x.shape
        P = int(self.padding)
        if not P and not self.flip:  # nothing to crop or flip: every image is unchanged
            return x
        keep = params["apply"]
        dy = torch.where(keep, params["dy"], P)  # (B,); P: the uncropped image
        dx = torch.where(keep, params["dx"], P)
        flip = (params["flip"] & keep)[:, None, None]
        plain, mirrored = _grids(H, W, P, x.device)  # (H, W) positions in a padded image
        index = torch.where(flip, mirrored, plain) + (dy * (W + 2 * P) + dx)[:, None, None]  # (B, H, W)
        if P:
            x = F.pad(x, (P, P, P, P))  # (B, C, H + 2P, W + 2P)
        index = index.reshape(B, 1, H * W).expand(B, C, H * W)
        if self.channels_last:
            out = torch.empty((B, C, H, W), dtype=x.dtype, device=x.device, memory_format=torch.channels_last)
            torch.gather(x.reshape(B, C, -1), 2, index, out=out.view(B, C, H * W))  # (B, C, H*W) view, strides (HWC, 1, C)
            return out
        return x.reshape(B, C, -1).gather(2, index).reshape(B, C, H, W)


@functools.lru_cache(maxsize=16)
def _grids(H: int, W: int, P: int, device: torch.device) -> Tuple[torch.Tensor, torch.Tensor]:
    """Flat positions (H, W) int64 of an H x W crop at offset (0, 0) in the image padded by
    P, and of its left-right mirror (columns W - 1 .. 0)."""
    rows = torch.arange(H, device=device)[:, None] * (W + 2 * P)
    cols = torch.arange(W, device=device)
    return rows + cols, rows + cols.flip(0)
