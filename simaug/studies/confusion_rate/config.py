"""The chapter's parameters (``Config``) and its runs (``plan``).

Every run is one loss on one data set with one seed:

* noisy CIFAR-10 (the Animal-10N stand-in): cross-entropy and CR (k = ``k``) on ``seeds``,
  Pairwise Confusion on ``pc_seeds``, and the k sweep: CR at each of ``sweep_ks`` plus k = 0
  on ``sweep_seeds`` (k = 0 *is* the cross-entropy run and k = ``k`` the main CR run of the
  same seed: the same spec, stored once);
* rendered Hangul (the HanDB stand-in): cross-entropy and CR on ``hangul_seeds``.

Arms of one seed share the model initialisation and the data order, so they are compared
paired by seed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List

from ...models import list_models
from ...runstore import unique_specs
from .._config import ConfigError, StudyConfig
from .._study import base_spec

NAME = "00_confusion_rate"
VERSION = 1
DATASETS = ("cifar10", "hangul")
ARMS = ("cross-entropy", "CR", "PC")


@dataclass
class Config(StudyConfig):
    """The notebook's parameters cell (defaults = the smoke values; see the notebook for each)."""

    model_name: str = "simple_cnn"
    cifar_train_subset: int = 2000
    cifar_test_subset: int = 1000
    cifar_epochs: int = 3
    noise_rate: float = 0.1
    hangul_size: int = 32
    hangul_train_per_class: int = 20
    hangul_test_per_class: int = 10
    hangul_epochs: int = 4
    batch_size: int = 64
    lr: float = 0.01
    momentum: float = 0.9
    eval_every: int = 1
    k: float = 3.0
    pc_lambda: float = 0.1
    precision: str = "fp32"
    seeds: List[int] = field(default_factory=lambda: [0])
    pc_seeds: List[int] = field(default_factory=lambda: [0])
    sweep_ks: List[float] = field(default_factory=lambda: [1.0, 3.0])
    sweep_seeds: List[int] = field(default_factory=lambda: [0])
    hangul_seeds: List[int] = field(default_factory=lambda: [0])
    earlier_cifar_epochs: List[int] = field(default_factory=list)

    def validate(self) -> None:
        self.check_choice("model_name", self.model_name, list_models())
        for name in ("cifar_train_subset", "cifar_test_subset"):
            self.check_int(name, getattr(self, name), 0)
        for name in ("cifar_epochs", "hangul_epochs", "hangul_train_per_class", "hangul_test_per_class", "eval_every"):
            self.check_int(name, getattr(self, name), 1)
        self.check_int("hangul_size", self.hangul_size, 8)
        if self.hangul_size > 64:
            raise ConfigError(f"parameter hangul_size={self.hangul_size!r}: the glyphs are rendered at 64x64; use 8 to 64")
        self.check_float("noise_rate", self.noise_rate, 0.0, maximum=1.0)
        self.check_int("batch_size", self.batch_size, 2)
        self.check_float("lr", self.lr, 0.0, strict=True)
        self.check_float("momentum", self.momentum, 0.0)
        self.check_float("k", self.k, 0.0)
        self.check_float("pc_lambda", self.pc_lambda, 0.0)
        self.check_choice("precision", self.precision, ["fp32", "bf16"])
        self.check_seeds("hangul_seeds", self.hangul_seeds)
        for name in ("pc_seeds", "sweep_seeds"):  # may be empty: no PC arm, no sweep
            if getattr(self, name):
                self.check_seeds(name, getattr(self, name))
            elif not isinstance(getattr(self, name), (list, tuple)):
                raise ConfigError(f"parameter {name}={getattr(self, name)!r}: must be a list of integers >= 0 (or [])")
        if not isinstance(self.earlier_cifar_epochs, (list, tuple)) or not all(
                isinstance(e, int) and not isinstance(e, bool) and e >= 1 for e in self.earlier_cifar_epochs):
            raise ConfigError(f"parameter earlier_cifar_epochs={self.earlier_cifar_epochs!r}: must be a list of whole "
                              "numbers of epochs >= 1 (or [])")
        if not isinstance(self.sweep_ks, (list, tuple)):
            raise ConfigError(f"parameter sweep_ks={self.sweep_ks!r}: must be a list of numbers >= 0 (or [])")
        for v in self.sweep_ks:
            self.check_float("sweep_ks", v, 0.0)
        if len({float(v) for v in self.sweep_ks}) != len(self.sweep_ks):
            raise ConfigError(f"parameter sweep_ks={self.sweep_ks!r}: values repeat")
        if bool(self.sweep_ks) != bool(self.sweep_seeds):
            raise ConfigError(f"parameters sweep_ks={self.sweep_ks!r} and sweep_seeds={self.sweep_seeds!r}: "
                              "give both (a sweep) or leave both empty (no sweep)")


