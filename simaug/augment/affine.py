"""Affine maps of a spatial transformer: compose θ from named parts, take it apart, warp.

Convention (Jaderberg et al., 2015, Eq. 1; ``torch.nn.functional.affine_grid``): θ is a
(B, 2, 3) matrix ``[A | t]`` mapping each *output* pixel's normalised coordinates
(x, y) to the *input* coordinates sampled there. x runs along columns (left to right),
y along rows (top to bottom), both in [-1, 1], so 1.0 is half the image width. θ is
therefore the sampling map, the inverse of the motion one sees: scale 0.5 shows the
central half of the image enlarged 2x, and t = (0.25, 0) shows content moved left by an
eighth of the width (4 px on 32x32).

Decomposition (QR style), used both to build bounded θ and to report what G learned::

    A = R(phi) @ [[sx, sh],      R(phi) = [[cos phi, -sin phi],
                  [ 0, sy]]                [sin phi,  cos phi]]

Every A with det A > 0 has exactly one such factorisation with sx, sy > 0 (Gram-Schmidt
on A's columns): sx = |first column|, phi = atan2(A10, A00), and U = R(-phi) @ A gives
sh = U01, sy = U11 (sy < 0 flags a reflection). For non-square images the normalised
coordinates are stretched, so "rotation" is a rotation of the normalised square; CIFAR
images are square.

Determinism: ``grid_sample``'s backward accumulates with atomic adds on CUDA and is not
deterministic (``torch.use_deterministic_algorithms(True)`` raises on it); the CPU path is.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict

import torch
import torch.nn.functional as F

Params = Dict[str, torch.Tensor]
PARAM_KEYS = ("rotation_deg", "scale_x", "scale_y", "shear", "tx", "ty")


@dataclass
class AffineBounds:
    """Box of affine parameters around the identity, shared by the bounded STN and the
    ``random_affine`` baseline so both have the same strength.

    Args:
        rotation_deg: |phi| <= rotation_deg (degrees).
        scale: sx, sy in [1 - scale, 1 + scale] (sampling-map scale, see module doc).
        translate: |tx|, |ty| <= translate, in normalised units (1.0 = half the image;
            0.25 = 4 px on 32x32, the reach of the usual 4-pixel pad-and-crop).
        shear: |sh| <= shear (dimensionless, x shift per unit of y).
    """

    rotation_deg: float = 15.0
    scale: float = 0.1
    translate: float = 0.25
    shear: float = 0.1

    def __post_init__(self):
        if not 0.0 <= self.rotation_deg < 180.0:
            raise ValueError(f"rotation_deg must be in [0, 180), got {self.rotation_deg}")
        if not 0.0 <= self.scale < 1.0:
            raise ValueError(f"scale must be in [0, 1) so scales stay positive, got {self.scale}")
        if self.translate < 0 or self.shear < 0:
            raise ValueError(f"translate and shear must be >= 0, got {self.translate}, {self.shear}")


def _check_theta(theta: torch.Tensor) -> None:
    if not isinstance(theta, torch.Tensor) or not theta.is_floating_point():
        raise TypeError("theta must be a floating-point tensor of shape (B, 2, 3)")
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (2, 3):
        raise ValueError(f"theta must have shape (B, 2, 3), got {tuple(theta.shape)}")


def identity_theta(batch: int, device=None, dtype=torch.float32) -> torch.Tensor:
    """The identity ``[I | 0]`` repeated: (B, 2, 3)."""
    eye = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], device=device, dtype=dtype)
    return eye.expand(batch, 2, 3).clone()


def compose_theta(params: Params) -> torch.Tensor:
    """Build θ = [R(phi) @ [[sx, sh], [0, sy]] | (tx, ty)] from per-image parameters.

    Args:
        params: dict with the (B,) tensors named in ``PARAM_KEYS`` (rotation in degrees).

    Shape: each (B,) -> (B, 2, 3).

    Example:
        >>> p = dict(rotation_deg=torch.zeros(1), scale_x=torch.ones(1), scale_y=torch.ones(1),
        ...          shear=torch.zeros(1), tx=torch.zeros(1), ty=torch.zeros(1))
        >>> torch.equal(compose_theta(p), identity_theta(1))
        True
    """
    missing = [k for k in PARAM_KEYS if k not in params]
    if missing:
        raise ValueError(f"affine params lack {missing}; expected keys {PARAM_KEYS}")
    phi = torch.deg2rad(params["rotation_deg"])
    c, s = torch.cos(phi), torch.sin(phi)
    sx, sy, sh = params["scale_x"], params["scale_y"], params["shear"]
    row0 = torch.stack([c * sx, c * sh - s * sy, params["tx"]], dim=-1)  # (B, 3)
    row1 = torch.stack([s * sx, s * sh + c * sy, params["ty"]], dim=-1)  # (B, 3)
    return torch.stack([row0, row1], dim=-2)  # (B, 2, 3)


def bounded_theta(raw: torch.Tensor, bounds: AffineBounds) -> torch.Tensor:
    """θ from six unconstrained numbers, always inside ``bounds``: each part is
    ``centre + half_width * tanh(raw_k)`` (raw = 0 gives the identity).

    Shape: raw (B, 6) in the order of ``PARAM_KEYS`` -> (B, 2, 3).
    """
    if raw.ndim != 2 or raw.shape[1] != 6:
        raise ValueError(f"raw must have shape (B, 6), got {tuple(raw.shape)}")
    u = torch.tanh(raw)  # (B, 6) in (-1, 1)
    return compose_theta(
        dict(
            rotation_deg=bounds.rotation_deg * u[:, 0],
            scale_x=1.0 + bounds.scale * u[:, 1],
            scale_y=1.0 + bounds.scale * u[:, 2],
            shear=bounds.shear * u[:, 3],
            tx=bounds.translate * u[:, 4],
            ty=bounds.translate * u[:, 5],
        )
    )


def theta_components(theta: torch.Tensor) -> Params:
    """Take θ apart (module doc): the inverse of ``compose_theta`` plus two magnitudes.

    Returns:
        dict of (B,) tensors: ``rotation_deg``, ``scale_x``, ``scale_y``, ``shear``, ``tx``,
        ``ty``, ``translation`` = |t|_2 and ``distance`` = |θ - [I | 0]|_F.

    Example:
        >>> p = dict(rotation_deg=torch.tensor([30.0]), scale_x=torch.tensor([0.8]),
        ...          scale_y=torch.tensor([0.8]), shear=torch.zeros(1),
        ...          tx=torch.tensor([0.1]), ty=torch.zeros(1))
        >>> round(theta_components(compose_theta(p))["rotation_deg"].item(), 4)
        30.0
    """
    _check_theta(theta)
    a00, a01, a10, a11 = theta[:, 0, 0], theta[:, 0, 1], theta[:, 1, 0], theta[:, 1, 1]
    phi = torch.atan2(a10, a00)
    c, s = torch.cos(phi), torch.sin(phi)
    t = theta[:, :, 2]  # (B, 2)
    eye = identity_theta(theta.shape[0], theta.device, theta.dtype)
    return dict(
        rotation_deg=torch.rad2deg(phi),
        scale_x=torch.hypot(a00, a10),
        scale_y=-s * a01 + c * a11,
        shear=c * a01 + s * a11,
        tx=t[:, 0],
        ty=t[:, 1],
        translation=t.norm(dim=1),
        distance=(theta - eye).flatten(1).norm(dim=1),
    )


def apply_affine(
    x: torch.Tensor,
    theta: torch.Tensor,
    padding_mode: str = "zeros",
    align_corners: bool = False,
    mode: str = "bilinear",
) -> torch.Tensor:
    """Warp each image by its own θ (``affine_grid`` + ``grid_sample``, one call for the batch).

    ``align_corners`` is passed to both calls: with the same flag the identity θ reproduces
    x exactly; mixing flags would shift the image by half a pixel. Pure: x is not modified.

    Args:
        x: float images (B, C, H, W), any device.
        theta: (B, 2, 3) sampling maps (module doc).
        padding_mode: value outside the image: "zeros" (0, the mean colour of normalised
            inputs), "border" or "reflection".

    Shape: (B, C, H, W), (B, 2, 3) -> (B, C, H, W), same dtype and device as x.

    Example:
        >>> x = torch.rand(2, 3, 8, 8)
        >>> torch.allclose(apply_affine(x, identity_theta(2)), x, atol=1e-6)
        True
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("x must be a float tensor; convert uint8 images with x.float() / 255 first")
    if x.ndim != 4:
        raise ValueError(f"x must have shape (B, C, H, W), got {tuple(x.shape)}")
    _check_theta(theta)
    if theta.shape[0] != x.shape[0]:
        raise ValueError(f"theta has {theta.shape[0]} maps for a batch of {x.shape[0]} images")
    theta = theta.to(device=x.device, dtype=x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=align_corners)  # (B, H, W, 2)
    return F.grid_sample(x, grid, mode=mode, padding_mode=padding_mode, align_corners=align_corners)
