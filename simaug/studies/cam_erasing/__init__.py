"""Study of notebook 02: Grad-CAM-guided erasing (Oh, MSc thesis 2024) against Random
Erasing, Cutout and Hide-and-Seek on CIFAR-10 ResNets.

The thesis' schedule: the first half of training without erasing (a warm-up, shared by
every arm of a seed), then every batch trained together with its erased copy. Main
arms none / Random Erasing / CAM erasing (b_h = 2) on ``seeds``, paired by seed; Cutout,
Hide-and-Seek and Random Erasing in place from the first epoch on ``secondary_seeds``; the
b_h sweep and the CAM source (model in training vs the trained ``none`` model) on
``sweep_seeds``, shown without a verdict. Files: ``config`` (parameters, the thesis'
numbers), ``plan`` (the run specs), ``execute`` (one run: training, warm-up sharing, the
deletion-test probe), ``results`` (tables and figure inputs), ``verdict`` (gates,
resolution, claims).
"""
from .config import MAIN_ARMS, NAME, SECONDARY_ARMS, THESIS, VERSION, Config
from .execute import execute, final_checkpoint, probe
from .plan import AUGMENT_PARAMS, arm_of, arm_spec, plan, recipe, warmup_spec
from .results import (arm_groups, by_arm, comparison_table, curves, deletion_table, erase_ratio_inputs, erased_examples, errors,
                      finals, history, overlay_inputs, paired, runs_table, sweep_table, title)
from .verdict import claims, design_resolution, gates, ks_to_uniform

__all__ = [
    "AUGMENT_PARAMS", "Config", "MAIN_ARMS", "NAME", "SECONDARY_ARMS", "THESIS", "VERSION", "arm_groups", "arm_of",
    "arm_spec", "by_arm", "claims", "comparison_table", "curves", "deletion_table", "design_resolution", "erase_ratio_inputs",
    "erased_examples", "errors", "execute", "final_checkpoint", "finals", "gates", "history", "ks_to_uniform",
    "overlay_inputs", "paired", "plan", "probe", "recipe", "runs_table", "sweep_table", "title", "warmup_spec",
]
