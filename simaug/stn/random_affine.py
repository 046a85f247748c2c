"""Random affine augmentation with the same bounds as the bounded STN: the matched-strength
baseline for Cho, Kim & Yoon's learned augmentation (SPEC §01).

The transform is ``simaug.augment.RandomAffine`` (registered as ``"random_affine"``); here
are its function forms on ``AffineBounds`` (``sample_affine_params`` draws every part of θ
independently and uniformly inside the bounds, ``random_affine`` warps a batch) and
``RandomAffineCallback``, the baseline's callback before issue 13.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Dict, Optional

import torch

from simaug.augment.callback import AugmentCallback
from simaug.augment.random_affine import RandomAffine

from ..augment.affine import AffineBounds, Params


def _transform(bounds: AffineBounds, **kw) -> RandomAffine:
    if not isinstance(bounds, AffineBounds):
        raise TypeError(f"bounds must be an AffineBounds, got {type(bounds)}")
    return RandomAffine(**dataclasses.asdict(bounds), **kw)


def sample_affine_params(
    batch: int, bounds: AffineBounds, generator: Optional[torch.Generator] = None, device=None
) -> Params:
    """Per-image parameters, uniform in ``bounds``; drawn on the generator's device.

    Returns:
        dict of (B,) float32 tensors keyed like ``PARAM_KEYS`` (rotation in degrees).

    Example:
        >>> p = sample_affine_params(5, AffineBounds(rotation_deg=10), torch.Generator().manual_seed(0))
        >>> bool(p["rotation_deg"].abs().max() <= 10)
        True
    """
    where = generator.device if generator is not None else (device or "cpu")
    params = _transform(bounds)._sample((batch, 1, 1, 1), generator, torch.device(device or where))
    params.pop("apply")
    return params


def random_affine(
    x: torch.Tensor,
    bounds: AffineBounds,
    generator: Optional[torch.Generator] = None,
    padding_mode: str = "zeros",
    align_corners: bool = False,
) -> torch.Tensor:
    """Warp each image by its own random θ inside ``bounds`` (pure: x is not modified).

    Shape: float (B, C, H, W) -> (B, C, H, W), same dtype and device.

    Example:
        >>> x = torch.rand(4, 3, 16, 16)
        >>> y = random_affine(x, AffineBounds(), torch.Generator().manual_seed(0))
        >>> y.shape == x.shape
        True
    """
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        raise ValueError("x must be a batch (B, C, H, W)")
    return _transform(bounds, padding_mode=padding_mode, align_corners=align_corners)(x, generator)


class RandomAffineCallback(AugmentCallback):
    """The random-affine baseline's callback under its name before issue 13: an
    ``AugmentCallback(RandomAffine(...), start_epoch=0)`` that keeps its old seeding, one
    CPU generator seeded once and checkpointed (``state_dict`` holds its state), so the
    stored ``random_affine`` arms stay bit-identical. New code:
    ``AugmentCallback(create_augment("random_affine", ...), seed=...)`` (seeded by
    (seed, step)).

    Args:
        bounds: ``AffineBounds`` (or a dict of its fields).
        seed: seeds the callback's own generator.
        append: True: (cat[x, aug(x)], cat[y, y]); False: (aug(x), y).
        padding_mode: ``grid_sample``'s padding mode.
    """

    def __init__(self, bounds: AffineBounds | dict | None = None, seed: int = 0, append: bool = True,
                 padding_mode: str = "zeros"):
        bounds = AffineBounds() if bounds is None else bounds
        self.bounds = AffineBounds(**bounds) if isinstance(bounds, dict) else bounds
        super().__init__(_transform(self.bounds, padding_mode=padding_mode), start_epoch=0,
                         mode="append" if append else "replace", seed=seed)
        self.generator = torch.Generator().manual_seed(seed)
        self.append, self.padding_mode = bool(append), padding_mode

    def generator_for(self, step: int, device: torch.device) -> torch.Generator:
        return self.generator  # one stream, as before issue 13

    def state_dict(self) -> Dict[str, Any]:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])
