"""The runs of chapter 03 as JSON specs, and which arm of which part each one is.

Three parts, each a set of arms trained with several seeds:

* ``sources`` — one classifier per training source (``real``, ``generated``,
  ``small_real+generated``, ``small_real``), all tested on real CIFAR-10 test images;
* ``bnn`` — Bayes by Backprop (full KL term) and its deterministic twin, same data and recipe;
* ``calibration`` — classifiers on (up to) all 50,000 real images, one arm per weight decay.

Runs on generated images embed the spec of the **generator run** (a stored run of its own,
planned first). Their generated images are not stored: a run regenerates them from the
generator's weights, kept under the ignored work folder (``_generators/<key>.pt`` beside the
runs' work folders), or re-trains the generator from its spec when that file is missing
(deterministic on the same device and thread count; the ``same generated data`` gate checks
that the weights a run used are the stored generator's).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from ...runstore import unique_specs
from .._study import base_spec
from .config import Config

NAME = "03_generated_data_calibration"
VERSION = 1

REAL_SUBSET_SEED = 0  # the real training subsets (1k is a subset of 10k: same per-class permutations)
GAN_SUBSET_SEED = 1  # the generator's real training images
LATENT_SEED = 1  # latents of the generated training images
GRID = {"per_class": 6, "latent_seed": 3}  # the sample grid stored with the generator run
OOD_SETS = ("uniform noise", "Gaussian noise, severity 5")
ENTROPY_BINS = 20
TS_FOLDS = 2


@dataclass(frozen=True)
class Arm:
    """One training run of the chapter: its part, arm label, seed and spec."""

    part: str
    arm: str
    seed: int
    spec: Dict[str, Any]


def recipe(config: Config, optimizer: str, lr: float, weight_decay: float, epochs: int) -> Dict[str, Any]:
    """TrainConfig fields: flip + 4-pixel crop, cosine schedule, pixels scaled to [0, 1]
    (no data-set statistics, so real- and generated-data nets see the test images alike)."""
    r = dict(optimizer=optimizer, lr=lr, weight_decay=weight_decay, batch_size=config.batch_size, epochs=epochs,
             schedule="cosine", crop_padding=4, flip=True, normalize="unit", eval_every=config.eval_every,
             device=config.device)
    if optimizer == "sgd":
        r.update(momentum=0.9, nesterov=True)
    return r


def generator_spec(config: Config) -> Dict[str, Any]:
    return base_spec(NAME, VERSION, kind="generator",
                     data={"name": "cifar10", "split": "train", "subset": config.gan_train_subset,
                           "subset_seed": GAN_SUBSET_SEED},
                     generator={"name": config.generator_name, "width": config.gan_width},
                     train={"epochs": config.gan_epochs, "batch_size": config.gan_batch_size, "lr": config.gan_lr,
                            "device": config.device},
                     grid=dict(GRID), seed=0)


def real_part(n: int) -> Dict[str, Any]:
    return {"source": "real", "name": "cifar10", "split": "train", "subset": n, "subset_seed": REAL_SUBSET_SEED}


def generated_part(generator: Dict[str, Any], n: int) -> Dict[str, Any]:
    return {"source": "generated", "generator": generator, "n": n, "latent_seed": LATENT_SEED}


def evaluation(config: Config) -> Dict[str, Any]:
    return {"ece_bins": config.ece_bins, "ts_folds": TS_FOLDS, "fold_seed": 0, "ood_sets": list(OOD_SETS),
            "ood_subset": config.ood_subset, "ood_seed": 0, "entropy_bins": ENTROPY_BINS}


def method(config: Config, name: str) -> Dict[str, Any]:
    if name == "deterministic":
        return {"name": "deterministic"}
    return {"name": "bbb", "kl_weight": config.kl_weight, "prior_sigma": 1.0, "rho_init": -5.0,
            "mc_samples": config.mc_samples, "mc_seed": 0}


def classifier_spec(config: Config, parts: List[Dict[str, Any]], method_name: str, train: Dict[str, Any],
                    seed: int) -> Dict[str, Any]:
    test = {"name": "cifar10", "split": "test", "subset": config.test_subset, "subset_seed": 0}
    return base_spec(NAME, VERSION, kind="classifier", data={"train": parts, "test": test}, model=config.model_name,
                     method=method(config, method_name), train=train, evaluation=evaluation(config),
                     precision=config.precision, seed=seed)


def source_parts(config: Config, source: str, generator: Dict[str, Any]) -> List[Dict[str, Any]]:
    gen = generated_part(generator, config.generated_subset)
    return {"real": [real_part(config.real_subset)], "generated": [gen],
            "small_real+generated": [real_part(config.small_real_subset), gen],
            "small_real": [real_part(config.small_real_subset)]}[source]


def arms(config: Config) -> List[Arm]:
    """Every (part, arm, seed) of the chapter with its spec, in plan order."""
    gen = generator_spec(config)
    out: List[Arm] = []
    sources_recipe = recipe(config, config.optimizer, config.lr, config.weight_decay, config.epochs)
    for source in config.sources:
        for s in config.seeds:
            out.append(Arm("sources", source, s, classifier_spec(config, source_parts(config, source, gen), "deterministic",
                                                                 sources_recipe, s)))
    bnn_recipe = recipe(config, config.bnn_optimizer, config.bnn_lr, 0.0, config.epochs)
    for source in config.bnn_sources:
        for name in ("deterministic", "bbb"):
            for s in config.bnn_seeds:
                out.append(Arm("bnn", bnn_arm(source, name), s,
                               classifier_spec(config, source_parts(config, source, gen), name, bnn_recipe, s)))
    for wd in config.calibration_weight_decays:
        train = recipe(config, config.optimizer, config.lr, float(wd), config.calibration_epochs)
        for s in config.calibration_seeds:
            out.append(Arm("calibration", wd_arm(wd), s,
                           classifier_spec(config, [real_part(config.calibration_subset)], "deterministic", train, s)))
    return out


def bnn_arm(source: str, method_name: str) -> str:
    return f"{source} · {'Bayes by Backprop' if method_name == 'bbb' else 'deterministic'}"


def wd_arm(wd: float) -> str:
    return f"weight decay {float(wd):g}"


def uses_generator(spec: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The generator spec a classifier spec trains on, or None."""
    for p in spec.get("data", {}).get("train", []):
        if p["source"] == "generated":
            return p["generator"]
    return None


def plan(config: Config) -> List[Dict[str, Any]]:
    """The generator run first (when any arm uses generated images), then every classifier
    run once (arms that coincide, e.g. two parts asking for the same training, share a run)."""
    specs = [a.spec for a in arms(config)]
    if any(uses_generator(s) for s in specs):
        specs.insert(0, generator_spec(config))
    return unique_specs(specs)
