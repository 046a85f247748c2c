"""Start a run from another run's checkpoint: a shared warm-up.

When several arms of an experiment train identically for their first epochs (the
thesis' erasing schedule: the first half of training without erasing), the warm-up can
be trained once per seed and every arm branched from its checkpoint. The data order and
crop/flip draws follow ``(seed, epoch)`` and the checkpoint holds the model, optimiser,
scheduler and RNG state, so a branch continues exactly as an uninterrupted run would.
Which runs share a warm-up, and where its checkpoint is found, is the experiment's
business (``simaug.studies.cam_erasing``: the warm-up is a stored run of its own and the
arms embed its spec); this module only does the branching.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from simaug.callback import Callback
from simaug.train.checkpoint import load_checkpoint, save_checkpoint


def branch_checkpoint(source: os.PathLike, run_dir: os.PathLike, callbacks: Iterable[Callback] = ()) -> Path:
    """Copy ``source`` to ``run_dir/checkpoint.pt`` with the callback states replaced by
    the fresh states of ``callbacks`` (the branch's own); ``Trainer.fit`` then resumes
    from it. An existing checkpoint in ``run_dir`` (the branch's own progress) is kept.

    Example:
        >>> branch_checkpoint(warm / "checkpoint.pt", arm_dir, [AugmentCallback("cutout", start_epoch=3)])  # doctest: +SKIP
    """
    dst = Path(run_dir) / "checkpoint.pt"
    if dst.exists():
        return dst
    state = load_checkpoint(source)
    state["callbacks"] = [cb.state_dict() for cb in callbacks]
    dst.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(state, dst)
    return dst
