"""The batch-transform protocol every simaug augmentation follows (torchvision v2's
``make_params`` / ``transform`` split, kornia's parameter generators).

A ``BatchTransform`` is a keyword-only dataclass and an ``nn.Module``:

* ``sample(x, generator, **inputs) -> params`` draws the per-image parameters of a batch
  as a dict of (B,)-leading tensors (``apply`` (B,) bool: which images are changed);
* ``apply(x, params) -> x`` is the pure, batched kernel: no Python loop over images, the
  input is never modified, and the same parameters can be replayed for figures and tests;
* ``forward(x, generator=None, **inputs)`` samples and applies, on a batch (B, C, H, W)
  or on one image (C, H, W), so a transform drops into ``torchvision.transforms.v2.Compose``.

The base declares and checks the three parameters every transform shares: ``p`` (the
probability that an image is transformed), ``fill`` (a mode from the class' ``fills``:
what replaces the pixels a transform removes or uncovers) and ``value`` (the number, or
one number per channel, for ``fill="constant"``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Dict, Optional, Sequence, Tuple, Union

import torch
from torch import nn

Params = Dict[str, torch.Tensor]
ShapeLike = Union[torch.Tensor, Sequence[int], torch.Size]
DTYPE_KINDS = ("float", "integer", "uint8")


def batch_shape(x_or_shape: ShapeLike) -> Tuple[Tuple[int, int, int, int], torch.device, torch.dtype]:
    """(B, C, H, W), device and dtype of a batch, or of a bare shape (CPU, float32)."""
    if isinstance(x_or_shape, torch.Tensor):
        shape, device, dtype = tuple(x_or_shape.shape), x_or_shape.device, x_or_shape.dtype
    else:
        shape, device, dtype = tuple(int(s) for s in x_or_shape), torch.device("cpu"), torch.float32
    if len(shape) != 4:
        raise ValueError(f"expected a batch of shape (B, C, H, W), got {shape}; add a batch axis "
                         "with x.unsqueeze(0) for a single image (forward does this for you)")
    return shape, device, dtype  # type: ignore[return-value]


def draw_device(generator: Optional[torch.Generator], device) -> torch.device:
    """Where random numbers are drawn: on the generator's device, else on ``device``."""
    return generator.device if generator is not None else torch.device(device)


def on_host(device) -> bool:
    """Whether a sampler's (B,)-sized arithmetic for ``device`` runs in numpy: CPU tensors
    share memory with numpy arrays, and a numpy op on a few thousand numbers costs ~1 us
    against ~3-5 us for a torch call. The samplers keep their random draws in torch (the
    generator stream is the same) and use only exactly rounded steps (integer ops, float
    multiply, add, divide, square root, round-half-to-even), so both paths give the same
    numbers; on other devices the torch ops run."""
    return torch.device(device).type == "cpu"


def rand01(size, generator: Optional[torch.Generator], device) -> torch.Tensor:
    """U[0, 1) float32 drawn on the generator's device (or ``device`` with the global RNG
    when ``generator`` is None), then moved to ``device``. The samplers draw all the
    uniforms of a batch in one call and slice them: each torch call on a (B,) tensor costs
    a few microseconds, as much as the arithmetic itself."""
    if generator is None:
        return torch.rand(size, device=device)
    u = torch.rand(size, generator=generator, device=generator.device)
    return u if u.device == torch.device(device) else u.to(device)


def gate(p: float, batch: int, generator: Optional[torch.Generator], device) -> torch.Tensor:
    """``apply`` flags (B,) bool, each True with probability ``p``; for ``p == 1`` nothing
    is drawn (the generator does not move)."""
    if p >= 1.0:
        return torch.ones(batch, dtype=torch.bool, device=device)
    return rand01((batch,), generator, device) < p


def check_probability(name: str, value: float) -> None:
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value}")


def dtype_kind_ok(dtype: torch.dtype, kinds: Sequence[str]) -> bool:
    integer = not dtype.is_floating_point and not dtype.is_complex and dtype != torch.bool
    ok = {"float": dtype.is_floating_point, "integer": integer, "uint8": dtype == torch.uint8}
    return any(ok[k] for k in kinds)


