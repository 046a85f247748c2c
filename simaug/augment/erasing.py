"""Base of the erasing kernels (Random Erasing, Cutout, Hide-and-Seek, CAM-guided erasing):
a region per image is replaced by a fill.

``sample`` draws each image's region; ``weight`` turns the parameters into a 0/1 erase
indicator (B, 1, H, W) and ``apply`` blends the fill in with one ``torch.lerp`` over the
whole batch. ``erased_fraction`` gives the erased area from the parameters alone (the
erase-ratio figures draw millions of regions without touching an image).

Fill modes: ``"zero"``; ``"constant"`` (``value``); ``"mean"`` (``value``, by default the
CIFAR-10 training-set channel means, the default of Zhong et al.'s official code:
``mean=[0.4914, 0.4822, 0.4465]`` of [0, 1] pixels, x 255 for uint8 images; for
standardised inputs the data mean is 0, i.e. ``"zero"``); ``"random"`` (per-pixel N(0, 1)
for float images, timm's per-pixel mode; uniform 0..255 for integer images).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import torch

from simaug.augment.transform import BatchTransform, Params, ShapeLike, batch_shape

FILL_MODES = ("zero", "constant", "mean", "random")
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)  # the official Random Erasing code's ``mean``


@dataclass(kw_only=True, eq=False)
class Erasing(BatchTransform):
    """An erasing kernel: ``p``, ``fill`` and ``value`` as in ``BatchTransform``, with
    the fill modes of the module docstring.

    Subclasses implement ``_sample(shape, generator, device, **inputs)`` (parameters with
    ``apply`` (B,) bool), ``weight(params, size, dtype)`` and, when it can be computed
    without masks, ``erased_fraction(params, size)``.
    """

    fills = FILL_MODES

    # -- to implement -------------------------------------------------------------------
    def weight(self, params: Params, size: Tuple[int, int], dtype=torch.float32) -> torch.Tensor:
        """Erase indicator (B, 1, H, W) in ``dtype``: 1 where the image is erased, else 0."""
        raise NotImplementedError

    # -- derived ------------------------------------------------------------------------
    def mask(self, params: Params, size: Tuple[int, int]) -> torch.Tensor:
        """Boolean (B, H, W): True where the image is erased."""
        return self.weight(params, size)[:, 0] > 0

    def erased_fraction(self, params: Params, size: Tuple[int, int]) -> torch.Tensor:
        """Erased area / image area (B,), computed from the parameters alone."""
        return self.mask(params, size).flatten(1).float().mean(1)

    def sample(self, x_or_shape: ShapeLike, generator=None, **inputs) -> Params:
        """The region of every image, plus for ``fill="random"`` the ``noise``
        (B, C, H, W), drawn after the region."""
        params = super().sample(x_or_shape, generator, **inputs)
        if self.fill == "random":
            shape, device, dtype = batch_shape(x_or_shape)
            params["noise"] = self._noise(shape, generator, device, dtype)
        return params

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        floating = x.is_floating_point()
        w = self.weight(params, tuple(x.shape[-2:]), x.dtype if floating else torch.float32)
        if floating and self.fill == "zero":
            # x - x * w: exactly x where w == 0 and exactly +0.0 where w == 1 (x - x), the
            # same bits as the lerp below for finite pixels, with one multiply-add: about
            # half the lerp's time on CPU (the images are read once, not via a zero tensor).
            return torch.addcmul(x, x, w, value=-1)  # (B, C, H, W)
        fill = self._fill_values(x, params)
        if floating:
            # lerp(x, fill, w) is exactly x where w == 0 and exactly fill where w == 1
            # (ATen evaluates fill - (fill - x) * (1 - w) for w >= 0.5), and on CPU it is
            # ~10x faster than torch.where with a broadcast bool mask. Only non-finite
            # pixels differ from torch.where: NaN stays NaN inside a region, inf -> NaN.
            return torch.lerp(x, fill.expand_as(x), w)  # (B, C, H, W)
        return torch.where(w > 0, fill, x)  # integer images

    # -- helpers ------------------------------------------------------------------------
    def _fill_values(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        """Something broadcastable to x holding the erase value."""
        if self.fill == "zero":
            return torch.zeros((), dtype=x.dtype, device=x.device)
        if self.fill == "random":
            return params["noise"].to(device=x.device, dtype=x.dtype)
        value = self.value
        if self.fill == "mean" and value is None:  # CIFAR-10 means, in the images' units
            value = [m * (1.0 if x.is_floating_point() else 255.0) for m in CIFAR10_MEAN]
        v = torch.as_tensor(value, dtype=torch.float32, device=x.device).flatten()
        if v.numel() not in (1, x.shape[1]):
            raise ValueError(f"fill value has {v.numel()} entries but the images have {x.shape[1]} "
                             "channels; give one number or one per channel")
        if not x.is_floating_point():  # uint8 images: round to the pixel grid
            v = v.round()
        return v.to(x.dtype).view(1, -1, 1, 1)  # (1, C or 1, 1, 1)

    def _noise(self, shape, generator, device, dtype) -> torch.Tensor:
        """Per-pixel fill: N(0, 1) for float images; uniform 0..255 for integer images."""
        where = generator.device if generator is not None else device
        if dtype.is_floating_point:
            return torch.randn(shape, generator=generator, device=where).to(device, dtype)
        return torch.randint(0, 256, shape, generator=generator, device=where).to(device, dtype)


Augment = Erasing  # the name before issue 13, kept for existing imports
