"""The no-erasing baseline, so that ``augment="none"`` runs through the same code path."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from simaug.augment.erasing import Erasing
from simaug.augment.registry import AUGMENTS


@AUGMENTS.register("none")
@dataclass(kw_only=True, eq=False)
class NoErasing(Erasing):
    """Identity: erases nothing (the output is a copy, never the input itself).

    Shape: (B, C, H, W) -> (B, C, H, W). Params: ``apply`` (B,) all False.

    Example:
        >>> x = torch.rand(2, 3, 8, 8)
        >>> torch.equal(NoErasing()(x), x)
        True
    """

    name = "none"

    def _sample(self, shape, generator, device):
        return {"apply": torch.zeros(shape[0], dtype=torch.bool, device=device)}

    def weight(self, params, size, dtype=torch.float32):
        return torch.zeros(params["apply"].shape[0], 1, *size, dtype=dtype, device=params["apply"].device)

    def erased_fraction(self, params, size):
        return torch.zeros(params["apply"].shape[0], device=params["apply"].device)
