"""One run of chapter 01: a stage-1 classifier, or one arm (stage 2 if learned, then stage 3).

**Sharing stage 1.** An arm's spec embeds its stage-1 spec (``spec["parent"]``). The stage-1
run writes C's final weights to ``<work root>/01_stn_augment/stage1_models/<parent key>.pt``,
beside the run work folders (the executor deletes a run's own work folder after it is stored,
so the weights are kept one level up; the folder is git-ignored, ~0.5 MB per seed for
simple_cnn). An arm run loads that file when it is there, and otherwise re-trains stage 1 from
the parent spec in its own work folder (``<arm work folder>/stage1``, resumable) and writes the
file for its siblings. Both paths load the weights into a freshly built model, so C is the same
tensor values either way (on the same device and thread count training is deterministic).

Stage 2 is saved to ``<work folder>/stage2.pt`` once finished and stage 3 checkpoints every
epoch to ``<work folder>/stage3``: an interrupted arm resumes.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import numpy as np
import pandas as pd
import torch
import torch.nn as nn

from ...data import load
from ...models import create_model
from ...runstore import RunResult, spec_key
from ...stn import (AffineBounds, RandomAffineCallback, STNAugmentCallback, STNConfig, STNResult, build_stn,
                    describe_augmenter, discriminator_loss, train_augmenter)
from ...stn.diagnostics import NEAR_IDENTITY
from ...train import Callback, TrainConfig, Trainer
from .config import SNAPSHOT_CLASSES

DESCRIBE = 1000  # held-out images on which G's final warps are measured (or the whole test set if smaller)
TIMING = ("train_time_s", "images_per_s")  # wall times never go to the store


def load_data(d: Dict[str, Any]):
    train = load(d["name"], "train").subset(d["train_subset"] or None, seed=d["subset_seed"])
    test = load(d["name"], "test").subset(d["test_subset"] or None, seed=d["subset_seed"])
    return train, test


def snapshot_index(test) -> torch.Tensor:
    """The first test image of each of the first ``SNAPSHOT_CLASSES`` classes (Fig. 3's inputs)."""
    return torch.stack([(test.labels == k).nonzero()[0, 0] for k in range(SNAPSHOT_CLASSES)])


def stage1_cache(work_dir: os.PathLike, parent: Dict[str, Any]) -> Path:
    """Where the stage-1 run ``parent`` keeps C's final weights (beside the run work folders)."""
    return Path(work_dir).parent / "stage1_models" / f"{spec_key(parent)}.pt"


def new_classifier(spec: Dict[str, Any], train) -> nn.Module:
    torch.manual_seed(spec["seed"])  # the model's initialisation follows the seed
    return create_model(spec["model"], train.num_classes, train.images.shape[1])


def train_stage1(spec: Dict[str, Any], train, test, run_dir: os.PathLike) -> Trainer:
    trainer = Trainer(new_classifier(spec, train), TrainConfig(**spec["train"], seed=spec["seed"]), train, test, run_dir=run_dir)
    trainer.fit()
    return trainer


def _save_atomic(state: Dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def _cpu_state(model: nn.Module) -> Dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}


def stage1_classifier(parent: Dict[str, Any], train, test, work_dir: os.PathLike) -> nn.Module:
    """C after stage 1: from the parent's saved weights, else re-trained here (module docstring)."""
    cache = stage1_cache(work_dir, parent)
    if cache.is_file():
        state = torch.load(cache, map_location="cpu", weights_only=True)
    else:
        state = _cpu_state(train_stage1(parent, train, test, Path(work_dir) / "stage1").model)
        _save_atomic(state, cache)
    model = new_classifier(parent, train)
    model.load_state_dict(state)
    return model


# -- what stage 3 adds to each batch ---------------------------------------------------------------
def arm_callbacks(arm: str, G: Optional[nn.Module], bounds: Optional[Dict[str, float]], seed: int) -> List[Callback]:
    """Stage-3 callbacks: none (baseline), random affine copies inside ``bounds``
    (random_affine), or G's warps appended to each batch (learned arms)."""
    if arm == "baseline":
        return []
    if arm == "random_affine":
        return [RandomAffineCallback(AffineBounds(**bounds) if bounds is not None else AffineBounds(), seed=seed)]
    if G is None:
        raise ValueError(f"arm {arm!r} needs the stage-2 augmenter G")
    return [STNAugmentCallback(G)]


def cached_stage2(path: os.PathLike, G: nn.Module, D: Optional[nn.Module], train: Callable[[], STNResult]) -> STNResult:
    """Run ``train()`` (stage 2, which updates G and D in place) once and save G, D and its
    result to ``path``; later calls load them instead of training again."""
    path = Path(path)
    if path.exists():
        state = torch.load(path, weights_only=False)
        G.load_state_dict(state["G"])
        if D is not None and state["D"] is not None:
            D.load_state_dict(state["D"])
        return state["result"]
    result = train()
    _save_atomic({"G": G.state_dict(), "D": D.state_dict() if D is not None else None, "result": result}, path)
    return result


@torch.no_grad()
def describe_final(G, D, classifier, images, labels, to_input) -> Dict[str, float]:
    """G's final warps on held-out images: θ's distance from the identity and its parts, the
    entropy it adds, C's accuracy on x and G(x), and D's loss on x vs G(x) (arms with D)."""
    df = describe_augmenter(G, classifier, images, to_input, labels)
    out = {"g_theta_dist": df.distance.mean(), "g_theta_dist_max": df.distance.max(),
           "g_frac_near_identity": (df.distance < NEAR_IDENTITY).mean(),
           "g_rotation_deg": df.rotation_deg.abs().mean(), "g_translation": df.translation.mean(),
           "g_entropy_orig": df.entropy_orig.mean(), "g_entropy_aug": df.entropy_aug.mean(),
           "g_entropy_gain": (df.entropy_aug - df.entropy_orig).mean(), "g_acc_orig": df.correct_orig.mean(),
           "g_acc_aug": df.correct_aug.mean(), "g_pred_changed": df.pred_changed.mean()}
    if D is not None:
        device = next(classifier.parameters()).device
        real, fake = [], []
        for i in range(0, len(images), 256):
            x = to_input(images[i:i + 256].to(device))
            real.append(D(x)), fake.append(D(G(x)))
        out["d_loss_heldout"] = discriminator_loss(torch.cat(real), torch.cat(fake)).item()
    return {k: float(v) for k, v in out.items()}


def _finals(history: pd.DataFrame, trainer: Trainer, train, test) -> Dict[str, Any]:
    last = history.iloc[-1]
    return {"train_acc": float(last.train_acc), "test_acc": float(last.test_acc), "test_loss": float(last.test_loss),
            "train_loss": float(last.train_loss), "epochs": int(last.epoch), "n_train": len(train), "n_test": len(test),
            "n_params": sum(p.numel() for p in trainer.model.parameters())}


def execute(spec: Dict[str, Any], work_dir: os.PathLike) -> RunResult:
    """Run one spec of ``plan`` (stage 1, or an arm) with its checkpoints in ``work_dir``."""
    if spec.get("stage") == "stage1":
        return _execute_stage1(spec, work_dir)
    if spec.get("stage") == "arm":
        return _execute_arm(spec, work_dir)
    raise ValueError(f"spec has stage={spec.get('stage')!r}; chapter 01 runs are 'stage1' or 'arm' (build them with plan)")


def _execute_stage1(spec: Dict[str, Any], work_dir: os.PathLike) -> RunResult:
    train, test = load_data(spec["data"])
    trainer = train_stage1(spec, train, test, work_dir)
    _save_atomic(_cpu_state(trainer.model), stage1_cache(work_dir, spec))
    history = trainer.history_frame()
    # C's accuracy on its own training images, scored in eval mode after the last epoch: how sure C
    # is of the images G will warp (the running train_acc averages over the epoch's updates)
    metrics = {**_finals(history, trainer, train, test), "train_acc_eval": trainer.evaluate(train)["acc"]}
    return RunResult(metrics=metrics, history=history.drop(columns=list(TIMING), errors="ignore"),
                     provenance={"datasets": [train.meta, test.meta]})


def _execute_arm(spec: Dict[str, Any], work_dir: os.PathLike) -> RunResult:
    parent, seed, arm = spec["parent"], spec["seed"], spec["arm"]
    train, test = load_data(parent["data"])
    classifier = stage1_classifier(parent, train, test, work_dir)
    trainer = Trainer(classifier, TrainConfig(**spec["train"], seed=seed), train, test, run_dir=Path(work_dir) / "stage3")
    metrics: Dict[str, Any] = {}
    arrays: Dict[str, np.ndarray] = {}
    tables: Dict[str, pd.DataFrame] = {}
    G = None
    if "stn" in spec:  # stage 2: C frozen, G (and D) trained adversarially; stage 3 drops D
        cfg, s2 = STNConfig(**spec["stn"]), spec["stage2"]
        G, D = build_stn(cfg, in_channels=train.images.shape[1], seed=seed)
        snap = snapshot_index(test)
        result = cached_stage2(Path(work_dir) / "stage2.pt", G, D, lambda: train_augmenter(
            trainer.model, G, D, train.images, to_input=trainer.to_input, cfg=cfg, steps=s2["steps"], labels=train.labels,
            test_images=test.images, test_labels=test.labels, snapshot_images=test.images[snap],
            snapshot_every=s2["snapshot_every"], log_every=s2["log_every"], seed=seed, device=trainer.device))
        n = min(DESCRIBE, len(test))
        metrics.update(describe_final(G, D, trainer.model, test.images[:n], test.labels[:n], trainer.to_input))
        tables["stage2"] = result.history.set_index("step")
        arrays.update(snapshot_index=snap.numpy(), snapshot_steps=np.asarray(result.snapshots.steps),
                      snapshot_thetas=torch.stack(result.snapshots.thetas).numpy())
    trainer.callbacks.extend(arm_callbacks(arm, G, spec.get("bounds"), seed))
    history = trainer.fit()
    metrics = {**_finals(history, trainer, train, test), **metrics}
    return RunResult(metrics=metrics, history=history.drop(columns=list(TIMING), errors="ignore"), arrays=arrays,
                     tables=tables, provenance={"datasets": [train.meta, test.meta]})


__all__ = ["execute", "arm_callbacks", "cached_stage2", "stage1_cache", "stage1_classifier", "snapshot_index",
           "load_data", "describe_final"]
