"""Erase-ratio distributions (the thesis' Figs. 10-12: erased area / image area over
2,500,000 draws of each method), computed from the samplers alone.

No image is touched: each method's ``erased_fraction`` turns the sampled boxes or patch
grids into areas, in chunks, so millions of draws take seconds on a CPU.
"""
from __future__ import annotations

from typing import Optional, Tuple, Union

import torch

from simaug.augment.erasing import Erasing
from simaug.augment.registry import create_augment


def erase_ratios(
    name: str,
    n: int,
    size: Union[int, Tuple[int, int]] = 32,
    seed: int = 0,
    chunk: int = 1 << 16,
    cam: Optional[torch.Tensor] = None,
    **params,
) -> torch.Tensor:
    """Erased fraction of each of ``n`` independent draws of augmentation ``name``.

    Args:
        name: a name from ``list_augments()``.
        n: number of draws (images).
        size: image side, or (H, W).
        seed: seed of the ``torch.Generator`` (same seed, same ratios).
        chunk: images sampled per call (bounds memory: Random Erasing draws
            ``attempts`` candidates per image).
        cam: only for ``cam_erasing``: a CAM (H', W') used for every draw, or maps
            (M, H', W') used in turn (draw i uses map i % M). Without it the arg-max
            point is drawn uniformly over the pixels, i.e. an object anywhere.
        **params: hyper-parameters of the augmentation (e.g. ``p=1.0``).

    Returns:
        float32 tensor (n,) in [0, 1]; 0 for images left unerased.

    Example:
        >>> r = erase_ratios("hide_and_seek", 1000, p=1.0)
        >>> bool(((r * 16) == (r * 16).round()).all())  # whole 8x8 cells of a 32x32 image
        True
    """
    if int(n) < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    H, W = (size, size) if isinstance(size, int) else tuple(size)
    aug = create_augment(name, **params)
    if not isinstance(aug, Erasing):
        raise ValueError(f"erase_ratios needs an erasing transform, not {name!r}")
    if cam is not None and "cam" not in aug.inputs:
        raise ValueError(f"cam= is only used by CAM-guided augmentations, not {name!r}")
    g = torch.Generator().manual_seed(int(seed))
    peaks = None
    if "cam" in aug.inputs and cam is not None:
        from simaug.augment.cam_erasing import cam_peaks

        maps = cam[None] if cam.ndim == 2 else cam
        peaks = cam_peaks(maps.detach().cpu(), (H, W))  # (M, 2)
    out = []
    for start in range(0, int(n), int(chunk)):
        b = min(int(chunk), int(n) - start)
        inputs = {}
        if "cam" in aug.inputs:
            if peaks is None:  # an object anywhere: uniform arg-max pixel
                flat = torch.randint(0, H * W, (b,), generator=g)
                inputs["points"] = torch.stack([flat // W, flat % W], 1)
            else:
                inputs["points"] = peaks[torch.arange(start, start + b) % peaks.shape[0]]
        # The geometry alone: no fill noise is drawn for the ratios.
        params_b = aug._sample((b, 1, H, W), g, torch.device("cpu"), **inputs)
        out.append(aug.erased_fraction(params_b, (H, W)))
    return torch.cat(out) if out else torch.zeros(0)
