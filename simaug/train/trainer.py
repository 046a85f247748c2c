"""A model-agnostic trainer over in-memory uint8 tensors (minGPT's ``Trainer`` with callbacks).

The whole split stays in memory (on the training device) as uint8; each step gathers a
batch, crops and flips it per image in one indexing op, converts and normalises it, and
runs forward/backward. No ``DataLoader`` workers, no per-sample Python transforms.

Reproducibility: the data order and augmentation of epoch ``e`` come from a generator
seeded with ``(seed, e)``, and every checkpoint holds the model, optimiser, scheduler,
global RNG state, history and callback states, so a killed run resumed from its last
checkpoint ends (on the CPU) with the same numbers as an uninterrupted one.
"""
from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm import tqdm

from ..data.image_set import ImageSet
from ..memory_format import is_channels_last
from ..metrics.confusion import confusion_matrix
from ..precision import autocast as precision_autocast
from ..precision import warn_if_emulated
from ..augment.crop_flip import RandomCropFlip
from ..augment.crop_source import CropSource
from ..augment.transform import BatchTransform
from ..callback import Callback
from .allocator import retain_freed_memory
from .checkpoint import load_checkpoint, save_checkpoint
from .config import TrainConfig

CROP_SOURCE_MAX_BYTES = 2 << 30  # the padded (and mirrored) copy of the training images the fast crop reads from


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {name!r} requested but CUDA is not available; use device='cpu' or 'auto'")
    return dev


