"""The arms of the STN-augmentation experiment (SPEC §01) by name, and stage 2 with a saved
result so an interrupted run does not redo it.

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
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, List, Optional

import torch
import torch.nn as nn

from simaug.train.callback import Callback

from .config import STNConfig, list_variants
from .fine_tune import STNAugmentCallback
from .random_affine import RandomAffineCallback
from .stages import STNResult

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


def arm_callbacks(arm: str, G: Optional[nn.Module], cfg: Optional[STNConfig], seed: int = 0) -> List[Callback]:
    """Stage-3 callbacks: none (baseline), random affine copies inside the bounded G's box
    (random_affine), or G's warps appended to each batch (learned arms)."""
    if arm == "baseline":
        return []
    if arm == "random_affine":
        bounds = cfg.bounds if cfg is not None else STNConfig().bounds
        return [RandomAffineCallback(bounds, seed=seed)]
    if G is None:
        raise ValueError(f"arm {arm!r} needs the stage-2 augmenter G")
    return [STNAugmentCallback(G)]


def cached_stage2(path: Path, G: nn.Module, D: Optional[nn.Module], train: Callable[[], STNResult]) -> STNResult:
    """Run ``train()`` (stage 2, which updates G and D in place) once and save G, D and its
    result to ``path``; later calls load them instead of training again."""
    path = Path(path)
    if path.exists():
        state = torch.load(path, weights_only=False)
        G.load_state_dict(state["G"])
        if D is not None and state["D"] is not None:
            D.load_state_dict(state["D"])
        return state["result"]
    result = train()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"G": G.state_dict(), "D": D.state_dict() if D is not None else None, "result": result}, tmp)
    tmp.replace(path)
    return result
