"""One run of the chapter: a loss on a data set with one seed (``execute``).

A run stores its history (one row per epoch; test values only at the evaluated epochs), the
training confusion matrix of every epoch (from which the CR the loss used in the next epoch
follows, for every arm), the final test confusion matrix, and for CR runs how much of the
training loss the weighting acted on.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from ...data import ImageSet, add_label_noise, load
from ...losses import ConfusionRateCallback, CRLoss, create_loss
from ...models import create_model
from ...runstore import RunResult
from ...train import Trainer, TrainConfig
from ...callback import Callback


def resize_set(data: ImageSet, size: int) -> ImageSet:
    """The same images resampled to ``size`` x ``size`` (area averaging; a no-op at the same size).

    Used to run the 64x64 Hangul set at 32x32, a quarter of the CPU cost.
    """
    if data.images.shape[-1] == size and data.images.shape[-2] == size:
        return data
    x = F.interpolate(data.images.float(), size=(size, size), mode="area")  # (N, C, size, size)
    meta = dict(data.meta, resized_to=int(size))
    return replace(data, images=x.round().clamp(0, 255).to(torch.uint8), meta=meta)


def load_data(data: Dict[str, Any]) -> Tuple[ImageSet, ImageSet]:
    """``(train, test)`` of a data spec (see :func:`~.config.data_spec`).

    CIFAR-10: a class-balanced subset of the clean training set, then exactly ``noise_rate``
    of the subset's images of the eight paired classes flipped to their partner (cat/dog,
    automobile/truck, deer/horse, airplane/ship; bird and frog are never flipped, so 10%
    pair-flip noise is 8% of all labels); the test set stays clean.
    """
    if data["name"] == "cifar10":
        train = load("cifar10", "train").subset(data["train_subset"] or None, seed=data["subset_seed"])
        test = load("cifar10", "test").subset(data["test_subset"] or None, seed=data["subset_seed"])
        if data["noise_rate"]:
            noisy, flipped = add_label_noise(train.labels, data["noise_rate"], mode=data["noise_mode"],
                                             num_classes=train.num_classes, seed=data["noise_seed"])
            meta = dict(train.meta, label_noise={"rate": data["noise_rate"], "mode": data["noise_mode"],
                                                 "seed": data["noise_seed"], "flipped": int(flipped.sum())})
            train = replace(train, labels=noisy, meta=meta)
        return train, test
    if data["name"] == "hangul-confusable":
        train = load("hangul-confusable", "train", n_per_class=data["train_per_class"], seed=data["train_seed"])
        test = load("hangul-confusable", "test", n_per_class=data["test_per_class"], seed=data["test_seed"])
        return resize_set(train, data["size"]), resize_set(test, data["size"])
    raise ValueError(f"unknown data set {data['name']!r} in a run spec of chapter 00")


def glyphs(size: int) -> Tuple[np.ndarray, np.ndarray, List[str]]:
    """One clean, centred test-font glyph per Hangul class at ``size`` pixels:
    ``(images (45, 1, size, size) uint8, labels (45,), classes)``."""
    g = resize_set(load("hangul-confusable", "test", n_per_class=1, seed=0, jitter=False), size)
    return g.images.numpy(), g.labels.numpy(), list(g.classes)


class LossShareCallback(Callback):
    """How much of a CR run's training loss the weighting acts on, per epoch.

    From the same forward passes the loss used (the logits of each step), with the CR of the
    epoch in progress: ``w_i = 1 + k H_i [y_i != ŷ_i]`` and ``CE_i``. Keys added to the
    epoch's history row: ``cr_loss_sum`` (``sum w CE``), ``cr_extra_loss_sum``
    (``sum (w - 1) CE``), ``cr_loss_share`` (their ratio: the share of the objective that
    the re-weighting adds), ``cr_errors`` (misclassified samples) and
    ``cr_extra_weight_per_error`` (``sum (w - 1) / errors``: k times the mean pair entropy of
    the errors, which falls only when confusions turn one-sided, not merely rarer).
    """

    def __init__(self, loss: CRLoss):
        self.loss = loss
        self._reset()

    def _reset(self) -> None:
        self.total = self.extra = self.extra_weight = 0.0
        self.errors = 0

    def on_epoch_start(self, trainer, epoch: int) -> None:
        self._reset()

    @torch.no_grad()
    def on_batch_end(self, trainer, out: Dict[str, Any]) -> None:
        logits, y = out["logits"], out["targets"]
        w = self.loss.weights(logits, y).double()  # (B,)
        ce = F.cross_entropy(logits, y.long(), reduction="none").double()  # (B,)
        self.total += float((w * ce).sum())
        self.extra += float(((w - 1) * ce).sum())
        self.extra_weight += float((w - 1).sum())
        self.errors += int((logits.argmax(1) != y).sum())

    def on_epoch_end(self, trainer, epoch: int, record: Dict[str, Any]) -> None:
        record["cr_loss_sum"] = self.total
        record["cr_extra_loss_sum"] = self.extra
        record["cr_loss_share"] = self.extra / self.total if self.total > 0 else 0.0
        record["cr_errors"] = self.errors
        record["cr_extra_weight_per_error"] = self.extra_weight / self.errors if self.errors else 0.0


def build_loss(loss: Dict[str, Any], num_classes: int):
    """``(loss_fn, callbacks)`` of a loss spec; CR brings its epoch callback and the share logger."""
    kw = {k: v for k, v in loss.items() if k != "name"}
    fn = create_loss(loss["name"], num_classes=num_classes, **kw)
    if isinstance(fn, CRLoss):
        return fn, [ConfusionRateCallback(fn), LossShareCallback(fn)]
    return fn, []


def shares(history) -> Dict[str, float]:
    """Integrated and last-epoch shares of a CR run's history: samples re-weighted (weighted by
    each epoch's images), loss from re-weighting (sum over epochs of the extra loss over the
    sum of the loss), and the extra weight per misclassified sample."""
    n = history["train_images"].astype(float)
    last = history.iloc[-1]
    return {
        "cr_weighted_share_integrated": float((history["cr_weighted_frac"] * n).sum() / n.sum()),
        "cr_loss_share_integrated": float(history["cr_extra_loss_sum"].sum() / max(history["cr_loss_sum"].sum(), 1e-300)),
        "cr_weighted_share_last": float(last["cr_weighted_frac"]),
        "cr_loss_share_last": float(last["cr_loss_share"]),
        "cr_loss_share_peak": float(history["cr_loss_share"].max()),
        "cr_extra_weight_per_error_last": float(last["cr_extra_weight_per_error"]),
        "cr_mean_weight_last": float(last["cr_mean_weight"]),
    }


def execute(spec: Dict[str, Any], work_dir: Optional[Any] = None) -> RunResult:
    """Train one run of :func:`~.config.plan`; checkpoints go to ``work_dir`` (resumable)."""
    train, test = load_data(spec["data"])
    torch.manual_seed(spec["seed"])
    kw = {"image_size": train.images.shape[-1]} if spec["model"] == "simple_cnn" else {}  # its dense layer depends on it
    model = create_model(spec["model"], train.num_classes, train.images.shape[1], **kw)
    loss, callbacks = build_loss(spec["loss"], train.num_classes)
    config = TrainConfig.from_dict({**spec["train"], "seed": spec["seed"], "precision": spec["precision"]})
    trainer = Trainer(model, config, train, test, loss_fn=loss, callbacks=callbacks, run_dir=work_dir)
    history = trainer.fit().drop(columns=["train_time_s", "images_per_s"], errors="ignore")
    last = history.iloc[-1]
    metrics = {"train_acc": float(last.train_acc), "test_acc": float(last.test_acc), "train_loss": float(last.train_loss),
               "test_loss": float(last.test_loss), "epochs": int(last.epoch), "n_train": len(train), "n_test": len(test),
               "n_params": sum(p.numel() for p in model.parameters()), "classes": list(train.classes)}
    if "label_noise" in train.meta:
        metrics["noisy_share"] = train.meta["label_noise"]["flipped"] / len(train)
    if isinstance(loss, CRLoss):
        metrics.update(shares(history))
    cms = torch.stack([torch.as_tensor(cm) for cm in trainer.train_cms]).numpy()  # (E, K, K)
    dtype = np.uint16 if len(train) < 2**16 else np.int32  # counts; small in the store
    return RunResult(metrics=metrics, history=history,
                     arrays={"train_cms": cms.astype(dtype), "test_cm": trainer.test_cm.numpy().astype(np.int32)},
                     provenance={"datasets": [train.meta, test.meta]})

