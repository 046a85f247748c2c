"""Every training run of chapter 01 as a JSON spec.

Per seed there is one **stage-1** run (the classifier C trained with cross-entropy) and one
**arm** run per arm. An arm run embeds its stage-1 spec under ``parent``: it starts from that
C (``execute`` reads the parent's saved weights or re-trains them, see ``execution.py``) and
adds what the arm does after stage 1:

==============  ============================================================
arm             after stage 1
==============  ============================================================
baseline        stage 3 on the originals only (the paper's baseline)
random_affine   stage 3 on originals + random affine copies inside the box
paper, ...      stage 2 (G and D adversarially, ``stn``) then stage 3 on
                originals + G's copies
==============  ============================================================

So a seed's stage 1 is one stored run, shared (and paired) by all of that seed's arms, and
changing a stage-3 setting leaves every stage-1 key unchanged.
"""
from __future__ import annotations

from typing import Any, Dict, List

from ...stn import AffineBounds
from .._study import base_spec
from .config import NAME, VERSION, Config, stn_fields, train_recipe

LOG_ROWS = 50  # stage-2 history rows per run
SNAPSHOTS = 4  # stored θ snapshots of the Fig. 3 images during stage 2 (plus step 0 and the end)


def data_fields(config: Config) -> Dict[str, Any]:
    return {"name": "cifar10", "train_subset": config.train_subset, "test_subset": config.test_subset, "subset_seed": 0}


def stage1_spec(config: Config, seed: int) -> Dict[str, Any]:
    return base_spec(NAME, VERSION, stage="stage1", data=data_fields(config), model=config.model_name,
                     train=train_recipe(config, config.stage1_lr, config.stage1_epochs), seed=seed)


def arm_spec(config: Config, seed: int, arm: str) -> Dict[str, Any]:
    spec = base_spec(NAME, VERSION, stage="arm", arm=arm, parent=stage1_spec(config, seed),
                     train=train_recipe(config, config.stage3_lr, config.stage3_epochs), seed=seed)
    stn = stn_fields(config.stn_config(arm))
    if stn is not None:
        steps = config.stage2_steps
        spec["stn"] = stn
        spec["stage2"] = {"steps": steps, "log_every": max(steps // LOG_ROWS, 1),
                          "snapshot_every": max(steps // SNAPSHOTS, 1)}
    elif arm == "random_affine":  # the box of the bounded G: same strength
        spec["bounds"] = stn_fields_bounds(AffineBounds())
    return spec


def stn_fields_bounds(bounds: AffineBounds) -> Dict[str, float]:
    return {k: float(v) for k, v in vars(bounds).items()}


def plan(config: Config) -> List[Dict[str, Any]]:
    """Stage-1 runs first (one per seed), then the arms seed by seed."""
    specs = [stage1_spec(config, s) for s in config.seeds]
    specs += [arm_spec(config, s, arm) for s in config.seeds for arm in config.arms]
    return specs
