"""The generator run: a class-conditional generator trained on real CIFAR-10 training images,
and the generated training sets derived from it.

The run stores its loss history, a small sample grid and the sha256 of its final weights; the
weights themselves go to ``<work>/_generators/<key>.pt`` (``<work>`` = the parent of the
runs' work folders, git-ignored), never to the store. A classifier run on generated images
loads them from there, or re-trains the generator from its spec (resumable, in its own
work folder) when they are missing, e.g. on another machine.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Tuple

import torch
from torch import nn

from ...data import ImageSet, load
from ...data.checksum import tensor_digest
from ...generative import create_generator, load_generator, sample, save_generator, train_generator, weights_digest
from ...runstore import RunResult, spec_key
from ...train.trainer import resolve_device


def weights_path(generator: Dict[str, Any], work_dir) -> Path:
    """Where the generator run leaves its final weights: beside the runs' work folders."""
    return Path(work_dir).parent / "_generators" / f"{spec_key(generator)}.pt"


def _real_images(spec: Dict[str, Any]) -> ImageSet:
    d = spec["data"]
    return load(d["name"], d["split"]).subset(d["subset"] or None, seed=d["subset_seed"])


def train(spec: Dict[str, Any], folder) -> Tuple[nn.Module, Any, ImageSet]:
    """Train (or resume) the generator of ``spec`` with its checkpoint in ``folder``."""
    real = _real_images(spec)
    g, t = spec["generator"], spec["train"]
    torch.manual_seed(spec["seed"])  # the initial weights; train_generator seeds the rest
    model = create_generator(g["name"], num_classes=real.num_classes, width=g["width"])
    history = train_generator(model, real.images, real.labels, epochs=t["epochs"], batch_size=t["batch_size"], lr=t["lr"],
                              seed=spec["seed"], device=resolve_device(t["device"]),
                              checkpoint_path=Path(folder) / "checkpoint.pt")
    return model.cpu(), history, real


def execute_generator(spec: Dict[str, Any], work_dir) -> RunResult:
    model, history, real = train(spec, work_dir)
    save_generator(model, weights_path(spec, work_dir))
    k = real.num_classes
    labels = torch.arange(k).repeat_interleave(spec["grid"]["per_class"])
    grid = sample(model, labels, seed=spec["grid"]["latent_seed"])
    last = history.iloc[-1]
    losses = {c: float(last[c]) for c in history.columns if c not in ("epoch", "steps", "seconds")}
    metrics = {"epochs": int(last.epoch), "steps": int(history.steps.sum()), "n_train": len(real),
               "n_params": sum(p.numel() for p in model.parameters()), "generator_sha256": weights_digest(model),
               **{f"final_{c}": v for c, v in losses.items()}}
    return RunResult(metrics=metrics, history=history.drop(columns=["seconds"]),
                     arrays={"samples": grid.numpy(), "sample_labels": labels.numpy()},
                     provenance={"datasets": [real.meta]})


def generator_for(generator: Dict[str, Any], work_dir) -> nn.Module:
    """The trained generator of a generator spec: its saved weights, or a re-training."""
    path = weights_path(generator, work_dir)
    if path.is_file():
        return load_generator(path)
    print(f"generator {spec_key(generator)}: no saved weights beside this run's work folder; re-training it from its spec "
          "(bit-identical on the same device and thread count)", flush=True)
    model, _, _ = train(generator, Path(work_dir) / "generator")
    save_generator(model, path)
    return model


def generated_set(generator: Dict[str, Any], n: int, latent_seed: int, classes, work_dir) -> ImageSet:
    """``n`` class-balanced generated images (labels sorted) with their provenance in ``meta``."""
    model = generator_for(generator, work_dir)
    labels = (torch.arange(n) % len(classes)).sort().values
    images = sample(model, labels, seed=latent_seed).cpu()
    meta = {"name": "cifar10-generated", "split": "train", "generator_run": spec_key(generator),
            "generator_sha256": weights_digest(model), "latent_seed": latent_seed, "n": n,
            "images_sha256": tensor_digest(images), "labels_sha256": tensor_digest(labels)}
    return ImageSet(images, labels, list(classes), meta)
