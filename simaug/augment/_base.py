"""Shared machinery of the erasing augmentations: the registry, the ``Augment`` base
class (sampler + pure batched kernel, torchvision v2's ``make_params`` / ``transform``
split) and the helpers that draw random numbers from a ``torch.Generator``.

Every augmentation here erases a region per image. ``sample`` draws the region of each
image of a batch as a dict of (B,)-leading tensors; ``apply`` turns the dict into a 0/1
erase indicator (B, 1, H, W) and blends the fill in with one ``torch.lerp`` over the whole
batch, so the same parameters can be replayed for figures and tests and no Python loop
runs over images.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import ClassVar, Dict, Optional, Sequence, Tuple, Union

import torch

from simaug._registry import Registry

AUGMENTS = Registry("augment")

FILL_MODES = ("zero", "constant", "mean", "random")
# Per-channel CIFAR-10 training-set mean of [0, 1] pixels: the default of Zhong et al.'s
# official RandomErasing (``mean=[0.4914, 0.4822, 0.4465]``).
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)

Params = Dict[str, torch.Tensor]
ShapeLike = Union[torch.Tensor, Sequence[int], torch.Size]


def _shape_of(x_or_shape: ShapeLike) -> Tuple[Tuple[int, int, int, int], torch.device, torch.dtype]:
    """(B, C, H, W), device and dtype of a batch, or of a bare shape (CPU, float32)."""
    if isinstance(x_or_shape, torch.Tensor):
        shape, device, dtype = tuple(x_or_shape.shape), x_or_shape.device, x_or_shape.dtype
    else:
        shape, device, dtype = tuple(int(s) for s in x_or_shape), torch.device("cpu"), torch.float32
    if len(shape) != 4:
        raise ValueError(
            f"expected a batch of shape (B, C, H, W), got {shape}; add a batch axis "
            "with x.unsqueeze(0) for a single image"
        )
    return shape, device, dtype  # type: ignore[return-value]


def rand01(size, generator: Optional[torch.Generator], device) -> torch.Tensor:
    """U[0, 1) float32 drawn on the generator's device (or ``device`` with the global RNG
    when ``generator`` is None), then moved to ``device``. The samplers draw all the
    uniforms of a batch in one call and slice them: each torch call on a (B,) tensor costs
    a few microseconds, as much as the arithmetic itself."""
    if generator is None:
        return torch.rand(size, device=device)
    u = torch.rand(size, generator=generator, device=generator.device)
    return u if u.device == torch.device(device) else u.to(device)


def check_probability(name: str, value: float) -> None:
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value}")


def check_fill(fill: str, value) -> None:
    if fill not in FILL_MODES:
        raise ValueError(f"unknown fill mode {fill!r}; choose one of {', '.join(FILL_MODES)}")
    if fill == "constant" and value is None:
        raise ValueError("fill='constant' needs value= (a number or one number per channel)")


@functools.lru_cache(maxsize=32)
def _interval_table(n: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """Indicators of all half-open intervals of 0..n-1: row ``a * (n + 1) + b`` of the
    ((n + 1)^2, n) table is 1 on [a, b) and 0 elsewhere (all 0 when b <= a)."""
    i = torch.arange(n + 1, device=device)
    pos = torch.arange(n, device=device)
    table = (pos >= i[:, None, None]) & (pos < i[None, :, None])  # (a, b, n)
    return table.reshape((n + 1) ** 2, n).to(dtype)


def interval_indicator(lo: torch.Tensor, hi: torch.Tensor, n: int, dtype=torch.float32,
                       keep: Optional[torch.Tensor] = None) -> torch.Tensor:
    """(B, n) indicator of [lo, hi) for integer bounds 0 <= lo, hi <= n, all 0 where
    ``keep`` (bool (B,)) is False: one row look-up in a cached table, several times
    faster on CPU than comparing positions against the bounds."""
    idx = lo * (n + 1) + hi  # (B,)
    if keep is not None:
        idx = idx * keep  # row 0 is the empty interval [0, 0)
    return _interval_table(n, idx.device, dtype).index_select(0, idx)


def box_weight(params: Params, size: Tuple[int, int], dtype=torch.float32) -> torch.Tensor:
    """Erase weight (B, 1, H, W), 1 inside the half-open boxes [y0, y1) x [x0, x1) of the
    images whose ``apply`` flag is set, else 0; the outer product of a row and a column
    indicator (B * (H + W) values instead of B * H * W comparisons). The product is taken
    in floating point: on CPU a broadcast ``&`` of bool tensors is ~9x slower."""
    H, W = size
    wdtype = dtype if dtype.is_floating_point else torch.float32
    rows = interval_indicator(params["y0"], params["y1"], H, wdtype, keep=params["apply"])  # (B, H)
    cols = interval_indicator(params["x0"], params["x1"], W, wdtype)  # (B, W)
    return torch.mul(rows[:, None, :, None], cols[:, None, None, :])  # (B, 1, H, W)


def box_fraction(params: Params, size: Tuple[int, int]) -> torch.Tensor:
    """Erased fraction (B,) of boxes already clipped to the image, without building masks."""
    H, W = size
    area = (params["y1"] - params["y0"]).clamp_min(0) * (params["x1"] - params["x0"]).clamp_min(0)
    return area.float() * params["apply"] / (H * W)


class Augment:
    """Base class: ``sample`` draws per-image parameters, ``apply`` is the pure kernel.

    Subclasses are dataclasses holding their hyper-parameters; they implement
    ``_sample(shape, generator, device, **inputs)``, ``weight(params, size, dtype)`` (the
    erase indicator, a (B, 1, H, W) tensor of 0 / 1) and ``erased_fraction(params, size)``.
    ``inputs`` names the extra per-batch tensors the sampler needs (``("cam",)`` for
    CAM-guided erasing).

    Example:
        >>> aug = create_augment("cutout", size=8)
        >>> x = torch.rand(4, 3, 32, 32)
        >>> params = aug.sample(x, torch.Generator().manual_seed(0))
        >>> torch.equal(aug.apply(x, params), aug.apply(x, params))
        True
    """

    name: ClassVar[str] = ""
    inputs: ClassVar[Tuple[str, ...]] = ()
    fill: str = "zero"
    value: Optional[Union[float, Sequence[float]]] = None

    # -- to implement -------------------------------------------------------------------
    def _sample(self, shape, generator, device, **inputs) -> Params:
        raise NotImplementedError

    def weight(self, params: Params, size: Tuple[int, int], dtype=torch.float32) -> torch.Tensor:
        """Erase indicator (B, 1, H, W) in ``dtype``: 1 where the image is erased, else 0."""
        raise NotImplementedError

    def mask(self, params: Params, size: Tuple[int, int]) -> torch.Tensor:
        """Boolean (B, H, W): True where the image is erased."""
        return self.weight(params, size)[:, 0] > 0

    def erased_fraction(self, params: Params, size: Tuple[int, int]) -> torch.Tensor:
        """Erased area / image area (B,), computed from the parameters alone."""
        return self.mask(params, size).flatten(1).float().mean(1)

    # -- public -------------------------------------------------------------------------
    def sample(
        self, x_or_shape: ShapeLike, generator: Optional[torch.Generator] = None, **inputs
    ) -> Params:
        """Draw the parameters of one batch.

        Args:
            x_or_shape: the batch (B, C, H, W) or its shape.
            generator: ``torch.Generator`` for reproducible draws (None: global RNG).
            **inputs: the extra inputs named in ``self.inputs`` (e.g. ``cam``).

        Returns:
            dict of tensors on the batch's device: ``apply`` (B,) bool plus the region
            (box corners ``y0, y1, x0, x1`` or a patch grid) and, for ``fill="random"``,
            the ``noise`` (B, C, H, W).
        """
        shape, device, dtype = _shape_of(x_or_shape)
        unknown = set(inputs) - set(self._accepted_inputs())
        if unknown:
            raise TypeError(
                f"{self.name} got unexpected inputs {sorted(unknown)}; it accepts "
                f"{list(self._accepted_inputs()) or 'none'}"
            )
        params = self._sample(shape, generator, device, **inputs)
        if self.fill == "random":
            params["noise"] = self._noise(shape, generator, device, dtype)
        return params

    def apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        """Erase the regions described by ``params`` (pure: ``x`` is not modified).

        Shape: x (B, C, H, W) -> (B, C, H, W), same dtype and device.
        """
        if x.ndim != 4:
            raise ValueError(f"expected x of shape (B, C, H, W), got {tuple(x.shape)}")
        if any(v.device != x.device for v in params.values()):
            params = {k: v.to(x.device) for k, v in params.items()}
        floating = x.is_floating_point()
        w = self.weight(params, tuple(x.shape[-2:]), x.dtype if floating else torch.float32)
        if w.shape[0] != x.shape[0]:
            raise ValueError(
                f"params were sampled for a batch of {w.shape[0]} images, x has {x.shape[0]}"
            )
        fill = self._fill_values(x, params)
        if floating:
            # lerp(x, fill, w) is exactly x where w == 0 and exactly fill where w == 1
            # (ATen evaluates fill - (fill - x) * (1 - w) for w >= 0.5), and on CPU it is
            # ~10x faster than torch.where with a broadcast bool mask. Only non-finite
            # pixels differ from torch.where: NaN stays NaN inside a region, inf -> NaN.
            return torch.lerp(x, fill.expand_as(x), w)  # (B, C, H, W)
        return torch.where(w > 0, fill, x)  # integer images

    def __call__(self, x: torch.Tensor, generator: Optional[torch.Generator] = None, **inputs):
        return self.apply(x, self.sample(x, generator, **inputs))

    # -- helpers ------------------------------------------------------------------------
    def _accepted_inputs(self) -> Tuple[str, ...]:
        return self.inputs

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
            raise ValueError(
                f"fill value has {v.numel()} entries but the images have {x.shape[1]} "
                "channels; give one number or one per channel"
            )
        if not x.is_floating_point():  # uint8 images: round to the pixel grid
            v = v.round()
        return v.to(x.dtype).view(1, -1, 1, 1)  # (1, C or 1, 1, 1)

    def _noise(self, shape, generator, device, dtype) -> torch.Tensor:
        """Per-pixel fill: N(0, 1) for float images (timm's per-pixel mode, meant for
        normalised inputs); uniform 0..255 for integer images."""
        where = generator.device if generator is not None else device
        if dtype.is_floating_point:
            return torch.randn(shape, generator=generator, device=where).to(device, dtype)
        return torch.randint(0, 256, shape, generator=generator, device=where).to(device, dtype)


def create_augment(name: str, **params) -> Augment:
    """Build a registered augmentation by name.

    Args:
        name: one of ``list_augments()``.
        **params: hyper-parameters of that augmentation; unknown keys raise TypeError.

    Example:
        >>> create_augment("random_erasing", p=1.0, fill="mean").p
        1.0
    """
    cls = AUGMENTS.get(name)
    fields = [f.name for f in dataclasses.fields(cls)] if dataclasses.is_dataclass(cls) else []
    unknown = sorted(set(params) - set(fields))
    if unknown:
        raise TypeError(
            f"augment {name!r} has no parameter(s) {unknown}; its parameters are {fields}"
        )
    return cls(**params)


def list_augments() -> list:
    """Names accepted by ``create_augment``."""
    return AUGMENTS.names()
