"""CIFAR-10-C style common corruptions (Hendrycks & Dietterich, 2019, "Benchmarking neural
network robustness to common corruptions and perturbations").

Each corruption is a batched kernel ``fn(images_uint8, severity, generator) -> uint8`` with
the per-severity constants of the paper's CIFAR-10-C script (``make_cifar_c.py``,
hendrycks/robustness). Like that script, float results are converted back to uint8 by
*truncation* (``np.uint8`` of a float in [0, 255]); we add a guard of 1e-3 grey levels so
float32 round-off (e.g. 254.99997) does not drop a level. The constants are tuned for
32x32 images; other sizes work but are not CIFAR-10-C.

Random corruptions draw from a ``torch.Generator`` seeded by ``seed`` on the images'
device, so a (seed, severity) pair is reproducible, but the noise is not bit-identical to
the numpy-drawn CIFAR-10-C release.

Example:
    >>> from simaug.shift import corrupt, list_corruptions
    >>> x = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    >>> corrupt(x, "gaussian_noise", severity=3, seed=0).shape
    torch.Size([2, 3, 32, 32])
"""
from __future__ import annotations

from typing import List, Optional

import torch

from .._registry import Registry

CORRUPTIONS = Registry("corruption")
SEVERITIES = (1, 2, 3, 4, 5)
TRUNCATION_GUARD = 1e-3  # grey levels added before truncation (float32 round-off)


def check_images(images: torch.Tensor) -> None:
    """Raise unless ``images`` is a uint8 (N, C, H, W) tensor."""
    if not torch.is_tensor(images):
        raise TypeError(f"images must be a torch tensor, got {type(images).__name__}")
    if images.dtype != torch.uint8:
        raise TypeError(f"images must be uint8 in [0, 255], got {images.dtype}; "
                        "convert with (x * 255).round().to(torch.uint8)")
    if images.ndim != 4:
        raise ValueError(f"images must have shape (N, C, H, W), got {tuple(images.shape)}; "
                         "add a batch dimension with images[None]")


def check_severity(severity: int) -> int:
    if isinstance(severity, bool) or not isinstance(severity, int) or severity not in SEVERITIES:
        raise ValueError(f"severity must be an int in 1..5, got {severity!r}")
    return severity


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, C, H, W) -> float32 in [0, 1]."""
    return images.to(torch.float32) / 255.0


def from_unit(x: torch.Tensor) -> torch.Tensor:
    """float in [0, 1] -> uint8 by clipping and truncation, as ``np.uint8(clip(x) * 255)``."""
    return (x.clamp(0.0, 1.0) * 255.0 + TRUNCATION_GUARD).floor().clamp_(0, 255).to(torch.uint8)


def list_corruptions() -> List[str]:
    """Names accepted by :func:`corrupt`, sorted."""
    return CORRUPTIONS.names()


def corrupt(images: torch.Tensor, name: str, severity: int, seed: Optional[int] = 0) -> torch.Tensor:
    """Apply corruption ``name`` at ``severity`` (1 mild .. 5 strong) to a batch.

    Args:
        images: uint8 images, any device; not modified.
        name: one of :func:`list_corruptions`.
        severity: 1..5.
        seed: seeds the noise of random corruptions (ignored by deterministic ones);
            ``None`` draws from the global RNG.

    Shape:
        (N, C, H, W) uint8 -> (N, C, H, W) uint8, same device.
    """
    fn = CORRUPTIONS.get(name)
    check_images(images)
    check_severity(severity)
    generator = None
    if seed is not None:
        generator = torch.Generator(device=images.device).manual_seed(int(seed))
    return fn(images, severity, generator)
