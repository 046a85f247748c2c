"""Study of notebook 01: learned affine augmentation with a max-entropy adversary (Cho, Kim &
Yoon; SPEC §01), next to the baseline and random affine copies of the same strength.

Runs (``plan``): per seed one stage-1 classifier, and per seed and arm one run that starts from
it (``execute``: stage 2 for the learned arms, then stage 3). What the chapter shows is computed
from the stored runs (``results``).

Modules: ``config`` (parameters and recipes), ``specs`` (the plan), ``execution`` (one run),
``results`` (tables and figure inputs). The table next to the paper's, the gates and the claims
are computed in :mod:`simaug.report.chapters.stn_augment`.
"""
from .config import NAME, VERSION, Config
from .execution import execute
from .results import (accuracy_by_seed, arms, discriminator_table, finals, first_seed_histories, learned, scale, snapshots,
                      stage1_finals, stage1_history, stage2_history)
from .specs import plan

__all__ = ["NAME", "VERSION", "Config", "plan", "execute", "accuracy_by_seed", "arms", "discriminator_table", "finals",
           "first_seed_histories", "learned", "scale", "snapshots", "stage1_finals", "stage1_history", "stage2_history"]
