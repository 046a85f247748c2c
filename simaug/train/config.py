"""``TrainConfig``: the trainer's settings, one literal each (nanoGPT's config block)."""
from __future__ import annotations

import math
import numbers
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
    precision: str = "fp32"  # "fp32" | "bf16": bfloat16 autocast of forward + loss, fp32 master weights
    #   and optimiser state (simaug.precision); used in training, evaluation and the CAM pass
    eval_batch_size: int = 256  # images per forward in predict/evaluate; the logits do not depend on it
    #   for a deterministic model (bit for bit here), but 256 keeps a ResNet-20 or simple_cnn layer's
    #   activations in cache: 1.4-2x the images/s of 1000 on a 2-core CPU. A model that samples
    #   (Bayes layers) draws per forward, so for it the value is part of the experiment.
    eval_every: int = 1  # test evaluation after epochs k, 2k, ... and always after the last one
    #   (e.g. 60 epochs, eval_every=5: 12 evaluations); history rows in between have no test_* values
    progress: Optional[bool] = None  # tqdm bar; None = only when stderr is a terminal
    verbose: bool = False  # one line per epoch

    def __post_init__(self):
        _check_types_and_ranges(self)  # a clear ValueError for 2.5 epochs, lr=inf, '3', ...
        checks = {
            "optimizer": self.optimizer in ("sgd", "adam"),
            "schedule": self.schedule in ("constant", "multistep", "cosine"),
            "normalize": self.normalize in ("unit", "standardize"),
            "epochs": self.epochs >= 1,
            "batch_size": self.batch_size >= 2,
            "lr": self.lr > 0,
            "crop_padding": self.crop_padding >= 0,
            "eval_every": self.eval_every >= 1,
            "precision": self.precision in ("fp32", "bf16"),
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


def _int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


# field -> (test, what a valid value is); choices (optimizer, schedule, ...) are checked in __post_init__
_RULES = {
    "epochs": (lambda v: _int(v) and v >= 1, "an int >= 1 (whole epochs)"),
    "batch_size": (lambda v: _int(v) and v >= 2, "an int >= 2"),
    "lr": (lambda v: _real(v) and v > 0, "a finite number > 0"),
    "momentum": (lambda v: _real(v) and v >= 0, "a finite number >= 0"),
    "nesterov": (lambda v: isinstance(v, bool), "True or False"),
    "betas": (lambda v: isinstance(v, (tuple, list)) and len(v) == 2 and all(_real(b) and 0 <= b < 1 for b in v),
              "two numbers in [0, 1)"),
    "eps": (lambda v: _real(v) and v > 0, "a finite number > 0"),
    "weight_decay": (lambda v: _real(v) and v >= 0, "a finite number >= 0"),
    "optimizer": (lambda v: isinstance(v, str), "a string"),
    "schedule": (lambda v: isinstance(v, str), "a string"),
    "normalize": (lambda v: isinstance(v, str), "a string"),
    "milestones": (lambda v: isinstance(v, (tuple, list)) and all(_int(m) and m >= 1 for m in v),
                   "a list of epochs (ints >= 1)"),
    "gamma": (lambda v: _real(v) and v > 0, "a finite number > 0"),
    "crop_padding": (lambda v: _int(v) and v >= 0, "an int >= 0"),
    "flip": (lambda v: isinstance(v, bool), "True or False"),
    "mean": (lambda v: v is None or (isinstance(v, (tuple, list)) and len(v) > 0 and all(_real(m) for m in v)),
             "None or a list of finite numbers, one per channel"),
    "std": (lambda v: v is None or (isinstance(v, (tuple, list)) and len(v) > 0 and all(_real(m) and m > 0 for m in v)),
            "None or a list of numbers > 0, one per channel"),
    "seed": (lambda v: _int(v) and v >= 0, "an int >= 0"),
    "device": (lambda v: isinstance(v, str), "a string such as 'auto', 'cpu' or 'cuda:0'"),
    "channels_last": (lambda v: isinstance(v, bool), "True or False"),
    "precision": (lambda v: isinstance(v, str), "a string"),
    "eval_batch_size": (lambda v: _int(v) and v >= 1, "an int >= 1"),
    "eval_every": (lambda v: _int(v) and v >= 1, "an int >= 1 (epochs between test evaluations)"),
    "progress": (lambda v: v is None or isinstance(v, bool), "None, True or False"),
    "verbose": (lambda v: isinstance(v, bool), "True or False"),
}


def _check_types_and_ranges(cfg: "TrainConfig") -> None:
    """Raise one ``ValueError`` naming every field whose value has the wrong type or range."""
    bad = []
    for f in fields(cfg):
        rule = _RULES.get(f.name)
        if rule is None:
            continue
        value = getattr(cfg, f.name)
        try:
            ok = rule[0](value)
        except TypeError:
            ok = False
        if not ok:
            bad.append(f"{f.name}={value!r} ({type(value).__name__}; must be {rule[1]})")
    if (cfg.mean is None) != (cfg.std is None):
        bad.append(f"mean={cfg.mean!r}, std={cfg.std!r} (give both or neither)")
    if bad:
        raise ValueError("invalid TrainConfig values: " + "; ".join(bad))
