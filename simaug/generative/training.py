"""Training loop for the class-conditional generators, resumable from a checkpoint.

One loop for every registered generator (each supplies ``training_step``). Per epoch the
training images are shuffled with a permutation seeded by ``(seed, epoch)`` and flipped
left-right with probability 1/2 (the usual GAN augmentation on CIFAR-10); uint8 pixels
are mapped to [-1, 1]. After every epoch the model, optimisers, RNG state and history go
to ``checkpoint_path`` (written to a temporary file, then renamed, so a kill never leaves a
half-written checkpoint). Calling again with the same path resumes after the last
finished epoch and, on the same device and thread count, gives the same weights as an
uninterrupted run.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

import pandas as pd
import torch
from torch import nn

from .generator import registered_name


def _check_data(images: torch.Tensor, labels: torch.Tensor, num_classes: int) -> None:
    if not torch.is_tensor(images) or images.dtype != torch.uint8 or images.ndim != 4 or images.shape[1:] != (3, 32, 32):
        raise ValueError("images must be a uint8 tensor of shape (N, 3, 32, 32), got "
                         f"{getattr(images, 'dtype', type(images))} {tuple(getattr(images, 'shape', ()))}")
    if not torch.is_tensor(labels) or labels.shape != images.shape[:1] or labels.dtype.is_floating_point:
        raise ValueError(f"labels must be an integer tensor of shape ({images.shape[0]},)")
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes}) for this generator")


def train_generator(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    epochs: int,
    batch_size: int = 64,
    lr: float = 2e-4,
    seed: int = 0,
    device: str | torch.device = "cpu",
    callback: Optional[Callable[[nn.Module, Dict], None]] = None,
    checkpoint_path: Optional[str | os.PathLike] = None,
) -> pd.DataFrame:
    """Train ``model`` for ``epochs`` epochs (total, including resumed ones).

    Args:
        model: from :func:`create_generator`; trained in place and moved to ``device``.
        images: uint8 (N, 3, 32, 32) training images (kept on the CPU, batches move).
        labels: (N,) class indices.
        epochs: total number of epochs; a resumed run continues up to this number.
        batch_size: images per step (the last, smaller batch of an epoch is dropped).
        lr: Adam learning rate (2e-4 for ``cdcgan``, ~1e-3 for ``cvae``).
        seed: seeds the initial RNG and the shuffling.
        device: where to train.
        callback: ``callback(model, record)`` after every epoch, e.g. to save sample grids;
            it may add keys to ``record``.
        checkpoint_path: file to save after every epoch and to resume from if it exists.

    Returns:
        One row per epoch: ``epoch``, mean of each logged loss, ``steps``, ``seconds``.

    Example:
        >>> from simaug.generative import create_generator
        >>> g = create_generator("cdcgan", width=8)
        >>> x = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8)
        >>> train_generator(g, x, torch.arange(8) % 10, epochs=1, batch_size=4).steps.tolist()
        [2]
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be an int >= 0, got {epochs!r}")
    _check_data(images, labels, model.config["num_classes"])
    if not isinstance(batch_size, int) or not 1 < batch_size <= len(images):
        raise ValueError(f"batch_size must be an int in [2, N={len(images)}] (batch norm needs 2), got {batch_size!r}")
    name = registered_name(model)
    device = torch.device(device)
    model.to(device)
    optimizers = model.configure_optimizers(lr)
    history: List[Dict] = []
    start_epoch = 0
    if checkpoint_path is not None and Path(checkpoint_path).exists():
        state = torch.load(checkpoint_path, map_location=device, weights_only=False)
        if state["name"] != name or state["config"] != model.config:
            raise ValueError(f"checkpoint {checkpoint_path} holds a {state['name']} {state['config']}, "
                             f"not this {name} {model.config}; use another path or delete it")
        saved = {k: state[k] for k in ("seed", "lr", "batch_size")}
        if saved != {"seed": seed, "lr": lr, "batch_size": batch_size}:
            raise ValueError(f"checkpoint {checkpoint_path} was trained with {saved}; resume with the "
                             "same seed, lr and batch_size (or start a new checkpoint)")
        model.load_state_dict(state["model"])
        for key, opt in optimizers.items():
            opt.load_state_dict(state["optimizers"][key])
        torch.set_rng_state(state["rng"])
        if device.type == "cuda" and state.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(state["cuda_rng"], device)
        history, start_epoch = state["history"], state["epoch"]
    else:
        torch.manual_seed(seed)

    n = len(images) - len(images) % batch_size  # drop the ragged last batch
    model.train()
    for epoch in range(start_epoch, epochs):
        t0 = time.perf_counter()
        order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed * 100003 + epoch))
        sums: Dict[str, float] = {}
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            x = images.index_select(0, idx).to(device).float() / 127.5 - 1.0  # (B, 3, 32, 32) in [-1, 1]
            flip = torch.rand(x.shape[0], 1, 1, 1, device=device) < 0.5
            x = torch.where(flip, x.flip(-1), x)
            losses = model.training_step(x, labels.index_select(0, idx).to(device), optimizers)
            for k, v in losses.items():
                sums[k] = sums.get(k, 0.0) + v
        steps = n // batch_size
        record = {"epoch": epoch + 1, **{k: v / steps for k, v in sums.items()}, "steps": steps,
                  "seconds": time.perf_counter() - t0}
        if callback is not None:
            callback(model, record)
        history.append(record)
        if checkpoint_path is not None:
            _save(checkpoint_path, {
                "name": name, "config": model.config, "model": model.state_dict(),
                "optimizers": {k: o.state_dict() for k, o in optimizers.items()},
                "rng": torch.get_rng_state(),
                "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
                "history": history, "epoch": epoch + 1, "seed": seed, "lr": lr, "batch_size": batch_size,
            })
    return pd.DataFrame(history)


def _save(path, state: Dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic on POSIX: never a half-written checkpoint
