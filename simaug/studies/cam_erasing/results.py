"""What chapter 02 shows, computed from stored runs: tables, curves and figure inputs.

Every function takes the chapter's ``StoredRun`` list (any order); arms are read from the
specs (:func:`~simaug.studies.cam_erasing.plan.arm_of`). Errors are top-1 test errors in %.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence

import numpy as np
import pandas as pd
import torch

from ...augment import create_augment, erase_ratios
from ...runstore import StoredRun
from .config import THESIS, Config
from .plan import AUGMENT_PARAMS, arm_of

TITLES = {"warm-up": "warm-up (end)", "none": "none", "random_erasing": "Random Erasing", "cutout": "Cutout",
          "hide_and_seek": "Hide-and-Seek", "random_erasing_epoch0": "Random Erasing in place from epoch 1 (p = 0.5)"}


def title(arm: str) -> str:
    """Display name of an arm: ``"cam_erasing b_h=2 after"`` -> ``"CAM erasing, b_h = 2, CAM of the trained none model"``."""
    if arm.startswith("cam_erasing"):
        b = arm.split("b_h=")[1].split()[0]
        return f"CAM erasing, b_h = {b}" + (", CAM of the trained none model" if arm.endswith("after") else "")
    return TITLES.get(arm, arm)


def main_cam(config: Config) -> str:
    return f"cam_erasing b_h={config.b_h}"


def arm_groups(config: Config) -> Dict[str, List[str]]:
    """The chapter's groups of arms, by title: main comparison, secondary arms (with the
    main CAM arm and none for reference), the b_h sweep and CAM source (without a verdict)."""
    cam = main_cam(config)
    sweep = [f"cam_erasing b_h={b}" for b in sorted(set(config.bh_sweep) | {config.b_h})]
    return {"main comparison": ["none", "random_erasing", cam],
            "secondary arms": ["none", *config.secondary, cam],
            "b_h sweep and CAM source (one seed, no verdict)": sweep + ([cam + " after"] if config.cam_after else [])}


#: one colour per arm in every figure that shows it (matplotlib's default cycle; the main CAM arm is "C2")
ARM_COLOURS = {"none": "C0", "random_erasing": "C1", "cutout": "C3", "hide_and_seek": "C4", "random_erasing_epoch0": "C5"}


def arm_colors(config: Config) -> Dict[str, object]:
    """``{title: colour}`` for every arm of the design, so that an arm keeps its colour across
    the curve figures: the arms compared with a verdict take fixed colours of the default
    cycle (the main CAM arm green), the other offsets of the b_h sweep an ordered ramp
    (``plasma``, by b_h) and the CAM of the trained model black."""
    import matplotlib

    cam = main_cam(config)
    out = {title(arm): c for arm, c in ARM_COLOURS.items()}
    out[title(cam)] = "C2"
    others = [b for b in sorted(set(config.bh_sweep) | {config.b_h}) if b != config.b_h]
    ramp = matplotlib.colormaps["plasma"]
    for i, b in enumerate(others):
        out[title(f"cam_erasing b_h={b}")] = ramp(0.1 + 0.7 * i / max(1, len(others) - 1))
    out[title(cam + " after")] = "black"
    return out


def curve_groups(runs: Sequence[StoredRun], config: Config) -> Dict[str, pd.DataFrame]:
    """:func:`curves` of each group of :func:`arm_groups`, by its title: the main and secondary
    arms over all their seeds, the b_h sweep and CAM source over ``sweep_seeds`` only (so that
    the main CAM arm's line there is the same seed(s) as the others')."""
    groups = arm_groups(config)
    last = list(groups)[-1]  # the sweep group
    return {name: curves(runs, arms, seeds=list(config.sweep_seeds) if name == last else None) for name, arms in groups.items()}


def by_arm(runs: Sequence[StoredRun]) -> Dict[str, Dict[int, StoredRun]]:
    """``{arm: {seed: run}}``."""
    out: Dict[str, Dict[int, StoredRun]] = {}
    for r in runs:
        out.setdefault(arm_of(r.spec), {})[int(r.spec["seed"])] = r
    return out


def errors(runs: Sequence[StoredRun], arm: str, seeds: Optional[Sequence[int]] = None) -> List[float]:
    """Final test errors (%) of ``arm``, in the order of ``seeds`` (default: all, sorted);
    a seed without a stored run is left out."""
    got = by_arm(runs).get(arm, {})
    seeds = sorted(got) if seeds is None else [s for s in seeds if s in got]
    return [float(got[s].metrics["test_error"]) for s in seeds]


def finals(runs: Sequence[StoredRun]) -> pd.DataFrame:
    """One row per run: arm, seed, final test error and train accuracy (%), deletion test."""
    rows = [{"arm": arm_of(r.spec), "seed": int(r.spec["seed"]), "test_error": r.metrics["test_error"],
             "train_acc": 100 * r.metrics["train_acc"], "epochs": r.metrics["epochs"], "n_train": r.metrics["n_train"],
             "n_test": r.metrics["n_test"], "deletion_extra_drop": 100 * r.metrics["deletion_extra_drop"]} for r in runs]
    return pd.DataFrame(rows)


def runs_table(runs: Sequence[StoredRun]) -> pd.DataFrame:
    """Final test error (%) per arm (rows, by title) and seed (columns), as text with two
    decimals (blank where the design has no run); the warm-up row is its error at the end of
    the warm-up."""
    f = finals(runs)
    order = list(dict.fromkeys(f.arm))
    table = f.pivot(index="arm", columns="seed", values="test_error").reindex(order).round(2)
    table.columns = [f"seed {s}" for s in table.columns]
    table.index = [title(a) for a in table.index]
    table.index.name = "arm"
    return table.map(lambda v: "" if pd.isna(v) else f"{v:.2f}")  # blank: the design has no run of that arm and seed


def history(runs: Sequence[StoredRun]) -> pd.DataFrame:
    """All histories, with ``arm`` and ``seed`` columns and the test error in %."""
    frames = [r.history.assign(arm=arm_of(r.spec), seed=int(r.spec["seed"])) for r in runs if r.history is not None]
    h = pd.concat(frames, ignore_index=True)
    return h.assign(test_error=100 * (1 - h.test_acc))


def _pm(values: Sequence[float]) -> str:
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:.2f} (n=1)"
    return f"{np.mean(values):.2f} ± {np.std(values, ddof=1):.2f} (n={len(values)})"


def sweep_table(runs: Sequence[StoredRun], config: Config) -> pd.DataFrame:
    """The b_h sweep and the CAM source on ``sweep_seeds`` (one seed in the report design):
    our error beside the thesis' (ResNet-20); no verdict."""
    seeds = list(config.sweep_seeds)
    rows = []
    for b in sorted(set(config.bh_sweep) | {config.b_h}):
        e = errors(runs, f"cam_erasing b_h={b}", seeds)
        if e:
            rows.append({"setting": f"b_h = {b}", "thesis (ResNet-20)": THESIS["b_h"].get(b, math.nan), "ours: test error %": _pm(e)})
    after = errors(runs, main_cam(config) + " after", seeds)
    if after:
        during = errors(runs, main_cam(config), seeds)
        rows.append({"setting": "CAM during training", "thesis (ResNet-20)": THESIS["cam_source"]["during"], "ours: test error %": _pm(during)})
        rows.append({"setting": "CAM after training", "thesis (ResNet-20)": THESIS["cam_source"]["after"], "ours: test error %": _pm(after)})
    return pd.DataFrame(rows).set_index("setting") if rows else pd.DataFrame()


