"""Which memory layout a batch is in (channels_last kernels must be fed channels_last)."""
from __future__ import annotations

import torch


def is_channels_last(x: torch.Tensor) -> bool:
    """True for a 4-d tensor laid out channels_last (and not also plain contiguous, as a
    1x1 image or a single channel is).

    Example:
        >>> is_channels_last(torch.zeros(2, 3, 4, 4).contiguous(memory_format=torch.channels_last))
        True
        >>> is_channels_last(torch.zeros(2, 3, 4, 4))
        False
    """
    return x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
