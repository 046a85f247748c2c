"""One training run of a loss "arm" for the CR-loss comparison (Lim & Kim, 2021, Table 3).

An arm is a loss by name — ``"default"`` (cross-entropy), ``"cr"`` (confusion-rate weighted
cross-entropy with strength ``k``, plus its epoch callback) or ``"pc"`` (Pairwise Confusion
with weight ``pc_lambda``) — trained on one seed with one model. Every arm keeps its
per-epoch training confusion matrices, so the CR a model *would* have fed the loss can be
read off the default run too.

Example::

    run = fit_arm("cr", train, test, model_name="simple_cnn", seed=0, k=3.0,
                  config=dict(epochs=5, lr=0.01, batch_size=128))
    run.history.test_acc.iloc[-1], run.cr_history().shape   # (E, K, K)
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Dict, List, Optional

import pandas as pd
import torch
import torch.nn.functional as F

from simaug.data.image_set import ImageSet
from simaug.losses._factory import create_loss
from simaug.losses.confusion_rate import confusion_rate
from simaug.losses.cr_callback import ConfusionRateCallback

ARMS = ("default", "cr", "pc")


def resize_set(data: ImageSet, size: int) -> ImageSet:
    """The same images resampled to ``size`` x ``size`` (area averaging; a no-op at the same size).

    Used to run the 64x64 Hangul set at 32x32 when CPU time is short.
    """
    if data.images.shape[-1] == size and data.images.shape[-2] == size:
        return data
    x = F.interpolate(data.images.float(), size=(size, size), mode="area")  # (N, C, size, size)
    meta = dict(data.meta, resized_to=int(size))
    return replace(data, images=x.round().clamp(0, 255).to(torch.uint8), meta=meta)


def make_loss(arm: str, num_classes: int, k: float = 3.0, pc_lambda: float = 0.1):
    """``(loss, callbacks)`` of an arm (see the module docstring)."""
    if arm == "default":
        return create_loss("cross_entropy", num_classes=num_classes), []
    if arm == "cr":
        loss = create_loss("cr", num_classes=num_classes, k=float(k))
        return loss, [ConfusionRateCallback(loss)]
    if arm == "pc":
        return create_loss("pairwise_confusion", num_classes=num_classes, lam=float(pc_lambda)), []
    raise ValueError(f"unknown arm {arm!r}; choose one of {ARMS}")


@dataclass
class ArmRun:
    """The result of :func:`fit_arm`: history (one row per epoch, tagged with arm, k, seed),
    the trainer (``train_cms``, ``test_cms``, ``predict``) and the CR callback (or None)."""

    history: pd.DataFrame
    trainer: Any
    callback: Optional[ConfusionRateCallback]

    def cr_history(self) -> torch.Tensor:
        """CR of each epoch's training confusion matrix, (E, K, K) — what the CR loss uses
        in the next epoch (identical to the callback's record for the ``cr`` arm)."""
        return torch.stack([confusion_rate(cm) for cm in self.trainer.train_cms])


def fit_arm(arm: str, train: ImageSet, test: ImageSet, *, model_name: str, seed: int, config: Dict[str, Any],
            k: float = 3.0, pc_lambda: float = 0.1, run_dir=None, model_kw: Optional[Dict[str, Any]] = None) -> ArmRun:
    """Train one arm on one seed (model init and data order follow ``seed``); resumes from
    ``run_dir`` if it holds a checkpoint."""
    from simaug.models import create_model
    from simaug.train import Trainer, TrainConfig

    torch.manual_seed(seed)
    kw = dict(model_kw or {})
    if model_name == "simple_cnn":  # its dense layer depends on the input size
        kw.setdefault("image_size", train.images.shape[-1])
    model = create_model(model_name, train.num_classes, train.images.shape[1], **kw)
    loss, callbacks = make_loss(arm, train.num_classes, k=k, pc_lambda=pc_lambda)
    trainer = Trainer(model, TrainConfig.from_dict({**config, "seed": seed}), train, test,
                      loss_fn=loss, callbacks=callbacks, run_dir=run_dir)
    history = trainer.fit().assign(arm=arm, k=float(k) if arm == "cr" else 0.0, seed=seed)
    if run_dir is not None:
        trainer.save_history(run_dir)
    return ArmRun(history, trainer, callbacks[0] if callbacks else None)


def per_class_table(runs: Dict[str, List[ArmRun]], classes) -> pd.DataFrame:
    """Test accuracy per class (%), mean over seeds, one column per arm (the paper's Table 2)."""
    cols = {}
    for arm, arm_runs in runs.items():
        accs = [r.trainer.test_cm.diagonal().double() / r.trainer.test_cm.sum(1).double().clamp_min(1) for r in arm_runs]
        cols[arm] = (100 * torch.stack(accs).mean(0)).numpy()
    return pd.DataFrame(cols, index=list(classes))
