"""Random affine warps inside the bounds of the bounded STN (Cho, Kim & Yoon; SPEC §01):
the matched-strength baseline of the learned augmentation, as a batch transform.

Every part of θ (rotation, scale x and y, shear, translation x and y) is drawn
independently and uniformly in ``AffineBounds`` (the box the tanh-bounded G can reach);
``compose_theta`` builds the (B, 2, 3) sampling maps and one ``grid_sample`` call warps
the whole batch, each image with its own θ (conventions: ``simaug.augment.affine``).

The bounds keep ``AffineBounds``' names and units, not torchvision v2's ``RandomAffine``
ones: ``rotation_deg`` is a half-width in degrees, ``scale`` the half-width of the
sampling-map scale around 1, ``translate`` in normalised units (1.0 = half the image).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from simaug.augment import affine  # noqa: F401  (the module, not the package attribute)
from simaug.augment.registry import AUGMENTS
from simaug.augment.transform import BatchTransform, gate

PADDING_MODES = ("zeros", "border", "reflection")


@AUGMENTS.register("random_affine")
@dataclass(kw_only=True, eq=False)
class RandomAffine(BatchTransform):
    """Warp each image by its own θ, uniform in the box of ``AffineBounds``.

    Args:
        rotation_deg, scale, translate, shear: ``AffineBounds`` (its defaults: 15
            degrees, 0.1, 0.25 = 4 px of 32, 0.1).
        padding_mode: what shows outside the image: ``"zeros"``, ``"border"`` or
            ``"reflection"`` (``grid_sample``'s modes).
        align_corners: passed to ``affine_grid`` and ``grid_sample``.
        p: probability that an image is warped (for p < 1 the ``apply`` flags are drawn
            after θ; the others are returned unchanged).

    Random draws: one ``rand(6, B)`` on the generator's device, mapped to
    centre + half-width * (2u - 1) in the order of ``PARAM_KEYS``.

    Shape: float (B, C, H, W) -> (B, C, H, W). Params: ``apply`` (B,) bool and the (B,)
    float parts ``rotation_deg, scale_x, scale_y, shear, tx, ty``.

    Example:
        >>> aug = RandomAffine(rotation_deg=10.0)
        >>> aug(torch.rand(4, 3, 16, 16), torch.Generator().manual_seed(0)).shape
        torch.Size([4, 3, 16, 16])
    """

    name = "random_affine"
    dtypes = ("float",)
    rotation_deg: float = 15.0
    scale: float = 0.1
    translate: float = 0.25
    shear: float = 0.1
    padding_mode: str = "zeros"
    align_corners: bool = False

    def __post_init__(self):
        super().__post_init__()
        self.bounds  # validates the box
        if self.padding_mode not in PADDING_MODES:
            raise ValueError(f"unknown padding_mode {self.padding_mode!r}; choose one of {PADDING_MODES}")

    @property
    def bounds(self):
        """The ``AffineBounds`` of the fields."""
        return affine.AffineBounds(rotation_deg=self.rotation_deg, scale=self.scale,
                                      translate=self.translate, shear=self.shear)

    def _sample(self, shape, generator, device):
        B, b = shape[0], self.bounds
        where = generator.device if generator is not None else device
        u = torch.rand(6, B, generator=generator, device=where) * 2 - 1  # (6, B) in [-1, 1)
        half = (b.rotation_deg, b.scale, b.scale, b.shear, b.translate, b.translate)
        centre = (0.0, 1.0, 1.0, 0.0, 0.0, 0.0)
        params = {k: (c + h * u[i]).to(device) for i, (k, c, h) in enumerate(zip(affine.PARAM_KEYS, centre, half))}
        params["apply"] = gate(self.p, B, generator, device)
        return params

    def _apply(self, x, params):
        theta = affine.compose_theta(params)  # (B, 2, 3)
        out = affine.apply_affine(x, theta, padding_mode=self.padding_mode, align_corners=self.align_corners)
        return torch.where(params["apply"][:, None, None, None], out, x)