def deletion_drops(run: StoredRun) -> tuple:
    """Per-image drops (points) of the true-class probability: (CAM box, random box)."""
    p = np.asarray(run.result.arrays["probe_p"], dtype=np.float64) * 100  # (N, 3)
    return p[:, 0] - p[:, 1], p[:, 0] - p[:, 2]


def erase_ratio_inputs(runs: Sequence[StoredRun], config: Config) -> Dict[str, torch.Tensor]:
    """Erased fraction of ``config.n_draws`` draws of each method's sampler, all at p = 1
    (the *size* of the erased region; in training RE and HaS skip half the images). CAM
    erasing draws its peaks in turn from the probe images' Grad-CAM peaks under the main
    CAM arm's trained model of the first seed (uniform peaks if that run is missing)."""
    out = {}
    for name in ["random_erasing", "cutout", "hide_and_seek", "cam_erasing"]:
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in AUGMENT_PARAMS[name].items()}
        params["p"] = 1.0
        if params.pop("size", 16) != 16:  # erase_ratios' own size= (the image side) shadows Cutout's size
            raise ValueError("erase_ratio_inputs draws Cutout at its default size 16 only")
        cam = None
        if name == "cam_erasing":
            params["b_h"] = config.b_h
            got = by_arm(runs).get(main_cam(config), {})
            if got:
                peaks = torch.as_tensor(got[min(got)].result.arrays["probe_peaks"]).long()  # (N, 2)
                cam = torch.zeros(len(peaks), 32, 32)
                cam[torch.arange(len(peaks)), peaks[:, 0], peaks[:, 1]] = 1.0  # one-hot maps: cam_peaks gives the peak back
        out[title(name) if name != "cam_erasing" else f"CAM erasing (b_h = {config.b_h})"] = erase_ratios(
            name, config.n_draws, seed=0, cam=cam, **params)
    return out


