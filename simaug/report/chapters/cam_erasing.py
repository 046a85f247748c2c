"""Chapter 02 in the report layer: paired tables, gates, the design's resolution and the claims,
from the study's stored runs.

Gates (a failed one makes every claim ``uninformative``):

* the ``none`` arm fits its training set (final running train accuracy >= 95%, seed mean)
  and its test accuracy has plateaued (rise over its last three evaluations <= 0.5 points);
* the positive control: Random Erasing has a lower error than ``none`` (paired CI below 0);
* the CAM localises: on the warm-up models (the CAM source when erasing starts), setting
  the CAM-erasing box to 0 lowers the true-class probability more than a random box of the
  same size (per-image differences pooled over seeds; CI above 0).

Claims: CAM erasing beats Random Erasing (the main one, paired over ``seeds``), Cutout,
Hide-and-Seek and Random Erasing run in place from the first epoch (paired over
``secondary_seeds``); b_h = 2 is the best offset and the CAM of the model in training beats
that of a trained model (checks without a verdict: the thesis' differences, 0.03-0.14
points, lie below what any CPU budget resolves); Random Erasing's erase ratios are the
most uniform (entropy of the histograms).
"""
from __future__ import annotations

import dataclasses
import math
import re
from typing import Dict, List, Optional, Sequence

import numpy as np
import pandas as pd
import torch

from ...runstore import StoredRun
from ...studies.cam_erasing.config import NAME, THESIS, Config
from ...studies.cam_erasing.results import _pm, by_arm, deletion_drops, errors, main_cam, title
from ..compare import compare
from ..format import fmt_interval, fmt_num
from ..frame import gate_row
from ..gates import Gate
from ..judge import judge_check, judge_effect
from ..resolution import resolution

FIT_MIN = 95.0  # % final train accuracy of the none arm
PLATEAU_EVALS = 3  # last test evaluations of the none arm ...
PLATEAU_TOL = 0.5  # ... may rise by at most this many points
SECTION = "verdict"


def gates(runs: Sequence[StoredRun], config: Config) -> List[Gate]:
    """The four gates of the module docstring, in order, each with its measured value."""
    got = by_arm(runs)
    none = [got["none"][s] for s in config.seeds if s in got.get("none", {})]
    fit = float(np.mean([100 * r.metrics["train_acc"] for r in none])) if none else math.nan
    acc = []  # seed-mean test accuracy (%) at the evaluated epochs
    if none:
        acc = (pd.concat([r.history[["epoch", "test_acc"]].dropna() for r in none]).groupby("epoch").test_acc.mean() * 100).tolist()
    out = [Gate.at_least("baseline fits", fit, FIT_MIN, unit="%", description="final running train accuracy of the none arm "
                         "(seed mean): a regulariser can only act on a model that fits its training set"),
           Gate.plateau("baseline plateaued", acc[-PLATEAU_EVALS:], PLATEAU_TOL, unit="points", over="evaluations", description=(
               f"rise of the none arm's seed-mean test accuracy over its last {PLATEAU_EVALS} evaluations"))]
    c = paired(runs, "random_erasing", "none")
    what = "Random Erasing minus none, test error paired by seed: erasing must help at this scale"
    out.append(Gate.beats("positive control", c, direction=-1, unit="points", description=what) if c is not None
               else Gate("positive control", what, math.nan, "CI below 0", False, "points"))
    warm = [got["warm-up"][s] for s in config.seeds if s in got.get("warm-up", {})]
    what = ("deletion test on the warm-up models (the CAM source when erasing starts): drop of the true-class probability "
            "when the CAM box is erased minus when a random box of the same size is")
    if warm:
        cam, rnd = (np.concatenate(v) for v in zip(*(deletion_drops(r) for r in warm)))
        out.append(Gate.beats("CAM localises", compare(cam, rnd, paired=True), direction=+1, unit="points",
                              description=f"{what}; {len(cam)} image-runs, paired"))
    else:
        out.append(Gate("CAM localises", what, math.nan, "CI above 0", False, "points"))
    return out


def revision_table(earlier: Sequence) -> pd.DataFrame:
    """The gates of each earlier execution of the design and of each pilot, from their stored
    runs: ``earlier`` holds ``(config, runs)`` pairs (``session.earlier(epochs=E, seeds=[0, 1],
    secondary_seeds=[], sweep_seeds=[])``). A design whose gate failed is re-run with what the
    gate names (here: a longer schedule); this table is the record of why. Only gates are shown:
    no comparison between erasing methods of an earlier execution is computed. A pilot of the
    baseline alone (warm-up and none arm, no Random Erasing) shows the gates it can measure."""
    rows = []
    for config, runs in earlier:
        seeds = sorted({r.spec["seed"] for r in runs if r.spec.get("arm") == "none"})
        label = f"{config.epochs} epochs, seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds)) or 'none stored'}"
        if not seeds:
            rows.append({"execution": label, "gate": "—", "measured": "its runs are not in the store", "needs": "—",
                         "passed": "—"})
            continue
        baseline_only = not any(r.spec.get("arm") == "random_erasing" for r in runs)
        if baseline_only:
            label += " (pilot: none arm)"
        rows += [{"execution": label, **gate_row(g)} for g in gates(runs, dataclasses.replace(config, seeds=seeds))
                 if not (baseline_only and g.name == "positive control")]
    for row in rows:  # the table has its own "needs" column: the measured value alone, short enough to show whole
        row["measured"] = re.sub(r"; needs [^)]*\)$", ")", re.sub(r"\s*\(needs [^)]*\)$", "", row["measured"]))
    return pd.DataFrame(rows, columns=["execution", "gate", "measured", "needs", "passed"])


