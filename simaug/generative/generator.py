"""Class-conditional image generators selected by name (timm-style registry).

Every generator is an ``nn.Module`` with the same small protocol, so one training loop
(:func:`simaug.generative.train_generator`) and one sampler serve them all:

* ``config``: the constructor arguments (stored in checkpoints, see :func:`load_generator`);
* ``configure_optimizers(lr) -> dict[str, Optimizer]``;
* ``training_step(x, y, optimizers) -> dict[str, float]``: one update on images ``x`` in
  [-1, 1], (B, 3, H, W), labels ``y`` (B,); returns the losses to log;
* ``generate(labels, z=None, generator=None) -> (N, 3, H, W)`` floats in [-1, 1], with
  latent ``z`` (N, config["z_dim"]) drawn from N(0, I) when not given.

Registered: ``"cdcgan"`` (default, :mod:`.cdcgan`) and ``"cvae"`` (:mod:`.cvae`).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import List

import torch
from torch import nn

from .._registry import Registry
from ..inference import preserved_mode

GENERATORS = Registry("generator")


def create_generator(name: str = "cdcgan", num_classes: int = 10, **kwargs) -> nn.Module:
    """Build generator ``name`` for ``num_classes`` classes; ``kwargs`` go to its constructor.

    Example:
        >>> g = create_generator("cdcgan", num_classes=10, width=16)
        >>> g.generate(torch.tensor([0, 9])).shape
        torch.Size([2, 3, 32, 32])
    """
    return GENERATORS.get(name)(num_classes=num_classes, **kwargs)


def list_generators() -> List[str]:
    return GENERATORS.names()


def registered_name(model: nn.Module) -> str:
    """The registry name of ``model``'s class (``"cdcgan"``, ``"cvae"``)."""
    for name in GENERATORS.names():
        if type(model) is GENERATORS.get(name):
            return name
    raise TypeError(f"{type(model).__name__} is not a registered generator; build it with create_generator")


def load_generator(checkpoint_path, map_location="cpu") -> nn.Module:
    """Rebuild a generator from a :func:`train_generator` checkpoint or a :func:`save_generator`
    file (both hold ``name``, ``config`` and the ``model`` weights)."""
    state = torch.load(checkpoint_path, map_location=map_location, weights_only=False)
    model = create_generator(state["name"], **state["config"])
    model.load_state_dict(state["model"])
    return model


def save_generator(model: nn.Module, path) -> Path:
    """Write the weights and constructor arguments that :func:`load_generator` reads, atomically
    (a temporary file renamed into place), without optimiser state."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"name": registered_name(model), "config": model.config, "model": model.state_dict()}, tmp)
    os.replace(tmp, path)
    return path


def weights_digest(model: nn.Module) -> str:
    """sha256 over the state dict (each entry's name, dtype, shape and raw bytes, in key order):
    the identity of a trained generator, equal for bit-identical weights.

    Example:
        >>> _ = torch.manual_seed(0); a = create_generator("cvae", width=8)
        >>> _ = torch.manual_seed(0); b = create_generator("cvae", width=8)
        >>> weights_digest(a) == weights_digest(b), weights_digest(a) == weights_digest(create_generator("cvae", width=8))
        (True, False)
    """
    h = hashlib.sha256()
    for key, t in model.state_dict().items():
        t = t.detach().cpu().contiguous()
        h.update(f"{key}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def sample(model: nn.Module, labels, seed: int = 0, batch_size: int = 500) -> torch.Tensor:
    """Draw one image per label, reproducibly for a given ``seed``.

    The model runs in eval mode (its mode is restored afterwards) without gradients. All
    latents are drawn at once from a ``torch.Generator`` on the model's device seeded by
    ``seed``, so the images do not depend on ``batch_size``.

    Args:
        model: a generator from :func:`create_generator`.
        labels: class index per requested image, (N,) ints.
        seed: seed of the latent noise.
        batch_size: images per forward pass (memory only, not the result).

    Shape:
        labels (N,) -> uint8 (N, 3, H, W) on the model's device.

    Example:
        >>> sample(create_generator("cvae", width=16), torch.arange(10), seed=0).dtype
        torch.uint8
    """
    labels = torch.as_tensor(labels)
    if labels.ndim != 1 or labels.dtype.is_floating_point:
        raise ValueError("labels must be a 1-D integer tensor with one class index per image")
    k = model.config["num_classes"]
    if labels.numel() and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"labels must lie in [0, {k}), got range [{int(labels.min())}, {int(labels.max())}]")
    device = next(model.parameters()).device
    gen = torch.Generator(device=device).manual_seed(int(seed))
    labels = labels.to(device)
    z = torch.randn(labels.numel(), model.config["z_dim"], generator=gen, device=device)  # (N, z_dim)
    out = []
    with preserved_mode(model), torch.no_grad():
        model.eval()
        for start in range(0, labels.numel(), batch_size):
            sl = slice(start, start + batch_size)
            x = model.generate(labels[sl], z[sl])  # (b, 3, H, W) in [-1, 1]
            out.append(((x + 1) * 127.5).round().clamp(0, 255).to(torch.uint8))
    if not out:
        return torch.empty(0, 3, model.config.get("image_size", 32), model.config.get("image_size", 32),
                           dtype=torch.uint8, device=device)
    return torch.cat(out)
