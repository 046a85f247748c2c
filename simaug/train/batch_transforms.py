"""On-device batched random crop (with zero padding) and horizontal flip.

Two ``gather`` calls, rows then columns, do both for the whole batch: each image gets its
own offset and flip, with no Python loop over images (airbench's ``batch_flip_lr`` in
spirit); on CPU ~2x faster than one advanced-indexing gather over (B, C, H, W) indices.
Works on uint8, before the float conversion, because moving bytes is 4x cheaper.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F


def random_crop_flip(x: torch.Tensor, padding: int, flip: bool, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Per-image random crop of a zero-padded batch and random horizontal flip.

    Shape: (B, C, H, W) -> (B, C, H, W), same dtype and device. The random draws come from
    ``generator`` on the CPU (so results do not depend on the device).
    """
    B, C, H, W = x.shape
    if padding == 0 and not flip:
        return x
    dev = x.device
    rows = torch.arange(H).expand(B, H)
    cols = torch.arange(W).expand(B, W)
    if padding:
        x = F.pad(x, (padding, padding, padding, padding))  # (B, C, H+2p, W+2p)
        rows = rows + torch.randint(0, 2 * padding + 1, (B, 1), generator=generator)
        cols = cols + torch.randint(0, 2 * padding + 1, (B, 1), generator=generator)
    if flip:
        do_flip = torch.rand(B, 1, generator=generator) < 0.5
        cols = torch.where(do_flip, cols.flip(1), cols)
    rows, cols = rows.to(dev), cols.to(dev)
    x = x.gather(2, rows[:, None, :, None].expand(B, C, H, x.shape[3]))  # (B, C, H, W + 2p)
    return x.gather(3, cols[:, None, None, :].expand(B, C, H, W))  # (B, C, H, W)
