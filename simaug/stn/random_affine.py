"""Random affine augmentation with the same bounds as the bounded STN: the matched-strength
baseline for Cho, Kim & Yoon's learned augmentation (SPEC §01).

Sampler + kernel (torchvision v2 / kornia style): ``sample_affine_params`` draws every
part of θ independently and uniformly inside ``AffineBounds`` (rotation, scale x and y,
shear, translation x and y; the box the tanh-bounded G can reach), ``compose_theta``
builds the (B, 2, 3) maps and ``apply_affine`` warps the whole batch in one
``grid_sample`` call, each image with its own θ.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import torch

from simaug.train.callback import Callback

from .affine import AffineBounds, Params, apply_affine, compose_theta


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
    if not isinstance(bounds, AffineBounds):
        raise TypeError(f"bounds must be an AffineBounds, got {type(bounds)}")
    where = generator.device if generator is not None else (device or "cpu")
    u = torch.rand(6, batch, generator=generator, device=where) * 2 - 1  # (6, B) in [-1, 1)
    half = (bounds.rotation_deg, bounds.scale, bounds.scale, bounds.shear, bounds.translate, bounds.translate)
    centre = (0.0, 1.0, 1.0, 0.0, 0.0, 0.0)
    keys = ("rotation_deg", "scale_x", "scale_y", "shear", "tx", "ty")
    return {k: (c + h * u[i]).to(device or where) for i, (k, c, h) in enumerate(zip(keys, centre, half))}


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
    theta = compose_theta(sample_affine_params(x.shape[0], bounds, generator, x.device))  # (B, 2, 3)
    return apply_affine(x, theta, padding_mode=padding_mode, align_corners=align_corners)


class RandomAffineCallback(Callback):
    """Trainer callback: append (or substitute) random affine copies of each batch, the
    baseline matched to ``STNAugmentCallback`` (same batch doubling, same bounds as the
    bounded G). Its CPU generator is seeded and checkpointed.

    Args:
        bounds: ``AffineBounds`` (or a dict of its fields).
        seed: seeds the callback's own generator.
        append: True: (cat[x, aug(x)], cat[y, y]); False: (aug(x), y).
    """

    def __init__(self, bounds: AffineBounds | dict | None = None, seed: int = 0, append: bool = True,
                 padding_mode: str = "zeros"):
        bounds = AffineBounds() if bounds is None else bounds
        self.bounds = AffineBounds(**bounds) if isinstance(bounds, dict) else bounds
        self.generator = torch.Generator().manual_seed(seed)
        self.append = bool(append)
        self.padding_mode = padding_mode

    def on_batch_start(
        self, trainer, x: torch.Tensor, y: torch.Tensor
    ) -> Optional[Tuple[torch.Tensor, torch.Tensor]]:
        x_aug = random_affine(x, self.bounds, self.generator, self.padding_mode)  # (B, C, H, W)
        if not self.append:
            return x_aug, y
        return torch.cat([x, x_aug]), torch.cat([y, y])

    def state_dict(self) -> Dict[str, Any]:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])