def scale(runs: Sequence[StoredRun], config: Config, seeds: Sequence[int]) -> str:
    r = runs[0].metrics
    return (f"{config.model_name}, {int(r['n_train']):,} CIFAR-10 images × {config.epochs} epochs (erasing from epoch "
            f"{config.warm_epochs + 1}), {int(r['n_test']):,} test images, "
            + (f"n={len(seeds)} paired seeds" if len(seeds) > 1 else f"n={len(seeds)} seed"))


def design_resolution(runs: Sequence[StoredRun], config: Config) -> pd.DataFrame:
    """The smallest CAM-vs-RE difference the design resolves (80% power, paired t test at
    5%) with the seed count fixed at ``len(config.seeds)``, from the paired spread of the
    first two seeds (the SD of two differences: a rough estimate with one degree of freedom)."""
    first = list(config.seeds)[:2]
    d = [a - b for a, b in zip(errors(runs, main_cam(config), first), errors(runs, "random_erasing", first))]
    sd = float(np.std(d, ddof=1)) if len(d) == 2 else math.nan
    n = len(config.seeds)
    res = resolution(sd, n, paired=True) if not math.isnan(sd) else math.nan
    thesis = THESIS["methods"]["resnet20"]
    return pd.DataFrame({"value": {
        "seeds of the main comparison (fixed)": str(n),
        "CAM − RE per seed, first two seeds (points)": ", ".join(f"{x:+.2f}" for x in d) or "—",
        "paired SD from them (points)": fmt_num(sd),
        f"resolution with {n} seeds (80% power, points)": fmt_num(res),
        "the thesis' CAM − RE (ResNet-20, points)": f"{thesis['cam_erasing'] - thesis['random_erasing']:+.2f}",
    }})


def ks_to_uniform(r) -> float:
    """Kolmogorov-Smirnov distance between draws ``r`` and the uniform distribution on
    their own range [min, max]: 0 for perfectly uniform draws, near 1 for a spike.

    Example:
        >>> round(ks_to_uniform(np.linspace(0.1, 0.3, 1001)), 3)
        0.001
    """
    x = np.sort(np.asarray(r, dtype=np.float64))
    lo, hi = x[0], x[-1]
    if hi <= lo:
        return 1.0
    cdf = (x - lo) / (hi - lo)
    i = np.arange(1, len(x) + 1)
    return float(max((i / len(x) - cdf).max(), (cdf - (i - 1) / len(x)).max()))