@dataclass(kw_only=True, eq=False)
class BatchTransform(nn.Module):
    """Base of the batched transforms: ``sample`` draws, ``apply`` is the pure kernel.

    Args:
        p: probability that an image is transformed (independently per image).
        fill: what replaces the pixels the transform removes or uncovers; one of the
            class' ``fills`` (``"zero"`` everywhere; the erasing kernels add
            ``"constant"``, ``"mean"`` and ``"random"``).
        value: the fill value for ``fill="constant"`` (and ``"mean"``): one number, or
            one per channel, in the images' units.

    Subclasses are ``@dataclass(kw_only=True, eq=False)`` (``eq=False`` keeps the module
    hashable) and implement ``_sample(shape, generator, device, **inputs) -> params`` and
    ``_apply(x, params) -> x``. Class attributes: ``name`` (registry name), ``inputs``
    (per-batch tensors the sampler needs, e.g. ``("cam",)``; ``optional_inputs`` are
    accepted too), ``fills`` and ``dtypes`` (``"float"``, ``"integer"``, ``"uint8"``).

    Shape: (B, C, H, W) -> (B, C, H, W), or (C, H, W) -> (C, H, W) through ``forward``.

    Example:
        >>> from simaug.augment import create_augment
        >>> aug = create_augment("cutout", size=8)
        >>> x = torch.rand(4, 3, 32, 32)
        >>> params = aug.sample(x, torch.Generator().manual_seed(0))
        >>> torch.equal(aug.apply(x, params), aug.apply(x, params))  # replayable
        True
        >>> aug(x[0]).shape  # one image: forward adds and removes the batch axis
        torch.Size([3, 32, 32])
    """

    name: ClassVar[str] = ""
    inputs: ClassVar[Tuple[str, ...]] = ()
    optional_inputs: ClassVar[Tuple[str, ...]] = ()
    fills: ClassVar[Tuple[str, ...]] = ("zero",)
    dtypes: ClassVar[Tuple[str, ...]] = ("float", "integer")
    p: float = 1.0
    fill: str = "zero"
    value: Optional[Union[float, Sequence[float]]] = None

    def __post_init__(self):
        nn.Module.__init__(self)
        if type(self).__hash__ is None:
            raise TypeError(f"{type(self).__name__} must be declared with @dataclass(kw_only=True, eq=False): "
                            "an nn.Module has to stay hashable")
        check_probability("p", self.p)
        if self.fill not in self.fills:
            raise ValueError(f"unknown fill mode {self.fill!r} for {self.name or type(self).__name__}; "
                             f"choose one of {', '.join(self.fills)}")
        if self.fill == "constant" and self.value is None:
            raise ValueError("fill='constant' needs value= (a number or one number per channel)")
        if self.value is not None:
            v = torch.as_tensor(self.value, dtype=torch.float64)
            if v.ndim > 1 or v.numel() == 0 or not all(math.isfinite(t) for t in v.flatten().tolist()):
                raise ValueError(f"value must be a finite number or one number per channel, got {self.value!r}")

    # -- to implement -------------------------------------------------------------------
    def _sample(self, shape, generator, device, **inputs) -> Params:
        raise NotImplementedError

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        raise NotImplementedError

    # -- the protocol -------------------------------------------------------------------
    def sample(self, x_or_shape: ShapeLike, generator: Optional[torch.Generator] = None, **inputs) -> Params:
        """Draw the parameters of one batch.

        Args:
            x_or_shape: the batch (B, C, H, W) or its shape.
            generator: ``torch.Generator`` for reproducible draws (None: the global RNG).
            **inputs: the per-batch tensors named in ``inputs`` (e.g. ``cam``).

        Returns:
            dict of (B,)-leading tensors on the batch's device, with ``apply`` (B,) bool.
        """
        shape, device, _ = batch_shape(x_or_shape)
        self._check_inputs(inputs)
        return self._sample(shape, generator, device, **inputs)

    def apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        """Transform ``x`` with ``params`` (pure: ``x`` is not modified).

        Shape: (B, C, H, W) -> (B, C, H, W), same dtype and device.
        """
        if not isinstance(x, torch.Tensor) or x.ndim != 4:
            raise ValueError(f"expected x of shape (B, C, H, W), got {getattr(x, 'shape', type(x))}")
        if not dtype_kind_ok(x.dtype, self.dtypes):
            hint = ("convert uint8 images with x.float() / 255" if "float" in self.dtypes
                    else "convert with (x * 255).round().to(torch.uint8)")
            raise TypeError(f"{self.name or type(self).__name__} takes {' or '.join(self.dtypes)} images, "
                            f"got {x.dtype}; {hint}")
        if any(v.device != x.device for v in params.values()):
            params = {k: v.to(x.device) for k, v in params.items()}
        n = params["apply"].shape[0]
        if n != x.shape[0]:
            raise ValueError(f"params were sampled for a batch of {n} images, x has {x.shape[0]}")
        return self._apply(x, params)

    def forward(self, x: torch.Tensor, generator: Optional[torch.Generator] = None, **inputs) -> torch.Tensor:
        """Sample and apply: ``apply(x, sample(x, generator, **inputs))``. A single image
        (C, H, W) (and its inputs, e.g. a (h, w) CAM) gets a batch axis for the call."""
        if isinstance(x, torch.Tensor) and x.ndim == 3:
            one = {k: v[None] if isinstance(v, torch.Tensor) else v for k, v in inputs.items()}
            return self.forward(x[None], generator, **one)[0]
        out = self.apply(x, self.sample(x, generator, **inputs))
        if type(x) is not torch.Tensor and not isinstance(x, nn.Parameter):
            out = out.as_subclass(type(x))  # keep torchvision's tv_tensors.Image etc.
        return out

    def _check_inputs(self, inputs) -> None:
        unknown = set(inputs) - set(self.inputs) - set(self.optional_inputs)
        if unknown:
            accepted = list(self.inputs + self.optional_inputs) or "none"
            raise TypeError(f"{self.name or type(self).__name__} got unexpected inputs {sorted(unknown)}; "
                            f"it accepts {accepted}")