def data_fingerprint(data: ImageSet) -> str:
    """A cheap identity of a training set (size, all labels, a strided sample of pixels), stored
    in checkpoints so that a resume on different data is refused instead of silently mixed."""
    import hashlib

    h = hashlib.sha256()
    h.update(str(tuple(data.images.shape)).encode())
    h.update(data.labels.cpu().numpy().tobytes())
    step = max(1, len(data) // 256)
    h.update(data.images[::step].contiguous().cpu().numpy().tobytes())
    return h.hexdigest()[:16]


def channel_stats(images: torch.Tensor, chunk: int = 10000) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std of uint8 images, in [0, 1] units."""
    n = images.shape[0]
    s = torch.zeros(images.shape[1], dtype=torch.float64)
    s2 = torch.zeros_like(s)
    for i in range(0, n, chunk):
        x = images[i : i + chunk].double().div_(255)
        s += x.sum((0, 2, 3))
        s2 += x.pow(2).sum((0, 2, 3))
    count = n * images.shape[2] * images.shape[3]
    mean = s / count
    std = (s2 / count - mean**2).clamp_min(1e-12).sqrt()
    return tuple(mean.tolist()), tuple(std.tolist())


class Trainer:
    """Train ``model`` on ``train_set``, evaluating on ``test_set`` every epoch.

    Args:
        model: any ``nn.Module`` mapping (B, C, H, W) float to (B, K) logits.
        config: a :class:`TrainConfig`.
        train_set, test_set: :class:`~simaug.data.ImageSet` (test optional).
        loss_fn: ``loss_fn(logits, targets) -> scalar``; default cross-entropy. If it has a
            ``state_dict`` (an ``nn.Module``), that is checkpointed too.
        callbacks: :class:`Callback` instances, called in order.
        run_dir: folder for ``checkpoint.pt`` (written atomically every epoch) and the
            history; with an existing checkpoint there, :meth:`fit` resumes from it.
        transform: the per-batch augmentation of the uint8 training images, a
            ``simaug.augment.BatchTransform`` drawing from the epoch's generator; default
            ``RandomCropFlip(padding=config.crop_padding, flip=config.flip)``. It is not
            part of the config: a resumed run must be given the same one. A plain
            ``RandomCropFlip`` on the CPU reads its batches out of a padded copy of the
            training images (:class:`~simaug.augment.crop_source.CropSource`: the same
            bytes, without a per-pixel gather) when that copy fits in ``CROP_SOURCE_MAX_BYTES``.

    Example:
        >>> trainer = Trainer(create_model("resnet20"), TrainConfig(epochs=2), train, test)  # doctest: +SKIP
        >>> history = trainer.fit()                                                      # doctest: +SKIP
    """

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig,
        train_set: ImageSet,
        test_set: Optional[ImageSet] = None,
        loss_fn=None,
        callbacks: Iterable[Callback] = (),
        run_dir: Optional[os.PathLike] = None,
        transform: Optional[BatchTransform] = None,
    ):
        self.config = config
        self.device = resolve_device(config.device)
        retain_freed_memory()  # no page faults for each step's activations (speed only; same results)
        warn_if_emulated(config.precision, self.device, stacklevel=2)  # bf16 without bf16 hardware: slow, kept
        self.memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
        self.model = model.to(self.device, memory_format=self.memory_format)
        self.train_set, self.test_set = train_set, test_set
        self.num_classes = train_set.num_classes
        self.loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
        if isinstance(self.loss_fn, nn.Module):
            self.loss_fn.to(self.device)
        self.callbacks: List[Callback] = list(callbacks)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        if config.normalize == "unit":
            mean, std = (0.0,) * train_set.images.shape[1], (1.0,) * train_set.images.shape[1]
        elif config.mean is not None and config.std is not None:
            mean, std = config.mean, config.std
        else:
            mean, std = channel_stats(train_set.images)
        self.mean = torch.tensor(mean, device=self.device).view(1, -1, 1, 1)
        self.std = torch.tensor(std, device=self.device).view(1, -1, 1, 1)
        self._image_stats: Dict[tuple, tuple] = {}  # image shape -> mean, std laid out like one channels_last image
        self.optimizer = self._build_optimizer()
        self.scheduler = self._build_scheduler()
        self._train_images = train_set.images.to(self.device)
        self._train_labels = train_set.labels.to(self.device)
        self.epoch = 0  # completed epochs
        self.step = 0  # completed optimiser steps
        self.history: List[Dict[str, Any]] = []
        self.train_cms: List[torch.Tensor] = []
        self.test_cms: List[torch.Tensor] = []
        self.train_cm: Optional[torch.Tensor] = None
        self.test_cm: Optional[torch.Tensor] = None
        self.generator: Optional[torch.Generator] = None  # this epoch's data generator
        if transform is None:  # cropped straight into the model's layout (same values)
            transform = RandomCropFlip(padding=config.crop_padding, flip=config.flip, channels_last=config.channels_last)
        if not isinstance(transform, BatchTransform) or transform.inputs:
            raise TypeError(f"transform must be a simaug.augment.BatchTransform without extra inputs, got {transform!r}; "
                            "for CAM-guided or learned augmentation use simaug.augment.AugmentCallback")
        self.transform = transform  # uint8 (B, C, H, W) -> uint8, on the device, before normalisation
        self._crop_source = self._make_crop_source()
        self.wall_time_s = 0.0  # seconds spent in fit(), summed over every resumed segment (checkpointed)
        self.initial_loss: Optional[float] = None  # the first step's loss: the divergence check's yardstick
        self._diverging = 0  # consecutive steps with a loss above the divergence limit
        self._saved_epoch: Optional[int] = None  # the epoch of the checkpoint in run_dir, once one exists

    # -- construction ---------------------------------------------------------------
    def _make_crop_source(self) -> Optional[CropSource]:
        """The crop-and-flip read straight out of a padded copy of the training images
        (the same batches, ~5x faster here; :mod:`simaug.augment.crop_source`), when the
        transform is a plain ``RandomCropFlip`` on the CPU and the copy fits in
        ``CROP_SOURCE_MAX_BYTES``; None otherwise (the transform is applied per batch)."""
        t, images = self.transform, self._train_images
        if type(t) is not RandomCropFlip or images.device.type != "cpu" or not (t.padding or t.flip):
            return None
        if CropSource.bytes_for(images, t) > CROP_SOURCE_MAX_BYTES:
            return None
        return CropSource(images, t)

    def _build_optimizer(self) -> torch.optim.Optimizer:
        c, params = self.config, [p for p in self.model.parameters() if p.requires_grad]
        if c.optimizer == "sgd":
            return torch.optim.SGD(params, lr=c.lr, momentum=c.momentum, nesterov=c.nesterov, weight_decay=c.weight_decay)
        return torch.optim.Adam(params, lr=c.lr, betas=c.betas, eps=c.eps, weight_decay=c.weight_decay)

    def _build_scheduler(self):
        c = self.config
        if c.schedule == "multistep":
            return torch.optim.lr_scheduler.MultiStepLR(self.optimizer, list(c.milestones), c.gamma)
        if c.schedule == "cosine":
            return torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=c.epochs)
        return torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda e: 1.0)

    # -- data -------------------------------------------------------------------------
    def to_input(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 (B, C, H, W) -> normalised float on the device, in the model's memory format."""
        # The arithmetic in place in the batch's own layout, then (for an NCHW batch) the
        # layout change: the same values, bit for bit, as (x / 255 - mean) / std out of place.
        # A (1, C, 1, 1) broadcast over channels_last runs ~20x slower than over NCHW on CPU,
        # and a uint8 channels_last copy costs as much as a float one (measured at batch
        # 128), so converting an NCHW batch's layout first, on the bytes, is the slower order.
        x = images.to(self.device, non_blocking=True)
        if self.memory_format == torch.channels_last and x.dtype == torch.uint8 and is_channels_last(x):
            # uint8 already in the model's layout (the default crop writes it so): the same
            # arithmetic on the float copy, which keeps that layout, with mean and std laid
            # out like one image (a (1, C, 1, 1) broadcast over channels_last is the slow case)
            shape = tuple(x.shape[1:])
            if shape not in self._image_stats:  # mean and std as one (1, C, H, W) channels_last image
                self._image_stats[shape] = tuple(t.expand(1, *shape).contiguous(memory_format=torch.channels_last)
                                                 for t in (self.mean, self.std))
            mean, std = self._image_stats[shape]
            return x.to(torch.float32).div_(255).sub_(mean).div_(std)
        # copy=True: a float batch passed in is never modified by the in-place arithmetic
        x = x.to(torch.float32, copy=True).div_(255).sub_(self.mean).div_(self.std)
        return x.contiguous(memory_format=self.memory_format)

    def _epoch_generator(self, epoch: int) -> torch.Generator:
        return torch.Generator().manual_seed(self.config.seed * 1_000_003 + epoch)

    def _batches(self, epoch: int):
        c, n = self.config, len(self.train_set)
        self.generator = self._epoch_generator(epoch)
        order = torch.randperm(n, generator=self.generator).to(self.device)
        if self._crop_source is not None and not self._crop_source.made_for(self.transform):
            self._crop_source = self._make_crop_source()  # the transform was replaced or changed
        for i in range(0, n, c.batch_size):
            idx = order[i : i + c.batch_size]
            if len(idx) < 2:  # a batch of one breaks batch norm; drop it
                break
            # index_select, not images[idx]: the same rows, ~20x faster on CPU for a uint8 batch
            if self._crop_source is not None and self._crop_source.made_for(self.transform):
                xb = self._crop_source(idx, self.generator)  # the same batch as below, without the gather
            else:
                xb = self.transform(self._train_images.index_select(0, idx), generator=self.generator)  # (B, C, H, W) uint8
            yield self.to_input(xb), self._train_labels.index_select(0, idx)

    # -- loop -------------------------------------------------------------------------
    def autocast(self):
        """The context for a forward pass at ``config.precision`` on the trainer's device
        (bf16 autocast or a no-op); training, evaluation and the CAM pass run inside it.
        Callbacks that run the model (e.g. a CAM pass) use ``with trainer.autocast(): ...``."""
        return precision_autocast(self.config.precision, self.device)

    def _call(self, hook: str, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(self, *args)

    def training_step(self, x: torch.Tensor, y: torch.Tensor) -> Dict[str, Any]:
        with self.autocast():  # forward + loss at config.precision; backward and step outside, in fp32
            logits = self.model(x)
            loss = self.loss_fn(logits, y)
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"loss is {loss.item()} at epoch {self.epoch + 1}, step {self.step}: training diverged. "
                f"Lower the learning rate (lr={self.config.lr}) or check the inputs; " + self._checkpoint_note("last good")
            )
        self._check_divergence(loss.detach().item())
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"loss": loss.detach().float(), "logits": logits.detach().float(), "targets": y}

    def train_epoch(self, epoch: int) -> Dict[str, Any]:
        self.model.train()
        k = self.num_classes
        cm = torch.zeros(k, k, dtype=torch.long, device=self.device)
        loss_sum, seen = torch.zeros((), device=self.device), 0
        steps = math.ceil(len(self.train_set) / self.config.batch_size)
        show = self.config.progress if self.config.progress is not None else sys.stderr.isatty()
        t0 = time.perf_counter()
        for x, y in tqdm(self._batches(epoch), total=steps, disable=not show, leave=False, desc=f"epoch {epoch + 1}"):
            for cb in self.callbacks:
                replaced = cb.on_batch_start(self, x, y)
                if replaced is not None:
                    x, y = replaced
            out = self.training_step(x, y)
            self.step += 1
            out["step"] = self.step
            cm += confusion_matrix(out["logits"].argmax(1), out["targets"], k)
            loss_sum += out["loss"] * len(out["targets"])
            seen += len(out["targets"])
            self._call("on_batch_end", out)
        wall = time.perf_counter() - t0
        self.train_cm = cm.cpu()
        return {"train_loss": float(loss_sum) / max(seen, 1), "train_acc": float(cm.diagonal().sum()) / max(seen, 1),
                "train_images": seen, "train_time_s": wall, "images_per_s": seen / wall}

    @torch.no_grad()
    def predict(self, images: torch.Tensor, batch_size: Optional[int] = None) -> torch.Tensor:
        """Logits (N, K) on the CPU for uint8 images, in eval mode (the mode is restored)."""
        was_training = self.model.training
        self.model.eval()
        bs = batch_size or self.config.eval_batch_size
        try:
            with self.autocast():
                return torch.cat([self.model(self.to_input(images[i : i + bs])).float().cpu() for i in range(0, len(images), bs)])
        finally:
            self.model.train(was_training)

    def evaluate(self, data: ImageSet) -> Dict[str, Any]:
        logits = self.predict(data.images)
        loss = F.cross_entropy(logits, data.labels).item()
        cm = confusion_matrix(logits.argmax(1), data.labels, self.num_classes)
        return {"loss": loss, "acc": float(cm.diagonal().sum()) / len(data), "cm": cm}

    def fit(self) -> pd.DataFrame:
        """Train for ``config.epochs`` (resuming from ``run_dir`` if a checkpoint is there)."""
        c = self.config
        if self.run_dir is not None and (self.run_dir / "checkpoint.pt").exists():
            self.load_checkpoint(self.run_dir / "checkpoint.pt")
            if self.epoch < c.epochs:
                print(f"resuming {self.run_dir} at epoch {self.epoch + 1}/{c.epochs}", flush=True)
            else:
                print(f"{self.run_dir} is complete ({self.epoch}/{c.epochs} epochs); nothing to train", flush=True)
        t_start, wall_before = time.perf_counter(), self.wall_time_s
        self._call("on_fit_start")
        for epoch in range(self.epoch, c.epochs):
            self._call("on_epoch_start", epoch)
            record: Dict[str, Any] = {"epoch": epoch + 1, "lr": self.optimizer.param_groups[0]["lr"]}
            record.update(self.train_epoch(epoch))
            self.train_cms.append(self.train_cm)
            if self.test_set is not None and ((epoch + 1) % c.eval_every == 0 or epoch + 1 == c.epochs):
                ev = self.evaluate(self.test_set)
                self.test_cm = ev["cm"]
                record.update(test_loss=ev["loss"], test_acc=ev["acc"])
            else:
                self.test_cm = None
            self.test_cms.append(self.test_cm)
            self.scheduler.step()
            self._call("on_epoch_end", epoch, record)
            self.history.append(record)
            self.epoch = epoch + 1
            if c.verbose:
                print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()), flush=True)
            self.wall_time_s = wall_before + time.perf_counter() - t_start
            if self.run_dir is not None:
                self.save_checkpoint(self.run_dir / "checkpoint.pt")
        self.wall_time_s = wall_before + time.perf_counter() - t_start
        self._call("on_fit_end")
        return self.history_frame()

    # -- results and checkpoints ----------------------------------------------------------
    def history_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.history)

    def save_history(self, folder: os.PathLike) -> Path:
        """Write ``history.csv``, ``history.parquet`` and the confusion matrices (``cms.pt``)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        df = self.history_frame()
        df.to_csv(folder / "history.csv", index=False)
        df.to_parquet(folder / "history.parquet", index=False)
        torch.save({"train": self.train_cms, "test": self.test_cms, "classes": self.train_set.classes}, folder / "cms.pt")
        return folder

    def state_dict(self) -> Dict[str, Any]:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "loss_fn": self.loss_fn.state_dict() if hasattr(self.loss_fn, "state_dict") else None,
            "callbacks": [cb.state_dict() for cb in self.callbacks],
            "epoch": self.epoch,
            "step": self.step,
            "history": self.history,
            "train_cms": self.train_cms,
            "test_cms": self.test_cms,
            "rng_cpu": torch.get_rng_state(),
            "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
            "config": self.config.to_dict(),
            "data": data_fingerprint(self.train_set),
            "model_class": type(self.model).__name__,
            "wall_time_s": self.wall_time_s,
            "initial_loss": self.initial_loss,
            # float sums depend on the thread count: a run resumed at another count is not
            # bit-identical to an uninterrupted one (simaug.run resumes at this count)
            "threads": torch.get_num_threads(),
        }

    def save_checkpoint(self, path: os.PathLike) -> None:
        save_checkpoint(self.state_dict(), path)
        self._saved_epoch = self.epoch

    def load_checkpoint(self, path: os.PathLike) -> None:
        state = load_checkpoint(path)
        saved = dict(state["config"])
        saved.setdefault("precision", "fp32")  # checkpoints from before the field trained in fp32
        now = self.config.to_dict()
        ignore = {"epochs", "device", "progress", "verbose", "eval_batch_size"}
        diff = {k: (saved.get(k), now[k]) for k in now if k not in ignore and _norm(saved.get(k)) != _norm(now[k])}
        if diff:
            raise ValueError(f"checkpoint {path} was written with other settings {diff} (saved, now); "
                             f"use another run_dir or the same config to resume")
        saved_data, now_data = state.get("data"), data_fingerprint(self.train_set)
        if saved_data is not None and saved_data != now_data:
            raise ValueError(f"checkpoint {path} was trained on other data (fingerprint {saved_data}, now {now_data}: "
                             f"another subset, split or label noise); use another run_dir or delete {Path(path).parent}")
        self._load_model_state(path, state)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if state["loss_fn"] is not None and hasattr(self.loss_fn, "load_state_dict"):
            self.loss_fn.load_state_dict(state["loss_fn"])
        if len(state["callbacks"]) != len(self.callbacks):
            raise ValueError(f"checkpoint {path} has {len(state['callbacks'])} callback states, the trainer {len(self.callbacks)} callbacks")
        for cb, s in zip(self.callbacks, state["callbacks"]):
            cb.load_state_dict(s)
        self.epoch, self.step, self.history = state["epoch"], state["step"], state["history"]
        self.train_cms, self.test_cms = state["train_cms"], state["test_cms"]
        self.train_cm = self.train_cms[-1] if self.train_cms else None
        self.test_cm = self.test_cms[-1] if self.test_cms else None
        torch.set_rng_state(state["rng_cpu"])
        if state["rng_cuda"] is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng_cuda"])
        self.wall_time_s = float(state.get("wall_time_s") or 0.0)
        self.initial_loss = state.get("initial_loss")
        self._saved_epoch = self.epoch
        self._fit_cosine_to_epochs(int(saved.get("epochs") or self.config.epochs))

    def _load_model_state(self, path: os.PathLike, state: Dict[str, Any]) -> None:
        """Load the checkpoint's weights; another architecture is a clear error, not a key dump."""
        try:
            self.model.load_state_dict(state["model"])
            return
        except RuntimeError:
            pass
        saved, now = state["model"], self.model.state_dict()
        missing, unexpected = sorted(set(now) - set(saved)), sorted(set(saved) - set(now))
        shapes = [k for k in now if k in saved and tuple(now[k].shape) != tuple(saved[k].shape)]
        detail = []
        if missing:
            detail.append(f"{len(missing)} tensors of this model are not in it (e.g. {missing[:3]})")
        if unexpected:
            detail.append(f"{len(unexpected)} of its tensors are not in this model (e.g. {unexpected[:3]})")
        if shapes:
            k = shapes[0]
            detail.append(f"{len(shapes)} shapes differ (e.g. {k}: {tuple(saved[k].shape)} saved, {tuple(now[k].shape)} now)")
        was = f" ({state['model_class']})" if state.get("model_class") else ""
        raise ValueError(
            f"checkpoint {path} holds the weights of another model{was} than this {type(self.model).__name__}: "
            f"{'; '.join(detail) or 'the weights do not load'}. Resume with the model it was trained with, "
            f"or use another run_dir (or delete {path} to start afresh)"
        ) from None

    def _fit_cosine_to_epochs(self, saved_epochs: int) -> None:
        """A cosine run resumed with another ``epochs``: rebuild the schedule for the new length.

        The finished epochs keep the learning rates they ran at; from epoch ``e`` on the rate is
        the closed form of the new schedule, ``lr * (1 + cos(pi * e / epochs)) / 2``, exactly what
        an uninterrupted run of the new length uses there.
        """
        c, s = self.config, self.scheduler
        if c.schedule != "cosine" or s.T_max == c.epochs or self.epoch >= c.epochs:
            return
        old = s.T_max
        s.T_max = c.epochs
        lrs = [s.eta_min + (base - s.eta_min) * (1 + math.cos(math.pi * s.last_epoch / c.epochs)) / 2 for base in s.base_lrs]
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        s._last_lr = list(lrs)
        print(f"cosine schedule rebuilt for {c.epochs} epochs (the checkpoint's run had {old}): "
              f"epochs 1-{self.epoch} ran on the {old}-epoch schedule; from epoch {self.epoch + 1} on the lr follows the "
              f"{c.epochs}-epoch one (now {lrs[0]:.4g})",
              flush=True)

    # -- failure checks -------------------------------------------------------------------
    divergence_factor = 100.0  # the loss limit, as a multiple of max(first loss, ln K)
    divergence_steps = 20  # consecutive steps above the limit that count as diverged

    def _checkpoint_note(self, what: str = "last") -> str:
        if self.run_dir is None:
            return "no checkpoint was kept (no run_dir)"
        path = self.run_dir / "checkpoint.pt"
        if self._saved_epoch is not None and path.exists():
            return f"the {what} checkpoint is {path} (after epoch {self._saved_epoch})"
        return f"no checkpoint was written yet ({path} is written at the end of each epoch)"

    def _check_divergence(self, loss: float) -> None:
        """Stop a run whose loss stays far above where it started (BatchNorm can keep a
        diverged network finite: lr=1e6 ends at chance with a loss of ~1e6 and no NaN)."""
        if self.initial_loss is None:
            self.initial_loss = loss
            return
        limit = self.divergence_factor * max(self.initial_loss, math.log(max(self.num_classes, 2)))
        self._diverging = self._diverging + 1 if loss > limit else 0
        if self._diverging >= self.divergence_steps:
            raise FloatingPointError(
                f"training diverged: the loss has stayed above {limit:.4g} ({self.divergence_factor:g} x max(first loss "
                f"{self.initial_loss:.4g}, ln {self.num_classes} classes)) for {self._diverging} steps and is {loss:.4g} "
                f"at epoch {self.epoch + 1}, step {self.step}. Lower the learning rate (lr={self.config.lr}) or check the "
                f"inputs; " + self._checkpoint_note()
            )


def _norm(v):
    return list(v) if isinstance(v, (tuple, list)) else v