def claims(runs: Sequence[StoredRun], config: Config, ratios: Optional[Dict[str, torch.Tensor]] = None) -> list:
    g = gates(runs, config)
    thesis = THESIS["methods"].get(config.model_name, THESIS["methods"]["resnet20"])
    cam = main_cam(config)
    out = []
    effects = [("random_erasing", "02-cam-vs-random-erasing", "Random Erasing", "random_erasing", config.seeds),
               ("cutout", "02-cam-vs-cutout", "Cutout", "cutout", config.secondary_seeds),
               ("hide_and_seek", "02-cam-vs-hide-and-seek", "Hide-and-Seek", "hide_and_seek", config.secondary_seeds),
               ("random_erasing_epoch0", "02-cam-vs-random-erasing-in-place", "Random Erasing run in place from the first "
                "epoch (no doubled batch)", "random_erasing", config.secondary_seeds)]
    for arm, cid, name, src, seeds in effects:
        c = paired(runs, cam, arm)
        if c is None:
            continue
        src_value = round(thesis["cam_erasing"] - thesis[src], 2)
        out.append(judge_effect(
            NAME, cid, f"CAM erasing (b_h = {config.b_h}) gives a lower test error than {name} ({config.model_name}: "
                       f"{thesis['cam_erasing']:.2f}% vs {thesis[src]:.2f}%).",
            src_value, c, scale(runs, config, seeds[:c.n]), gates=g, direction=-1, section=SECTION, unit="points"))
    seeds = list(config.sweep_seeds)
    sweep = {b: errors(runs, f"cam_erasing b_h={b}", seeds) for b in sorted(set(config.bh_sweep) | {config.b_h})}
    sweep = {b: float(np.mean(e)) for b, e in sweep.items() if e}
    if len(sweep) > 1:
        best = min(sweep, key=sweep.get)
        out.append(judge_check(
            NAME, "02-bh-best", "b_h = 2 is the best CAM offset (ResNet-20: 6.40% against 6.43-6.54% for b_h = 0, 1, 3, 4, 5).",
            2, best, None, scale(runs, config, seeds),
            f"No verdict by design: our lowest error is at b_h = {best} ({'; '.join(f'{b}: {e:.2f}%' for b, e in sweep.items())}, "
            f"n={len(seeds)} seed(s) each), and the thesis' whole sweep spans 0.14 points, below what a CPU budget resolves",
            gates=g, section=SECTION, n=len(seeds)))
    after, during = errors(runs, cam + " after", seeds), errors(runs, cam, seeds)
    if after and during:
        d = float(np.mean(after) - np.mean(during))
        out.append(judge_check(
            NAME, "02-cam-source", "The CAM of the model being trained works at least as well as that of a separately trained "
                                   "model (6.40% vs 6.44%).",
            round(THESIS["cam_source"]["after"] - THESIS["cam_source"]["during"], 2), round(d, 3), None, scale(runs, config, seeds),
            f"No verdict by design: after minus during is {d:+.2f} points (n={len(seeds)} seed(s)), the thesis' +0.04 points lies "
            f"far below what a CPU budget resolves", gates=g, section=SECTION, n=len(seeds), unit="points"))
    if ratios:
        ks = {k: ks_to_uniform(v) for k, v in ratios.items()}
        top = min(ks, key=ks.get)
        re_name = title("random_erasing")
        out.append(judge_check(
            NAME, "02-erase-ratio-uniform", "Random Erasing's erase-ratio distribution is the most uniform of the four methods.",
            re_name, top, top == re_name, f"sampler draws, {len(next(iter(ratios.values()))):,} per method",
            "Kolmogorov-Smirnov distance of each method's erase ratios (p = 1) to the uniform distribution on their own "
            "range (0 = uniform): " + ", ".join(f"{k} {v:.3f}" for k, v in ks.items()), section=SECTION))
    return out

def paired(runs: Sequence[StoredRun], a: str, b: str):
    """``compare(errors of a, errors of b)`` over the seeds both arms have (paired by seed)."""
    got = by_arm(runs)
    seeds = sorted(set(got.get(a, {})) & set(got.get(b, {})))
    if not seeds:
        return None
    return compare(errors(runs, a, seeds), errors(runs, b, seeds), paired=True)


def comparison_table(runs: Sequence[StoredRun], config: Config) -> pd.DataFrame:
    """The thesis' table beside ours: per method the thesis' error, ours (mean ± SD over
    seeds) and CAM erasing minus the method, paired by seed, with its 95% CI."""
    thesis = THESIS["methods"].get(config.model_name, {})
    cam = main_cam(config)
    rows = []
    for arm in ["none", "random_erasing", "cutout", "hide_and_seek", "random_erasing_epoch0", cam]:
        e = errors(runs, arm)
        if not e:
            continue
        src = thesis.get("cam_erasing" if arm == cam else arm)
        c = paired(runs, cam, arm) if arm != cam else None
        diff = "—" if c is None else (f"{fmt_num(c.diff, 'points', sign=True)}" +
                                      ("" if c.degenerate else f" (95% CI {fmt_interval(c.ci, 'points', sign=True)}, n={c.n})"))
        rows.append({"method": title(arm), f"thesis ({config.model_name}, 300 epochs, 5 runs)": "—" if src is None else f"{src:.2f}",
                     "ours: test error %": _pm(e), "CAM erasing minus this (paired)": diff})
    return pd.DataFrame(rows).set_index("method")


def deletion_table(runs: Sequence[StoredRun], config: Config) -> pd.DataFrame:
    """The deletion test of the warm-up and the main arms' trained models, pooled over
    seeds: mean true-class probability and its mean drop (points) when the CAM box or a
    random box of the same size is set to 0, and the extra drop of the CAM box with its
    spread over images and its 95% CI (images paired)."""
    got = by_arm(runs)
    rows = []
    for arm in ["warm-up", "none", "random_erasing", main_cam(config)]:
        rs = list(got.get(arm, {}).values())
        if not rs:
            continue
        cam, rnd = (np.concatenate(v) for v in zip(*(deletion_drops(r) for r in rs)))
        p0 = np.concatenate([np.asarray(r.result.arrays["probe_p"])[:, 0] for r in rs]) * 100
        c = compare(cam, rnd, paired=True)
        rows.append({"model": title(arm), "images × runs": f"{len(cam) // len(rs)} × {len(rs)}",
                     "true-class prob. %": round(float(p0.mean()), 1), "drop, CAM box": round(float(cam.mean()), 2),
                     "drop, random box": round(float(rnd.mean()), 2),
                     "extra drop ± SD": f"{fmt_num(c.diff, sign=True, digits=2)} ± {c.sd:.2f}",
                     "95% CI": fmt_interval(c.ci, "points", sign=True)})
    return pd.DataFrame(rows).set_index("model")
