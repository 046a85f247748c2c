"""What chapter 01 shows, computed from stored runs: per-arm finals, the stage-1 and stage-2
histories, Fig. 3's snapshots and the discriminator's trajectory. The comparisons (the table
next to the paper's, gates, claims) are computed in :mod:`simaug.report.chapters.stn_augment`.

Accuracies are fractions in the stored metrics and **points** (x100) where arms are compared.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence, Tuple

import pandas as pd
import torch

from ...runstore import StoredRun
from ...stn import STNSnapshots
from .execution import load_data

PAPER = {"baseline": 0.8736, "paper": 0.8760}  # Table 1, ResNet-18 on CIFAR-10, one run each
LN4 = 2 * math.log(2)  # D's loss when it cannot tell real from warped (D = 1/2 everywhere)
WITH_D = ("paper", "ascent", "bounded", "penalty", "low_freedom")  # arms whose stage 2 trains a discriminator


def stage1_runs(runs: Sequence[StoredRun]) -> List[StoredRun]:
    return [r for r in runs if r.spec["stage"] == "stage1"]


def arm_runs(runs: Sequence[StoredRun], arm: Optional[str] = None) -> List[StoredRun]:
    """The arm runs (of one arm), in seed order."""
    out = [r for r in runs if r.spec["stage"] == "arm" and (arm is None or r.spec["arm"] == arm)]
    return sorted(out, key=lambda r: r.spec["seed"])


def arms(runs: Sequence[StoredRun]) -> List[str]:
    return list(dict.fromkeys(r.spec["arm"] for r in arm_runs(runs)))


def learned(runs: Sequence[StoredRun]) -> List[str]:
    return [a for a in arms(runs) if "stn" in arm_runs(runs, a)[0].spec]


def points(runs: Sequence[StoredRun], arm: str, key: str = "test_acc") -> List[float]:
    """One value per seed (seed order), x100."""
    return [100 * r.metrics[key] for r in arm_runs(runs, arm)]


def finals(runs: Sequence[StoredRun]) -> pd.DataFrame:
    """One row per arm run: arm, seed and its metrics."""
    return pd.DataFrame([{"arm": r.spec["arm"], "seed": r.spec["seed"], **r.metrics} for r in arm_runs(runs)])


def accuracy_by_seed(runs: Sequence[StoredRun]) -> pd.DataFrame:
    """Final test accuracy, one row per arm (plan order) and one column per seed."""
    return finals(runs).pivot(index="arm", columns="seed", values="test_acc").loc[arms(runs)]


def stage1_finals(runs: Sequence[StoredRun]) -> pd.DataFrame:
    return pd.DataFrame([{"seed": r.spec["seed"], **r.metrics} for r in stage1_runs(runs)]).set_index("seed")


def stage1_history(runs: Sequence[StoredRun]) -> pd.DataFrame:
    return pd.concat([r.history.assign(seed=r.spec["seed"]) for r in stage1_runs(runs)], ignore_index=True)


def stage2_history(runs: Sequence[StoredRun]) -> pd.DataFrame:
    """Every learned arm's stage-2 history, long: one row per arm, seed and logged step."""
    parts = [r.result.tables["stage2"].reset_index().assign(arm=r.spec["arm"], seed=r.spec["seed"])
             for r in arm_runs(runs) if "stage2" in r.result.tables]
    if not parts:
        return pd.DataFrame(columns=["step", "arm", "seed"])
    h = pd.concat(parts, ignore_index=True)
    h["test_entropy_gain"] = h["test_entropy_aug"] - h["test_entropy_orig"]
    return h


def first_seed_histories(runs: Sequence[StoredRun]) -> Dict[str, pd.DataFrame]:
    """``{arm: stage-2 history}`` of the first seed (Fig. 2)."""
    return {a: arm_runs(runs, a)[0].result.tables["stage2"].reset_index() for a in learned(runs)}


def snapshots(runs: Sequence[StoredRun], seed: Optional[int] = None) -> Tuple[Dict[str, STNSnapshots], List[str]]:
    """Fig. 3: ``{learned arm: STNSnapshots}`` of one seed (default: the first) and the class
    names of the images shown. The images are re-read from the test set by their stored index."""
    out: Dict[str, STNSnapshots] = {}
    classes: List[str] = []
    for a in learned(runs):
        r = next(r for r in arm_runs(runs, a) if seed is None or r.spec["seed"] == seed)
        _, test = load_data(r.spec["parent"]["data"])
        z = r.result.arrays
        idx = torch.as_tensor(z["snapshot_index"])
        out[a] = STNSnapshots(test.images[idx], steps=[int(s) for s in z["snapshot_steps"]],
                              thetas=list(torch.as_tensor(z["snapshot_thetas"])))
        classes = [test.classes[int(k)] for k in test.labels[idx]]
    return out, classes


# -- the discriminator ---------------------------------------------------------------------------
def d_departure(history: pd.DataFrame, window: int = 5) -> float:
    """How far D's held-out loss got from 2 ln 2 during stage 2: the largest |loss - 2 ln 2| of
    its rolling mean over ``window`` logged steps (nats). 0 for a D that never learned."""
    s = history["test_loss_d"].rolling(window, min_periods=1).mean()
    return float((s - LN4).abs().max())


def quarter_means(history: pd.DataFrame, column: str) -> Tuple[float, float]:
    """Mean of ``column`` over the first and over the last quarter of the logged steps."""
    k = max(len(history) // 4, 1)
    return float(history[column].iloc[:k].mean()), float(history[column].iloc[-k:].mean())


def discriminator_table(runs: Sequence[StoredRun]) -> pd.DataFrame:
    """Per arm with D (mean over seeds): D's held-out loss at the first and last logged step,
    its lowest and highest value, its largest departure from 2 ln 2, and D's loss on 1,000
    held-out images at the end."""
    rows = {}
    for a in learned(runs):
        rs = [r for r in arm_runs(runs, a) if "d_loss_heldout" in r.metrics]
        if not rs:
            continue
        hs = [r.result.tables["stage2"] for r in rs]
        rows[a] = {"first": sum(h.test_loss_d.iloc[0] for h in hs) / len(hs),
                   "lowest": sum(h.test_loss_d.min() for h in hs) / len(hs),
                   "highest": sum(h.test_loss_d.max() for h in hs) / len(hs),
                   "last": sum(h.test_loss_d.iloc[-1] for h in hs) / len(hs),
                   "largest |loss - 2 ln 2|": sum(d_departure(h) for h in hs) / len(hs),
                   "end, 1,000 held-out images": sum(r.metrics["d_loss_heldout"] for r in rs) / len(rs)}
    return pd.DataFrame(rows).T.rename_axis("arm (D's held-out loss, nats; 2 ln 2 = 1.3863)").round(4)


def scale(runs: Sequence[StoredRun]) -> str:
    """The scale the claims were measured at, in words."""
    s1, arm = stage1_runs(runs)[0], arm_runs(runs)[0]
    m = s1.metrics
    steps = next((r.spec["stage2"]["steps"] for r in arm_runs(runs) if "stage2" in r.spec), 0)
    return (f"{s1.spec['model']}, {m['n_train']:,} CIFAR-10 images ({m['n_test']:,} test); stage 1 {m['epochs']} epochs, "
            f"stage 2 {steps:,} steps, stage 3 {arm.metrics['epochs']} epochs; n={len(stage1_runs(runs))} paired seeds")
