"""The parameters of notebook 03 (defaults = its smoke values, about two minutes on two cores)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

from ...generative import list_generators
from ...models import list_models
from .._config import ConfigError, StudyConfig

# training sources of the data-source comparison: what each trains on
SOURCES = {
    "real": "real_subset real images",
    "generated": "generated_subset generated images",
    "small_real+generated": "small_real_subset real images plus generated_subset generated images",
    "small_real": "small_real_subset real images (the same ones as in small_real+generated)",
}
BNN_SOURCES = ("real", "generated")
OPTIMIZERS = ("sgd", "adam")


@dataclass
class Config(StudyConfig):
    """One field per line of the notebook's parameters cell (see the notebook for each one's meaning)."""

    generator_name: str = "cdcgan"
    gan_width: int = 8
    gan_train_subset: int = 1000
    gan_epochs: int = 2
    gan_batch_size: int = 64
    gan_lr: float = 0.0002
    model_name: str = "simple_cnn"
    sources: List[str] = field(default_factory=lambda: list(SOURCES))
    real_subset: int = 1000
    small_real_subset: int = 100
    generated_subset: int = 1000
    test_subset: int = 1000
    epochs: int = 3
    batch_size: int = 128
    optimizer: str = "sgd"
    lr: float = 0.05
    weight_decay: float = 0.0005
    eval_every: int = 5
    bnn_sources: List[str] = field(default_factory=lambda: ["real"])
    bnn_seeds: List[int] = field(default_factory=lambda: [0])
    bnn_optimizer: str = "adam"
    bnn_lr: float = 0.001
    kl_weight: float = 1.0
    mc_samples: int = 4
    calibration_subset: int = 2000
    calibration_epochs: int = 3
    calibration_weight_decays: List[float] = field(default_factory=lambda: [0.0, 0.0005])
    calibration_seeds: List[int] = field(default_factory=lambda: [0])
    ece_bins: int = 15
    ood_subset: int = 500
    precision: str = "fp32"
    seeds: List[int] = field(default_factory=lambda: [0])
    earlier_gan_epochs: List[int] = field(default_factory=list)
    device: str = "auto"

    def validate(self) -> None:
        self.check_choice("generator_name", self.generator_name, list_generators())
        self.check_int("gan_width", self.gan_width, 4)
        self.check_int("gan_train_subset", self.gan_train_subset, 0)
        self.check_int("gan_epochs", self.gan_epochs, 1)
        self.check_int("gan_batch_size", self.gan_batch_size, 2)
        if self.gan_train_subset and self.gan_batch_size > self.gan_train_subset:
            raise ConfigError(f"parameter gan_batch_size={self.gan_batch_size}: larger than gan_train_subset="
                              f"{self.gan_train_subset}; lower it or train the generator on more images")
        self.check_float("gan_lr", self.gan_lr, 0.0, strict=True)
        self.check_choice("model_name", self.model_name, list_models())
        self._check_names("sources", self.sources, list(SOURCES), allow_empty=False)
        if self.real_subset != 0:
            self.check_int("real_subset", self.real_subset, 10)
        self.check_int("small_real_subset", self.small_real_subset, 10)
        self.check_int("generated_subset", self.generated_subset, 10)
        if self.test_subset != 0:
            self.check_int("test_subset", self.test_subset, 100)
        self.check_int("epochs", self.epochs, 1)
        self.check_int("batch_size", self.batch_size, 2)
        self.check_choice("optimizer", self.optimizer, OPTIMIZERS)
        self.check_float("lr", self.lr, 0.0, strict=True)
        self.check_float("weight_decay", self.weight_decay, 0.0)
        self.check_int("eval_every", self.eval_every, 1)
        self._check_names("bnn_sources", self.bnn_sources, list(BNN_SOURCES), allow_empty=True)
        self.check_seeds("bnn_seeds", self.bnn_seeds)
        self.check_choice("bnn_optimizer", self.bnn_optimizer, OPTIMIZERS)
        self.check_float("bnn_lr", self.bnn_lr, 0.0, strict=True)
        self.check_float("kl_weight", self.kl_weight, 0.0)
        self.check_int("mc_samples", self.mc_samples, 2)
        if self.calibration_subset != 0:
            self.check_int("calibration_subset", self.calibration_subset, 10)
        self.check_int("calibration_epochs", self.calibration_epochs, 1)
        wds = self.calibration_weight_decays
        if not isinstance(wds, (list, tuple)) or len(set(wds)) != len(wds):
            raise ConfigError(f"parameter calibration_weight_decays={wds!r}: must be a list of distinct numbers >= 0 "
                              "(empty to leave the calibration runs out)")
        for i, wd in enumerate(wds):
            self.check_float(f"calibration_weight_decays[{i}]", wd, 0.0)
        self.check_seeds("calibration_seeds", self.calibration_seeds)
        self.check_int("ece_bins", self.ece_bins, 2)
        self.check_int("ood_subset", self.ood_subset, 10)
        if self.ood_subset > 10000:
            raise ConfigError(f"parameter ood_subset={self.ood_subset}: at most 10000 (the test set's size)")
        self.check_choice("precision", self.precision, ["fp32", "bf16"])
        e = self.earlier_gan_epochs
        if not isinstance(e, (list, tuple)) or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in e):
            raise ConfigError(f"parameter earlier_gan_epochs={e!r}: must be a list of whole numbers of epochs >= 1 "
                              "(the generator lengths of earlier executions whose gate failed; [] for none)")

    @staticmethod
    def _check_names(name, value, choices, allow_empty: bool) -> None:
        ok = isinstance(value, (list, tuple)) and all(v in choices for v in value) and len(set(value)) == len(value)
        if not ok or (not value and not allow_empty):
            raise ConfigError(f"parameter {name}={value!r}: must be a list of distinct names from {choices}"
                              + (" (empty to leave these runs out)" if allow_empty else " (at least one)"))
