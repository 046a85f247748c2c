"""Numeric precision of a run: ``"fp32"``, or ``"bf16"`` autocast with fp32 master weights.

``"bf16"`` runs the forward pass and the loss under ``torch.autocast(device, torch.bfloat16)``:
convolutions and matrix products take bfloat16 inputs (8-bit mantissa, fp32's exponent
range, so no loss scaling is needed), while the parameters, their gradients and the
optimiser state stay float32 and ``backward()``/``step()`` run outside the context, as the
PyTorch AMP recipe prescribes. Softmax/cross-entropy are autocast's fp32 ops.

It pays only where the hardware computes in bf16: on x86 CPUs with ``avx512_bf16`` or AMX
(``amx_bf16``), where oneDNN runs bf16 convolutions natively (measured here: ResNet-20 train
step 1.7x, simple_cnn 1.7-2.7x), and on CUDA GPUs from Ampere on. Elsewhere oneDNN emulates
bf16 and a run is usually slower than in fp32: :func:`warn_if_emulated` says so (an
:class:`EmulatedBf16Warning`) and leaves the precision as specified, because the precision
is part of the recipe (and of the run store's key), not a speed knob to switch silently.

Example:
    >>> import torch
    >>> with autocast("bf16", "cpu"):
    ...     y = torch.nn.Linear(4, 2)(torch.rand(3, 4))
    >>> y.dtype
    torch.bfloat16
    >>> with autocast("fp32", "cpu"):
    ...     y = torch.nn.Linear(4, 2)(torch.rand(3, 4))
    >>> y.dtype
    torch.float32
"""
from __future__ import annotations

import contextlib
import functools
import warnings
from pathlib import Path
from typing import Any, ContextManager, Dict, FrozenSet, Union

import torch

PRECISIONS = ("fp32", "bf16")
NATIVE_BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")  # /proc/cpuinfo flags of bf16 hardware

Device = Union[str, torch.device]


class EmulatedBf16Warning(UserWarning):
    """A bf16 run on a device without bf16 arithmetic (slow; the results are still bf16's)."""


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}; "
                         f"'bf16' = bfloat16 autocast with fp32 master weights")
    return precision


@functools.lru_cache(maxsize=1)
def cpu_flags(path: str = "/proc/cpuinfo") -> FrozenSet[str]:
    """The CPU feature flags from ``/proc/cpuinfo`` (Linux); empty where that is unreadable."""
    try:
        text = Path(path).read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):  # x86 | arm64
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def native_bf16(device: Device = "cpu") -> bool:
    """True when ``device`` computes in bfloat16 natively: a CPU with ``avx512_bf16`` or
    ``amx_bf16``, or a CUDA GPU whose compute capability supports bf16 (Ampere on)."""
    dev = torch.device(device)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            return False
        index = dev.index if dev.index is not None else torch.cuda.current_device()
        return torch.cuda.get_device_capability(index) >= (8, 0)
    if dev.type == "cpu":
        return bool(cpu_flags() & set(NATIVE_BF16_CPU_FLAGS))
    return False


def bf16_support(device: Device = "cpu") -> Dict[str, Any]:
    """What provenance records about bf16 on ``device``: ``native_bf16`` and its evidence
    (the CPU flags found, or the GPU's name and compute capability)."""
    dev = torch.device(device)
    rec: Dict[str, Any] = {"device": str(dev), "native_bf16": native_bf16(dev)}
    if dev.type == "cuda" and torch.cuda.is_available():
        index = dev.index if dev.index is not None else torch.cuda.current_device()
        rec["gpu"] = torch.cuda.get_device_name(index)
        rec["compute_capability"] = ".".join(map(str, torch.cuda.get_device_capability(index)))
    elif dev.type == "cpu":
        rec["bf16_cpu_flags"] = sorted(cpu_flags() & set(NATIVE_BF16_CPU_FLAGS))
    return rec


def autocast(precision: str, device: Device = "cpu") -> ContextManager:
    """The context that runs a forward pass (and loss) at ``precision`` on ``device``:
    ``torch.autocast(device_type, dtype=torch.bfloat16)`` for ``"bf16"``, a no-op for
    ``"fp32"``. Run ``backward()`` and the optimiser step outside it."""
    check_precision(precision)
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16)


def warn_if_emulated(precision: str, device: Device = "cpu", stacklevel: int = 2) -> bool:
    """Warn (:class:`EmulatedBf16Warning`) when a ``"bf16"`` run is on a device without bf16
    hardware; the precision is not changed. Returns whether it warned."""
    check_precision(precision)
    if precision != "bf16" or native_bf16(device):
        return False
    dev = torch.device(device)
    where = ("this CPU has neither avx512_bf16 nor amx_bf16" if dev.type == "cpu"
             else f"{dev} has no native bf16")
    warnings.warn(f"precision='bf16' on {dev}, but {where}: bf16 is emulated and usually slower than "
                  f"fp32. The run stays bf16 (the precision is part of its recipe); use precision='fp32' "
                  f"in the spec for speed on this machine.", EmulatedBf16Warning, stacklevel=stacklevel + 1)
    return True
