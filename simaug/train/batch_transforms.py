"""On-device batched random crop (with zero padding) and horizontal flip: the function form
of ``simaug.augment.RandomCropFlip`` (``"crop_flip"``), the ``Trainer``'s default
transform, kept for existing imports.
"""
from __future__ import annotations

from typing import Optional

import torch

from ..augment.crop_flip import RandomCropFlip


def random_crop_flip(x: torch.Tensor, padding: int, flip: bool, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Per-image random crop of a zero-padded batch and random horizontal flip.

    Shape: (B, C, H, W) -> (B, C, H, W), same dtype and device. The random draws come from
    ``generator`` on the CPU (so results do not depend on the device); the same as
    ``RandomCropFlip(padding=padding, flip=flip)(x, generator)``.

    Example:
        >>> x = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8)
        >>> random_crop_flip(x, 2, True, torch.Generator().manual_seed(0)).shape
        torch.Size([4, 3, 8, 8])
    """
    if x.ndim != 4:
        raise ValueError(f"expected a batch (B, C, H, W), got {tuple(x.shape)}")
    return RandomCropFlip(padding=padding, flip=flip)(x, generator)
