"""Forward passes of a trained network over a whole tensor of images, without gradients.

The one home of the helpers that calibration (logits for the ECE and temperature scaling)
and the Bayesian predictives (Monte Carlo samples) both need:

* :func:`model_device` — where a model's parameters live;
* :func:`preserved_mode` — a context manager restoring every sub-module's train/eval flag;
* :func:`batched_forward` — ``model(transform(batch))`` over the images in batches, in the
  model's *current* mode (the caller chooses it: eval, or eval with dropout on);
* :func:`collect_logits` — the deployed predictor's logits: eval mode (dropout off,
  batch norm on its running statistics), the previous modes restored afterwards.

Example:
    >>> from torch import nn
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    >>> collect_logits(net, torch.zeros(5, 3, 2, 2, dtype=torch.uint8)).shape
    torch.Size([5, 3])
"""
from __future__ import annotations

import contextlib
from typing import Callable, Iterator, Optional

import torch
from torch import nn

__all__ = ["batched_forward", "collect_logits", "default_transform", "model_device", "preserved_mode"]


@contextlib.contextmanager
def preserved_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Restore every sub-module's ``training`` flag on exit (also on error), so a mixed state
    (e.g. eval everywhere but dropout) comes back exactly."""
    modes = [(m, m.training) for m in model.modules()]
    try:
        yield model
    finally:
        for m, mode in modes:
            m.training = mode


def default_transform(x: torch.Tensor) -> torch.Tensor:
    """uint8 images -> float in [0, 1]; float input is passed through."""
    return x.float() / 255.0 if x.dtype == torch.uint8 else x


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (the CPU for a model without parameters)."""
    p = next(iter(model.parameters()), None)
    return p.device if p is not None else torch.device("cpu")


def batched_forward(
    model: nn.Module,
    images: torch.Tensor,
    batch_size: int = 256,
    transform: Optional[Callable[[torch.Tensor], torch.Tensor]] = None,
) -> torch.Tensor:
    """``model(transform(batch))`` over ``images`` in batches, concatenated, no gradients.

    Does not change the model's mode; callers choose it.

    Args:
        model: returns (B, K) outputs.
        images: uint8 (N, C, H, W) images or prepared float inputs.
        batch_size: images per forward pass (memory only, not the result).
        transform: applied to each batch on the model's device; default :func:`default_transform`.

    Shape:
        images (N, ...) -> (N, K) on the model's device.
    """
    if not torch.is_tensor(images) or images.ndim < 2:
        raise TypeError("images must be a tensor with a leading batch dimension, e.g. (N, C, H, W)")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    transform = transform or default_transform
    device = model_device(model)
    outs = []
    with torch.no_grad():
        for start in range(0, images.shape[0], batch_size):
            x = transform(images[start : start + batch_size].to(device))  # (b, C, H, W)
            outs.append(model(x))
    return torch.cat(outs) if outs else torch.empty(0)


def collect_logits(
    model: nn.Module,
    images: torch.Tensor,
    batch_size: int = 256,
    transform: Optional[Callable[[torch.Tensor], torch.Tensor]] = None,
) -> torch.Tensor:
    """Logits of ``model`` in eval mode for every image; every module's mode is restored.

    Args:
        model: a classifier returning (B, K) logits.
        images: uint8 (N, C, H, W) images or an already prepared float tensor.
        batch_size: images per forward pass.
        transform: applied to each batch on the model's device before the forward, e.g.
            the training normalisation. Default: uint8 -> float / 255, floats unchanged.

    Shape:
        images (N, C, H, W) -> logits (N, K) on the model's device.
    """
    with preserved_mode(model):
        model.eval()
        return batched_forward(model, images, batch_size, transform)
