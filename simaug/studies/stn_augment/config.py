"""The parameters of notebook 01 (learned affine augmentation, SPEC §01) and the recipes
they give: stage 1 and stage 3 as ``TrainConfig`` fields, stage 2 as ``STNConfig`` fields.

Defaults are the smoke values of the notebook's parameters cell; every value is checked
before any run starts, with a message naming the parameter.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

from ...stn import STNConfig, arm_config, list_arms
from .._config import ConfigError, StudyConfig

NAME = "01_stn_augment"
VERSION = 1
MODELS = ("simple_cnn", "resnet20", "resnet18")
SNAPSHOT_CLASSES = 8  # Fig. 3 shows the first test image of each of the first 8 classes


@dataclass
class Config(StudyConfig):
    """One field per line of the notebook's parameters cell (see its comments)."""

    model_name: str = "simple_cnn"
    train_subset: int = 800
    test_subset: int = 400
    batch_size: int = 128
    stage1_epochs: int = 2
    stage1_lr: float = 0.001
    stage2_steps: int = 12
    stage2_batch: int = 64
    g_lr: float = 0.001
    d_lr: float = 0.001
    d_momentum: float = 0.0
    lam: float = 2.0
    remedy_me_form: str = "ascent"
    stage3_epochs: int = 1
    stage3_lr: float = 0.0001
    eval_every: int = 1
    arms: List[str] = field(default_factory=lambda: list(list_arms()))
    precision: str = "fp32"
    seeds: List[int] = None  # type: ignore[assignment]

    def validate(self) -> None:
        self.check_choice("model_name", self.model_name, MODELS)
        for name in ("train_subset", "test_subset"):
            self.check_int(name, getattr(self, name), 0)
        for name in ("batch_size", "stage2_batch"):
            self.check_int(name, getattr(self, name), 2)
        for name in ("stage1_epochs", "stage2_steps", "stage3_epochs", "eval_every"):
            self.check_int(name, getattr(self, name), 1)
        for name in ("stage1_lr", "stage3_lr", "g_lr", "d_lr"):
            self.check_float(name, getattr(self, name), 0.0, strict=True)
        self.check_float("d_momentum", self.d_momentum, 0.0, maximum=0.999)
        self.check_float("lam", self.lam, 0.0)
        self.check_choice("remedy_me_form", self.remedy_me_form, ["ascent", "paper"])
        self.check_choice("precision", self.precision, ["fp32", "bf16"])
        if not isinstance(self.arms, (list, tuple)) or not self.arms:
            raise ConfigError(f"parameter arms={self.arms!r}: must be a non-empty list of arm names from {list_arms()}")
        for arm in self.arms:
            self.check_choice("arms", arm, list_arms())
        if len(set(self.arms)) != len(self.arms):
            raise ConfigError(f"parameter arms={self.arms!r}: arms repeat")
        if self.test_subset and self.test_subset < SNAPSHOT_CLASSES * 10:
            raise ConfigError(f"parameter test_subset={self.test_subset!r}: use 0 (all 10,000) or at least "
                              f"{SNAPSHOT_CLASSES * 10} so every class shown in Fig. 3 is in the test set")

    # -- recipes -------------------------------------------------------------------------
    def stn_config(self, arm: str) -> Optional[STNConfig]:
        """Stage-2 settings of a learned arm (None for baseline / random_affine)."""
        return arm_config(arm, self.remedy_me_form, lam=float(self.lam), g_lr=float(self.g_lr), d_lr=float(self.d_lr),
                          d_momentum=float(self.d_momentum), batch_size=self.stage2_batch)


def train_recipe(config: Config, lr: float, epochs: int) -> Dict[str, Any]:
    """Stages 1 and 3 (and the baseline's second phase) as ``TrainConfig`` fields: Adam, no
    crop or flip (the arms' copies are the only augmentation), sparse test evaluation, the
    precision of the forward passes (stage 2 always runs in fp32)."""
    r = dict(optimizer="adam", lr=float(lr), epochs=epochs, batch_size=config.batch_size, crop_padding=0, flip=False,
             eval_every=min(config.eval_every, epochs), precision=config.precision, device=config.device)
    return r


def stn_fields(cfg: Optional[STNConfig]) -> Optional[Dict[str, Any]]:
    """``STNConfig`` as plain JSON (tuples as lists, bounds as a dict); None stays None."""
    if cfg is None:
        return None
    d = asdict(cfg)
    d["g_betas"] = [float(b) for b in d["g_betas"]]
    return d