# -- specs ----------------------------------------------------------------------------------
def data_spec(config: Config, dataset: str) -> Dict[str, Any]:
    """What determines a data set: CIFAR-10 subsets (class-balanced on the clean labels, then
    pair-flip noise on the subset) or rendered Hangul (train fonts seed 0, unseen test fonts seed 1)."""
    if dataset == "cifar10":
        return {"name": "cifar10", "train_subset": config.cifar_train_subset, "test_subset": config.cifar_test_subset,
                "subset_seed": 0, "noise_rate": float(config.noise_rate), "noise_mode": "pairflip", "noise_seed": 0}
    if dataset == "hangul":
        return {"name": "hangul-confusable", "train_per_class": config.hangul_train_per_class,
                "test_per_class": config.hangul_test_per_class, "train_seed": 0, "test_seed": 1, "size": config.hangul_size}
    raise ValueError(f"unknown data set {dataset!r}; choose one of {DATASETS}")


def loss_spec(arm: str, k: float = 3.0, pc_lambda: float = 0.1) -> Dict[str, Any]:
    """The loss of an arm; CR with k = 0 is cross-entropy (one spec, one run)."""
    if arm == "cross-entropy" or (arm == "CR" and float(k) == 0.0):
        return {"name": "cross_entropy"}
    if arm == "CR":
        return {"name": "cr", "k": float(k)}
    if arm == "PC":
        return {"name": "pairwise_confusion", "lam": float(pc_lambda)}
    raise ValueError(f"unknown arm {arm!r}; choose one of {ARMS}")


def recipe(config: Config, dataset: str) -> Dict[str, Any]:
    """SGD with momentum at the paper's lr, no augmentation (the paper names none; a flip would
    change Hangul glyphs), inputs standardised with the training set's channel statistics."""
    epochs = config.cifar_epochs if dataset == "cifar10" else config.hangul_epochs
    return dict(optimizer="sgd", lr=float(config.lr), momentum=float(config.momentum), batch_size=config.batch_size,
                epochs=epochs, eval_every=min(config.eval_every, epochs), flip=False, crop_padding=0,
                normalize="standardize", device=config.device)


def run_spec(config: Config, dataset: str, arm: str, seed: int, k: float | None = None) -> Dict[str, Any]:
    """The spec of one run; ``k`` defaults to the main ``config.k`` for the CR arm."""
    loss = loss_spec(arm, config.k if k is None else k, config.pc_lambda)
    return base_spec(NAME, VERSION, dataset=dataset, data=data_spec(config, dataset), model=config.model_name, loss=loss,
                     train=recipe(config, dataset), precision=config.precision, seed=int(seed))


def plan(config: Config) -> List[Dict[str, Any]]:
    """Every run of the chapter, each spec once (shared runs deduplicated), in the order:
    CIFAR-10 cross-entropy, CR, PC, the k sweep, then Hangul cross-entropy, CR."""
    specs = [run_spec(config, "cifar10", "cross-entropy", s) for s in config.seeds]
    specs += [run_spec(config, "cifar10", "CR", s) for s in config.seeds]
    specs += [run_spec(config, "cifar10", "PC", s) for s in config.pc_seeds]
    specs += [run_spec(config, "cifar10", "CR", s, k=kk) for kk in sweep_values(config) for s in config.sweep_seeds]
    specs += [run_spec(config, "hangul", arm, s) for arm in ("cross-entropy", "CR") for s in config.hangul_seeds]
    return unique_specs(specs)


def sweep_values(config: Config) -> List[float]:
    """The k values of the sweep: 0 (cross-entropy) and ``sweep_ks``, sorted."""
    return sorted({0.0, *(float(v) for v in config.sweep_ks)}) if config.sweep_ks else []
