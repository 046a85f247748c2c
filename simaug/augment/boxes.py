"""Erase indicators of axis-aligned boxes, built without comparing every pixel.

Box parameters are the half-open bounds ``y0, y1, x0, x1`` (B,) int64, already clipped to
the image, plus ``apply`` (B,) bool; the indicator (B, 1, H, W) is the outer product of a
row and a column interval indicator (B * (H + W) values instead of B * H * W comparisons).
"""
from __future__ import annotations

import functools
from typing import Optional, Tuple

import torch

from simaug.augment.transform import Params


@functools.lru_cache(maxsize=32)
def _interval_table(n: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """Indicators of all half-open intervals of 0..n-1: row ``a * (n + 1) + b`` of the
    ((n + 1)^2, n) table is 1 on [a, b) and 0 elsewhere (all 0 when b <= a)."""
    i = torch.arange(n + 1, device=device)
    pos = torch.arange(n, device=device)
    table = (pos >= i[:, None, None]) & (pos < i[None, :, None])  # (a, b, n)
    return table.reshape((n + 1) ** 2, n).to(dtype)


def interval_indicator(lo: torch.Tensor, hi: torch.Tensor, n: int, dtype=torch.float32,
                       keep: Optional[torch.Tensor] = None) -> torch.Tensor:
    """(B, n) indicator of [lo, hi) for integer bounds 0 <= lo, hi <= n, all 0 where
    ``keep`` (bool (B,)) is False: one row look-up in a cached table, several times
    faster on CPU than comparing positions against the bounds.

    Example:
        >>> interval_indicator(torch.tensor([1]), torch.tensor([3]), 4).tolist()
        [[0.0, 1.0, 1.0, 0.0]]
    """
    idx = lo * (n + 1) + hi  # (B,)
    if keep is not None:
        idx = idx * keep  # row 0 is the empty interval [0, 0)
    return _interval_table(n, idx.device, dtype).index_select(0, idx)


def box_weight(params: Params, size: Tuple[int, int], dtype=torch.float32) -> torch.Tensor:
    """Erase weight (B, 1, H, W), 1 inside the half-open boxes [y0, y1) x [x0, x1) of the
    images whose ``apply`` flag is set, else 0. The product is taken in floating point:
    on CPU a broadcast ``&`` of bool tensors is ~9x slower."""
    H, W = size
    wdtype = dtype if dtype.is_floating_point else torch.float32
    rows = interval_indicator(params["y0"], params["y1"], H, wdtype, keep=params["apply"])  # (B, H)
    cols = interval_indicator(params["x0"], params["x1"], W, wdtype)  # (B, W)
    return torch.mul(rows[:, None, :, None], cols[:, None, None, :])  # (B, 1, H, W)


def box_fraction(params: Params, size: Tuple[int, int]) -> torch.Tensor:
    """Erased fraction (B,) of boxes already clipped to the image, without building masks."""
    H, W = size
    area = (params["y1"] - params["y0"]).clamp_min(0) * (params["x1"] - params["x0"]).clamp_min(0)
    return area.float() * params["apply"] / (H * W)
