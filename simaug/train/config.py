"""``TrainConfig``: the trainer's settings, one literal each (nanoGPT's config block)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Dict, Optional, Tuple


@dataclass
class TrainConfig:
    epochs: int = 10
    batch_size: int = 128
    optimizer: str = "sgd"  # "sgd" | "adam"
    lr: float = 0.1  # per batch of batch_size, not rescaled
    momentum: float = 0.9  # SGD only
    nesterov: bool = False  # SGD only
    betas: Tuple[float, float] = (0.9, 0.999)  # Adam only
    eps: float = 1e-8  # Adam only (Keras uses 1e-7)
    weight_decay: float = 0.0  # L2, coupled (as torch SGD/Adam and the papers)
    schedule: str = "constant"  # "constant" | "multistep" | "cosine", stepped per epoch
    milestones: Tuple[int, ...] = ()  # multistep: epochs at which lr *= gamma
    gamma: float = 0.1
    crop_padding: int = 4  # random crop after zero padding by this many pixels; 0 = off
    flip: bool = True  # random horizontal flip with p = 0.5
    normalize: str = "standardize"  # "unit": x/255 | "standardize": per-channel mean/std of the train set
    mean: Optional[Tuple[float, ...]] = None  # fixed normalisation instead of the train-set statistics
    std: Optional[Tuple[float, ...]] = None
    seed: int = 0  # data order and augmentation; seed the model init yourself
    device: str = "auto"  # "auto" | "cpu" | "cuda" | "cuda:1" ...
    channels_last: bool = True  # ~1.3x faster convolutions on CPU (oneDNN) and tensor cores
    eval_batch_size: int = 1000
    eval_every: int = 1  # epochs between test evaluations (the last epoch is always evaluated)
    progress: Optional[bool] = None  # tqdm bar; None = only when stderr is a terminal
    verbose: bool = False  # one line per epoch

    def __post_init__(self):
        checks = {
            "optimizer": self.optimizer in ("sgd", "adam"),
            "schedule": self.schedule in ("constant", "multistep", "cosine"),
            "normalize": self.normalize in ("unit", "standardize"),
            "epochs": self.epochs >= 1,
            "batch_size": self.batch_size >= 2,
            "lr": self.lr > 0,
            "crop_padding": self.crop_padding >= 0,
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid TrainConfig values: {', '.join(f'{k}={getattr(self, k)!r}' for k in bad)}")
        self.betas = tuple(self.betas)
        self.milestones = tuple(self.milestones)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "TrainConfig":
        """Build from a dict; unknown keys are an error, never silently ignored."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise KeyError(f"unknown TrainConfig keys {unknown}; accepted: {sorted(names)}")
        return cls(**d)

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)
