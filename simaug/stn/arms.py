"""The arms of the STN-augmentation experiment (SPEC §01) by name.

Every arm starts from the same stage-1 classifier and differs only in what stage 3 trains on:

==============  ====================================================================
arm             stage 2 / stage 3
==============  ====================================================================
baseline        no stage 2; C keeps training on the originals (the paper's baseline)
random_affine   no stage 2; originals + random affine copies inside ``AffineBounds``
paper           variant "paper", L_ME with the printed sign (``me_form="paper"``)
ascent          variant "paper", L_ME with the sign that raises the entropy
bounded, ...    each remedy of ``simaug.stn.config`` with ``remedy_me_form``
==============  ====================================================================

Running the arms (stage 1, stage 2, the stage-3 callbacks) is the study's job:
``simaug.studies.stn_augment``.
"""
from __future__ import annotations

from typing import List, Optional

from .config import STNConfig, list_variants

PLAIN_ARMS = ("baseline", "random_affine")  # arms without stage 2


def list_arms() -> List[str]:
    """``baseline``, ``random_affine``, ``paper``, ``ascent`` and the remedies."""
    return [*PLAIN_ARMS, "paper", "ascent", *[v for v in list_variants() if v != "paper"]]


def arm_config(arm: str, remedy_me_form: str = "ascent", **overrides) -> Optional[STNConfig]:
    """The ``STNConfig`` of a learned-augmentation arm, None for ``baseline`` / ``random_affine``.

    Args:
        arm: one of ``list_arms()``.
        remedy_me_form: the L_ME sign used by the remedies (the paper sign rewards the
            identity, so remedies of the collapse are tested with ``"ascent"`` by default).
        overrides: further ``STNConfig`` fields (learning rates, lam, bounds, ...).

    Example:
        >>> arm_config("ascent").me_form, arm_config("no_disc").variant, arm_config("baseline")
        ('ascent', 'no_disc', None)
    """
    if arm not in list_arms():
        raise KeyError(f"unknown arm {arm!r}; choose from {list_arms()}")
    if arm in PLAIN_ARMS:
        return None
    if arm == "paper":
        return STNConfig(variant="paper", me_form="paper", **overrides)
    if arm == "ascent":
        return STNConfig(variant="paper", me_form="ascent", **overrides)
    return STNConfig(variant=arm, me_form=remedy_me_form, **overrides)
