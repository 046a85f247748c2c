"""The runs of chapter 02 as JSON specs.

Every seed of the main comparison has one **warm-up** run (the first ``epochs // 2``
epochs, plain flip + crop training, no erasing). The arms that erase from the warm-up's
end on (the thesis' schedule: erased copies appended to every batch from the first
learning-rate decay) embed the warm-up's spec as ``parent`` and branch from its final
checkpoint, so the arms of one seed share their initialisation, their data order and
their first half, and differ only in what happens after it (paired by seed). The
``none`` arm continues the warm-up without erasing. The ``random_erasing_epoch0`` arm
(Random Erasing in place, p = 0.5, from the first epoch, no doubled batch: how the
baselines are usually run) has no parent. The ``after`` variant of CAM erasing takes its
CAM from the finished ``none`` model of the same seed, whose spec it embeds as ``cam.run``.

Example:
    >>> from simaug.studies.cam_erasing import Config, plan
    >>> specs = plan(Config(seeds=[0], secondary=[], bh_sweep=[], sweep_seeds=[], cam_after=False))
    >>> [arm_of(s) for s in specs]
    ['warm-up', 'none', 'random_erasing', 'cam_erasing b_h=2']
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from ...runstore import unique_specs
from .._study import base_spec
from .config import NAME, VERSION, Config

CAM_LAYER = "layer3"  # the last residual stage of the CIFAR ResNets (8 x 8 maps)
CAM_METHOD = "gradcam"
_BOX = {"scale": [0.02, 0.4], "ratio": [0.3, 1 / 0.3], "attempts": 100, "aspect_sampling": "uniform"}
# The thesis' settings of each method (``create_augment`` parameters); fill 0 of the
# standardised input, i.e. the data-set mean colour.
AUGMENT_PARAMS = {
    "random_erasing": {"p": 0.5, **_BOX, "fill": "zero"},
    "cutout": {"p": 1.0, "size": 16, "fill": "zero"},
    "hide_and_seek": {"p": 0.5, "patch": 8, "hide_prob": 0.5, "fill": "zero"},
    "cam_erasing": {"p": 1.0, **_BOX, "corner": "random", "fill": "zero"},  # plus b_h
}


def recipe(config: Config) -> Dict[str, Any]:
    """The thesis' recipe as TrainConfig fields (without the seed): SGD momentum 0.9,
    weight decay, batch 128, flip + 4-pixel-pad crop, standardised inputs, lr x0.1 at
    about 50% and 75% of the epochs; test evaluation every ``eval_every`` epochs."""
    return dict(epochs=config.epochs, batch_size=config.batch_size, optimizer="sgd", lr=config.lr, momentum=0.9,
                weight_decay=config.weight_decay, schedule="multistep", milestones=config.milestones, gamma=0.1,
                crop_padding=4, flip=True, normalize="standardize", eval_every=config.eval_every, device=config.device)


def _shared(config: Config, seed: int) -> Dict[str, Any]:
    """What every run of one seed shares: data, model, recipe, precision, and the probe
    (deletion test and CAM snapshots of a fixed sample of test images)."""
    return dict(data={"name": "cifar10", "train_subset": config.train_subset, "test_subset": config.test_subset,
                      "subset_seed": 0},
                model=config.model_name, train=recipe(config), precision=config.precision, seed=seed,
                probe={"images": config.probe_images, "b_h": config.b_h, "cam": {"method": CAM_METHOD, "layer": CAM_LAYER}})


def warmup_spec(config: Config, seed: int) -> Dict[str, Any]:
    return base_spec(NAME, VERSION, kind="warmup", arm="warm-up", stop_epoch=config.warm_epochs, **_shared(config, seed))


def arm_spec(config: Config, seed: int, method: Optional[str], params: Optional[Dict[str, Any]] = None,
             cam_run: Optional[Dict[str, Any]] = None, epoch0: bool = False) -> Dict[str, Any]:
    """One arm: ``method`` None (no erasing) or an augmentation name with its ``params``.

    Branching arms start erasing at the warm-up's end and append the erased copies;
    ``epoch0`` arms erase in place from the first epoch and have no parent. CAM arms
    carry their CAM source: the model being trained (``cam_run`` None) or the final model
    of the run ``cam_run`` (a spec).
    """
    augment = None
    if method is not None:
        augment = {"name": method, "params": {**AUGMENT_PARAMS[method], **(params or {})}, "mode": "replace" if epoch0 else "append",
                   "start_epoch": 0 if epoch0 else config.warm_epochs}
        if method == "cam_erasing":
            augment["cam"] = {"method": CAM_METHOD, "layer": CAM_LAYER, "target": "label",
                              "source": "self" if cam_run is None else "run", "run": cam_run}
    parent = None if epoch0 else warmup_spec(config, seed)
    return base_spec(NAME, VERSION, kind="arm", arm=_label(augment), augment=augment, parent=parent, **_shared(config, seed))


def plan(config: Config) -> List[Dict[str, Any]]:
    """Every run of the chapter, warm-ups first (they are the other runs' parents), without
    duplicates (the main CAM arm is also the b_h sweep's b_h = ``config.b_h`` point)."""
    c = config
    specs = [warmup_spec(c, s) for s in c.seeds]
    for s in c.seeds:
        specs += [arm_spec(c, s, None), arm_spec(c, s, "random_erasing"), arm_spec(c, s, "cam_erasing", {"b_h": c.b_h})]
    for s in c.secondary_seeds:
        for arm in c.secondary:
            specs.append(arm_spec(c, s, "random_erasing", epoch0=True) if arm == "random_erasing_epoch0" else arm_spec(c, s, arm))
    for s in c.sweep_seeds:
        specs += [arm_spec(c, s, "cam_erasing", {"b_h": b}) for b in c.bh_sweep]
        if c.cam_after:
            specs.append(arm_spec(c, s, "cam_erasing", {"b_h": c.b_h}, cam_run=arm_spec(c, s, None)))
    return unique_specs(specs)


def _label(augment: Optional[Dict[str, Any]]) -> str:
    if augment is None:
        return "none"
    if augment["mode"] == "replace":
        return f"{augment['name']}_epoch0"
    if augment["name"] == "cam_erasing":
        return f"cam_erasing b_h={augment['params']['b_h']}" + (" after" if augment["cam"]["source"] == "run" else "")
    return augment["name"]


def arm_of(spec: Dict[str, Any]) -> str:
    """A run's arm (its spec's ``arm`` field, derived from the rest of the spec, so it never
    splits or merges runs): ``"warm-up"``, ``"none"``, ``"random_erasing"``, ``"cutout"``,
    ``"hide_and_seek"``, ``"random_erasing_epoch0"``, ``"cam_erasing b_h=2"`` or
    ``"cam_erasing b_h=2 after"``."""
    return spec["arm"]