def overlay_inputs(runs: Sequence[StoredRun], test, config: Config):
    """Images (N, C, H, W) uint8 (one test image per class), their labels and
    ``{row title: CAM maps (N, H, W) in [0, 1]}`` of the first seed's warm-up (the CAM
    source when erasing starts) and trained none / Random Erasing / CAM erasing models."""
    got = by_arm(runs)
    rows = {}
    for arm in ["warm-up", "none", "random_erasing", main_cam(config)]:
        if got.get(arm):
            r = got[arm][min(got[arm])]
            rows[title(arm) if arm != "warm-up" else "warm-up end"] = torch.as_tensor(r.result.arrays["overlay_cam"]).float() / 255
            idx = torch.as_tensor(r.result.arrays["overlay_index"]).long()
    if not rows:
        raise ValueError("no stored warm-up, none, Random Erasing or CAM-erasing run to take CAM overlays from")
    return test.images[idx], test.labels[idx], rows


def erased_examples(runs: Sequence[StoredRun], test, config: Config):
    """The overlay images (one per class) as [0, 1] floats and each method's erased copy
    (p = 1, filled with the CIFAR-10 mean colour, which is what 0 of the standardised input
    looks like); CAM erasing uses the stored CAMs of the main CAM arm's trained model."""
    images, _, _ = overlay_inputs(runs, test, config)
    x = images.float() / 255  # (N, C, H, W)
    got = by_arm(runs).get(main_cam(config), {})
    cams = torch.as_tensor(got[min(got)].result.arrays["overlay_cam"]).float() / 255 if got else None
    g = torch.Generator().manual_seed(1)
    out = {}
    for name in ["random_erasing", "cutout", "hide_and_seek", "cam_erasing"]:
        if name == "cam_erasing" and cams is None:
            continue
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in AUGMENT_PARAMS[name].items()}
        params.update(p=1.0, fill="mean", **({"b_h": config.b_h} if name == "cam_erasing" else {}))
        aug = create_augment(name, **params)
        out[title(name) if name != "cam_erasing" else "CAM erasing"] = aug(x, generator=g, **({"cam": cams} if name == "cam_erasing" else {}))
    return x, out


def curves(runs: Sequence[StoredRun], arms: Sequence[str], seeds: Optional[Sequence[int]] = None) -> pd.DataFrame:
    """Seed-mean test error (%) at the evaluated epochs and train loss per epoch of ``arms``
    (over ``seeds``, default all): columns ``arm, epoch, test_error, train_loss, seeds``."""
    h = history(runs)
    h = h[h.arm.isin(arms) & (h.seed.isin(seeds) if seeds is not None else True)]
    g = h.groupby(["arm", "epoch"], sort=False)
    out = g.agg(test_error=("test_error", "mean"), train_loss=("train_loss", "mean"), seeds=("seed", "nunique")).reset_index()
    out["arm"] = out["arm"].map(title)
    return out
