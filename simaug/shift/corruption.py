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

Each corruption is also a batch transform (``simaug.augment``'s protocol: ``draw`` is the
sampler, ``corrupt`` the pure kernel), registered in ``simaug.augment.AUGMENTS`` under
its name: ``create_augment("gaussian_noise", severity=3)(x, generator)`` equals
``corrupt(x, "gaussian_noise", 3, seed)`` for a generator seeded with ``seed``.

Example:
    >>> from simaug.shift import corrupt, list_corruptions
    >>> x = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    >>> corrupt(x, "gaussian_noise", severity=3, seed=0).shape
    torch.Size([2, 3, 32, 32])
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional

import torch

from .._registry import Registry
from ..augment.registry import AUGMENTS
from ..augment.transform import BatchTransform, Params, gate

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


@dataclass(kw_only=True, eq=False)
class Corruption(BatchTransform):
    """A CIFAR-10-C corruption at ``severity`` as a batch transform.

    Args:
        severity: 1 (mild) .. 5 (strong).
        p: probability that an image is corrupted (for p < 1 the ``apply`` flags are
            drawn after the noise).

    Subclasses implement ``draw(x, generator) -> params`` (the noise of random
    corruptions; nothing for deterministic ones) and ``corrupt(x, params) -> x``.

    Shape: uint8 (B, C, H, W) -> uint8 (B, C, H, W). Params: ``apply`` (B,) bool plus the
    corruption's noise, (B, C, H, W).

    Example:
        >>> from simaug.augment import create_augment
        >>> x = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
        >>> aug = create_augment("gaussian_noise", severity=3)
        >>> torch.equal(aug(x, torch.Generator().manual_seed(0)), corrupt(x, "gaussian_noise", 3, seed=0))
        True
    """

    dtypes = ("uint8",)
    severity: int = 3

    def __post_init__(self):
        super().__post_init__()
        check_severity(self.severity)

    def draw(self, x: torch.Tensor, generator: Optional[torch.Generator]) -> Params:
        """The random numbers of one batch (none for a deterministic corruption)."""
        return {}

    def corrupt(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        raise NotImplementedError

    def sample(self, x, generator: Optional[torch.Generator] = None, **inputs) -> Params:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{self.name} draws its noise from the images: pass the batch, not its shape")
        self._check_inputs(inputs)
        check_images(x)
        params = self.draw(x, generator)
        params["apply"] = gate(self.p, x.shape[0], generator, x.device)
        return params

    def _apply(self, x, params):
        return torch.where(params["apply"][:, None, None, None], self.corrupt(x, params), x)


def register_corruption(name: str) -> Callable:
    """Class decorator: register a ``Corruption`` in ``AUGMENTS`` and its function form
    ``fn(images, severity, generator=None)`` in ``CORRUPTIONS``."""
    def deco(cls):
        cls.name = name
        AUGMENTS.register(name)(cls)

        def fn(images: torch.Tensor, severity: int, generator: Optional[torch.Generator] = None) -> torch.Tensor:
            check_images(images)
            return cls(severity=check_severity(severity))(images, generator)

        fn.__name__ = fn.__qualname__ = name
        fn.__doc__ = f"{(cls.__doc__ or '').strip().splitlines()[0]} Shape: (N, C, H, W) uint8 -> same."
        CORRUPTIONS.register(name)(fn)
        return cls

    return deco
