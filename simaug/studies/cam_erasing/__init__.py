"""Study of notebook 02: Grad-CAM-guided erasing (Oh, MSc thesis 2024) against Random
Erasing, Cutout and Hide-and-Seek on CIFAR-10 ResNets.

The thesis' schedule: the first half of training without erasing (a warm-up, shared by
every arm of a seed), then every batch trained together with its erased copy. Main
arms none / Random Erasing / CAM erasing (b_h = 2) on ``seeds``, paired by seed; Cutout,
Hide-and-Seek and Random Erasing in place from the first epoch on ``secondary_seeds``; the
b_h sweep and the CAM source (model in training vs the trained ``none`` model) on
``sweep_seeds``, shown without a verdict. Files: ``config`` (parameters, the thesis'
numbers), ``plan`` (the run specs), ``execute`` (one run: training, warm-up sharing, the
deletion-test probe), ``results`` (tables and figure inputs). Its paired tables, gates, resolution and claims are
computed in :mod:`simaug.report.chapters.cam_erasing`.
"""
from .config import MAIN_ARMS, NAME, PILOT_SEED, SECONDARY_ARMS, THESIS, VERSION, Config
from .execute import execute, final_checkpoint, probe
from .plan import AUGMENT_PARAMS, arm_of, arm_spec, plan, recipe, warmup_spec
from .results import (arm_colors, arm_groups, by_arm, curve_groups, curves, erase_ratio_inputs, erased_examples, errors, finals, history, overlay_inputs,
                      runs_table, sweep_table, title)

__all__ = [
    "AUGMENT_PARAMS", "Config", "MAIN_ARMS", "NAME", "PILOT_SEED", "SECONDARY_ARMS", "THESIS", "VERSION", "arm_colors", "arm_groups", "curve_groups", "arm_of",
    "arm_spec", "by_arm", "curves", "erase_ratio_inputs",
    "erased_examples", "errors", "execute", "final_checkpoint", "finals", "history", "overlay_inputs", "plan", "probe", "recipe", "runs_table", "sweep_table", "title", "warmup_spec",
]
