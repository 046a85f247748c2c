"""Study of notebook 04: the TensorFlow tutorial's CNN on CIFAR-10 (Adam, batch 32, 10 epochs).

One run per seed; a run stores its history, the test confusion matrix and the predicted
probabilities of a fixed sample of test images (for the tutorial's probability-bar figure).
Its claims (the tutorial's single-run test accuracy 0.7122 and train accuracy 0.7763, each read
against the 95% prediction interval of one new run of ours) are judged in
:mod:`simaug.report.chapters.cifar10_cnn`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Sequence

import numpy as np
import pandas as pd
import torch

from ..data import load
from ..metrics.confusion import per_class_accuracy
from ..models import create_model
from ..runstore import RunResult, StoredRun
from ..train import TrainConfig, Trainer
from ._config import StudyConfig
from ._study import base_spec

NAME = "04_cifar10_cnn"
VERSION = 1
SAMPLE = 240  # test images whose predicted probabilities each run keeps (a fixed draw, seed 0)
TUTORIAL = {"test_acc": 0.7122, "train_acc": 0.7763, "params": 122_570, "epochs": 10}


@dataclass
class Config(StudyConfig):
    model_name: str = "simple_cnn"
    train_subset: int = 10000
    test_subset: int = 0
    epochs: int = 3
    batch_size: int = 32
    lr: float = 0.001
    precision: str = "fp32"
    seeds: List[int] = None  # type: ignore[assignment]

    def validate(self) -> None:
        self.check_int("train_subset", self.train_subset, 0)
        self.check_int("test_subset", self.test_subset, 0)
        self.check_int("epochs", self.epochs, 1)
        self.check_int("batch_size", self.batch_size, 2)
        self.check_float("lr", self.lr, 0.0, strict=True)
        self.check_choice("precision", self.precision, ["fp32", "bf16"])
        self.check_choice("model_name", self.model_name, ["simple_cnn", "resnet20"])


def recipe(config: Config) -> Dict[str, Any]:
    """The tutorial's recipe as TrainConfig fields: Adam, raw [0, 1] pixels, no augmentation."""
    r = dict(optimizer="adam", lr=config.lr, batch_size=config.batch_size, epochs=config.epochs,
             normalize="unit", crop_padding=0, flip=False, channels_last=False, device=config.device)
    return r


def plan(config: Config) -> List[Dict[str, Any]]:
    data = {"name": "cifar10", "train_subset": config.train_subset, "test_subset": config.test_subset, "subset_seed": 0}
    return [base_spec(NAME, VERSION, data=data, model=config.model_name,
                      train=recipe(config), precision=config.precision, seed=s) for s in config.seeds]


def _data(spec: Dict[str, Any]):
    d = spec["data"]
    train = load(d["name"], "train").subset(d["train_subset"] or None, seed=d["subset_seed"])
    test = load(d["name"], "test").subset(d["test_subset"] or None, seed=d["subset_seed"])
    return train, test


def sample_index(n_test: int) -> torch.Tensor:
    return torch.randperm(n_test, generator=torch.Generator().manual_seed(0))[:SAMPLE].sort().values


def execute(spec: Dict[str, Any], work_dir) -> RunResult:
    train, test = _data(spec)
    torch.manual_seed(spec["seed"])
    net = create_model(spec["model"])
    recipe = dict(spec["train"], seed=spec["seed"])
    if spec["precision"] != "fp32":  # fp32 is TrainConfig's default
        recipe["precision"] = spec["precision"]
    trainer = Trainer(net, TrainConfig(**recipe), train, test, run_dir=work_dir)
    history = trainer.fit()
    idx = sample_index(len(test))
    probs = trainer.predict(test.images[idx]).softmax(1)
    last = history.iloc[-1]
    metrics = {"train_acc": float(last.train_acc), "test_acc": float(last.test_acc), "test_loss": float(last.test_loss),
               "train_loss": float(last.train_loss), "epochs": int(last.epoch), "n_params": sum(p.numel() for p in net.parameters()),
               "n_train": len(train), "n_test": len(test)}
    history = history.drop(columns=[c for c in ("train_time_s", "images_per_s") if c in history])
    return RunResult(metrics=metrics, history=history,
                     arrays={"test_cm": trainer.test_cm.numpy(), "sample_index": idx.numpy(), "sample_probs": probs.numpy()},
                     provenance={"datasets": [train.meta, test.meta], "training_wall_time_total_s": round(trainer.wall_time_s, 1)})


# -- what the chapter shows -----------------------------------------------------------------
def history(runs: Sequence[StoredRun]) -> pd.DataFrame:
    return pd.concat([r.history.assign(seed=r.spec["seed"]) for r in runs], ignore_index=True)


def finals(runs: Sequence[StoredRun]) -> pd.DataFrame:
    return pd.DataFrame([{"seed": r.spec["seed"], **r.metrics} for r in runs]).set_index("seed")


def per_class(runs: Sequence[StoredRun], classes: Sequence[str]) -> pd.DataFrame:
    acc = np.stack([per_class_accuracy(torch.as_tensor(r.result.arrays["test_cm"])).numpy() for r in runs])
    return pd.DataFrame({"test accuracy (mean over seeds)": acc.mean(0)}, index=list(classes)).T.round(3)


def prediction_examples(run: StoredRun, test_images: torch.Tensor, test_labels: torch.Tensor, n: int = 6):
    """Six correct and six wrong test images of one run, with their probabilities."""
    idx = torch.as_tensor(run.result.arrays["sample_index"])
    probs = torch.as_tensor(run.result.arrays["sample_probs"])
    right = probs.argmax(1) == test_labels[idx]
    pick = {"correct": right.nonzero().flatten()[:n], "wrong": (~right).nonzero().flatten()[:n]}
    return {k: (test_images[idx[v]], probs[v], test_labels[idx[v]]) for k, v in pick.items()}


def comparison_table(runs: Sequence[StoredRun]) -> pd.DataFrame:
    f = finals(runs)
    def pm(col):
        v = f[col]
        return f"{v.mean():.4f} ± {v.std(ddof=1):.4f} (n={len(v)})" if len(v) > 1 else f"{v.iloc[0]:.4f} (n=1)"
    return pd.DataFrame({
        "tutorial (TF/Keras, original CIFAR-10, one run)": [f"{TUTORIAL['train_acc']:.4f}", f"{TUTORIAL['test_acc']:.4f}",
                                                             f"{TUTORIAL['params']:,}", str(TUTORIAL["epochs"])],
        "ours (mean ± sample SD over seeds)": [pm("train_acc"), pm("test_acc") + f", range {f.test_acc.min():.4f}–{f.test_acc.max():.4f}",
                                               f"{int(f.n_params.iloc[0]):,}", str(int(f.epochs.iloc[0]))],
    }, index=["train accuracy, last epoch", "test accuracy", "parameters", "epochs"])
