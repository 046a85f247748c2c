"""Monte Carlo predictive distributions: Bayes-by-Backprop weight samples, MC dropout
masks (Gal & Ghahramani, 2016) and deep ensembles (Lakshminarayanan et al., 2017).

All three return the stacked per-sample softmax ``(S, N, K)``; the predictive is its mean
over the first axis and :mod:`.uncertainty` splits its entropy into aleatoric and
epistemic parts. The loop runs over the S samples (each a full pass over the data in
batches), never over images.
"""
from __future__ import annotations

import contextlib
from typing import Callable, Optional, Sequence, Union

import torch
from torch import nn

from ..inference import batched_forward, collect_logits, model_device, preserved_mode
from .bayes_layer import BayesLayer
from .mc_dropout import DROPOUT_TYPES, enable_mc_dropout


@contextlib.contextmanager
def _seeded(seed: Optional[int], device: torch.device):
    """Seed the draws inside the block without moving the caller's global RNG stream."""
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        yield


def mc_predict(
    model: nn.Module,
    x: torch.Tensor,
    n_samples: int = 20,
    batch_size: int = 256,
    transform: Optional[Callable[[torch.Tensor], torch.Tensor]] = None,
    mc_dropout: Union[bool, str] = "auto",
    seed: Optional[int] = None,
) -> torch.Tensor:
    """Softmax of ``n_samples`` stochastic forward passes.

    The model runs in eval mode (batch norm uses running statistics); Bayes layers sample
    their weights, and dropout modules are switched on when ``mc_dropout`` is True or
    ``"auto"`` and the model has any. Every module's mode is restored afterwards.

    Args:
        model: classifier with :class:`BayesLayer` s and/or dropout.
        x: uint8 images or prepared float inputs, (N, ...).
        n_samples: S, number of Monte Carlo samples.
        batch_size, transform: as in :func:`simaug.inference.collect_logits`.
        mc_dropout: ``"auto"``, True (require dropout) or False (keep dropout off).
        seed: makes the draws reproducible without touching the global RNG stream.

    Shape:
        x (N, C, H, W) -> probs (S, N, K) on the model's device.

    Example:
        >>> from simaug.bayes import BayesLinear
        >>> mc_predict(nn.Sequential(nn.Flatten(), BayesLinear(12, 3)), torch.rand(4, 3, 2, 2), 5).shape
        torch.Size([5, 4, 3])
    """
    if not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int, got {n_samples!r}")
    if mc_dropout not in (True, False, "auto"):
        raise ValueError(f"mc_dropout must be True, False or 'auto', got {mc_dropout!r}")
    has_bayes = any(isinstance(m, BayesLayer) and m.sampling for m in model.modules())
    has_dropout = any(isinstance(m, DROPOUT_TYPES) for m in model.modules())
    use_dropout = has_dropout if mc_dropout == "auto" else mc_dropout
    if not has_bayes and not use_dropout:
        raise ValueError("model has no sampling Bayes layers and no active dropout, so every "
                         "sample would be identical; use convert_to_bayes / insert_dropout, or "
                         "ensemble_predict for a list of models")
    with preserved_mode(model), _seeded(seed, model_device(model)):
        if use_dropout:
            enable_mc_dropout(model)
        else:
            model.eval()
        samples = [torch.softmax(batched_forward(model, x, batch_size, transform), dim=-1)
                   for _ in range(n_samples)]
    return torch.stack(samples)  # (S, N, K)


def ensemble_predict(
    models: Sequence[nn.Module],
    x: torch.Tensor,
    batch_size: int = 256,
    transform: Optional[Callable[[torch.Tensor], torch.Tensor]] = None,
) -> torch.Tensor:
    """Softmax of each ensemble member in eval mode (a deep ensemble's "samples").

    Shape:
        x (N, C, H, W) -> probs (M, N, K), M = len(models), on the first model's device.

    Example:
        >>> nets = [nn.Sequential(nn.Flatten(), nn.Linear(12, 3)) for _ in range(2)]
        >>> ensemble_predict(nets, torch.rand(4, 3, 2, 2)).shape
        torch.Size([2, 4, 3])
    """
    if isinstance(models, nn.Module) or len(models) == 0:
        raise TypeError("models must be a non-empty list of nn.Module ensemble members")
    device = model_device(models[0])
    probs = [torch.softmax(collect_logits(m, x, batch_size, transform), -1).to(device) for m in models]
    shapes = {tuple(p.shape) for p in probs}
    if len(shapes) != 1:
        raise ValueError(f"ensemble members disagree on the output shape: {sorted(shapes)}")
    return torch.stack(probs)  # (M, N, K)


def log_mean_predictive(probs: torch.Tensor, floor: float = 1e-12) -> torch.Tensor:
    """Log of the Monte Carlo predictive ``mean_s p_s``, to use where logits are expected
    (the ECE, NLL and temperature scaling of a sampled model: ``softmax(log p / T)``).

    Shape:
        (S, N, K) samples or (N, K) probabilities -> (N, K), floored at ``log(floor)``.

    Example:
        >>> log_mean_predictive(torch.tensor([[[1.0, 0.0]], [[0.5, 0.5]]])).exp()
        tensor([[0.7500, 0.2500]])
    """
    if not torch.is_tensor(probs) or probs.ndim not in (2, 3):
        raise ValueError("probs must be (S, N, K) samples or (N, K) probabilities")
    mean = probs.mean(0) if probs.ndim == 3 else probs
    return mean.clamp_min(floor).log()
