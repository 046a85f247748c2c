"""The parameters of notebook 02 (CAM-guided erasing) and the thesis' numbers.

``Config`` mirrors the notebook's parameters cell (defaults = the smoke values); unknown
keys are an error and every value is checked before a run starts, naming the parameter.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

from .._config import ConfigError, StudyConfig

NAME = "02_cam_erasing"
VERSION = 1  # bump when a code change alters what a run computes

MAIN_ARMS = ("none", "random_erasing", "cam_erasing")  # the paired comparison, on every seed of ``seeds``
SECONDARY_ARMS = ("cutout", "hide_and_seek", "random_erasing_epoch0")  # on ``secondary_seeds``
MODELS = ("resnet20", "resnet32", "resnet44")
PILOT_SEED = 100  # the baseline pilots' seed, outside every design's seeds

# Oh (MSc thesis 2024), Tables 1-4: top-1 test error (%) on CIFAR-10, mean of 5 runs of 300 epochs.
THESIS = {
    "methods": {"resnet20": {"cam_erasing": 6.40, "random_erasing": 6.75, "cutout": 6.68, "hide_and_seek": 6.95},
                "resnet32": {"cam_erasing": 5.56, "random_erasing": 6.00, "cutout": 5.89, "hide_and_seek": 5.99},
                "resnet44": {"cam_erasing": 5.15, "random_erasing": 5.34, "cutout": 5.33, "hide_and_seek": 5.47}},
    "b_h": {0: 6.43, 1: 6.43, 2: 6.40, 3: 6.54, 4: 6.51, 5: 6.52},
    "cam_source": {"during": 6.40, "after": 6.44},
}


@dataclass
class Config(StudyConfig):
    """One field per parameter of the notebook (see its parameters cell for the meaning)."""

    model_name: str = "resnet20"
    train_subset: int = 256  # class-balanced; 0 = all 50,000
    test_subset: int = 200  # 0 = all 10,000
    epochs: int = 2  # erasing from epochs // 2 on, lr x0.1 at epochs // 2 and 3 * epochs // 4
    batch_size: int = 128  # before the erased copies are appended
    lr: float = 0.1
    weight_decay: float = 0.0005
    eval_every: int = 1  # epochs between test evaluations (always after the last)
    precision: str = "fp32"
    seeds: List[int] = None  # type: ignore[assignment]  # main comparison
    b_h: int = 2  # CAM-erasing offset of the main arm
    secondary: List[str] = None  # type: ignore[assignment]
    secondary_seeds: List[int] = None  # type: ignore[assignment]
    bh_sweep: List[int] = None  # type: ignore[assignment]
    sweep_seeds: List[int] = None  # type: ignore[assignment]  # b_h sweep and CAM source
    cam_after: bool = True
    probe_images: int = 100  # test images of the deletion test (per run)
    n_draws: int = 20000  # draws per method for the erase-ratio histograms
    earlier_epochs: List[int] = field(default_factory=list)  # lengths of earlier executions whose gate failed
    pilot_epochs: List[int] = field(default_factory=list)  # lengths of the baseline pilots (seed PILOT_SEED)
    device: str = "auto"

    def __post_init__(self):
        for name, default in (("seeds", [0]), ("secondary", list(SECONDARY_ARMS)), ("secondary_seeds", [0]),
                              ("bh_sweep", [0, 5]), ("sweep_seeds", [0])):
            if getattr(self, name) is None:
                setattr(self, name, default)
        super().__post_init__()

    def validate(self) -> None:
        self.check_choice("model_name", self.model_name, MODELS)
        self.check_int("train_subset", self.train_subset, 0)
        self.check_int("test_subset", self.test_subset, 0)
        self.check_int("epochs", self.epochs, 2)  # at least one warm-up and one erasing epoch
        self.check_int("batch_size", self.batch_size, 2)
        self.check_float("lr", self.lr, 0.0, strict=True)
        self.check_float("weight_decay", self.weight_decay, 0.0)
        self.check_int("eval_every", self.eval_every, 1)
        self.check_choice("precision", self.precision, ["fp32", "bf16"])
        self.check_int("b_h", self.b_h, 0)
        self.check_int("probe_images", self.probe_images, 1)
        self.check_int("n_draws", self.n_draws, 1)
        if not isinstance(self.cam_after, bool):
            raise ConfigError(f"parameter cam_after={self.cam_after!r}: must be True or False")
        if not isinstance(self.secondary, (list, tuple)) or len(set(self.secondary)) != len(self.secondary):
            raise ConfigError(f"parameter secondary={self.secondary!r}: must be a list of distinct arms from {list(SECONDARY_ARMS)}")
        for arm in self.secondary:
            self.check_choice("secondary", arm, SECONDARY_ARMS)
        if not isinstance(self.bh_sweep, (list, tuple)) or len(set(self.bh_sweep)) != len(self.bh_sweep):
            raise ConfigError(f"parameter bh_sweep={self.bh_sweep!r}: must be a list of distinct offsets (pixels)")
        for b in self.bh_sweep:
            self.check_int("bh_sweep", b, 0)
        for name, what in (("earlier_epochs", "earlier executions whose gate failed"),
                           ("pilot_epochs", "the baseline pilots that chose the schedule")):
            e = getattr(self, name)
            if not isinstance(e, (list, tuple)) or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 2 for x in e):
                raise ConfigError(f"parameter {name}={e!r}: must be a list of whole numbers of epochs >= 2 "
                                  f"(the lengths of {what}; [] for none)")
        for name in ("secondary_seeds", "sweep_seeds"):
            seeds = getattr(self, name)
            if seeds == []:
                continue
            self.check_seeds(name, seeds)
            extra = sorted(set(seeds) - set(self.seeds))
            if extra:
                raise ConfigError(f"parameter {name}={seeds!r}: seeds {extra} are not in seeds={self.seeds!r}; these arms are "
                                  f"paired with the main arms of the same seed, so use a subset of seeds")

    @property
    def warm_epochs(self) -> int:
        """Epochs of the shared warm-up (no erasing): the first half, as in the thesis."""
        return self.epochs // 2

    @property
    def milestones(self) -> List[int]:
        """Epochs after which the learning rate is multiplied by 0.1: about 50% and 75%."""
        return sorted({self.warm_epochs, (3 * self.epochs) // 4})
