"""Chapter 01 in the report layer: the table next to the paper's, the gates and the claims,
from the stored runs of :mod:`simaug.studies.stn_augment`.

Gates (each claim lists the ones it depends on; a failed gate makes it ``uninformative``):

* **stage 1 trains C**: the stage-1 classifier's accuracy on its training images (scored in
  eval mode after the last epoch) is at least 95% (mean over seeds); the max-entropy game needs
  a C that is sure of the training images.
* **positive control**: random affine copies beat the baseline (paired 95% CI above 0).
  If augmentation of this strength cannot help at this scale, no arm can show a gain or its
  absence, so every claim of the chapter depends on it.
* **D learns** (per arm with D): D's held-out loss leaves 2 ln 2 during stage 2 (its rolling
  mean departs by at least 0.05 nats, mean over seeds). A D at 2 ln 2 tells real from warped
  no better than chance, so D's and G's curves say nothing about the adversarial game.

Claims: the paper's method gives no real gain (no-difference claim with a ±1 point margin);
D's loss rises while G's falls; G goes to (near-)identity warps; and one claim per suggested
remedy that was run (it should turn the learned augmentation into a gain over the baseline).
"""
from __future__ import annotations

import math
from typing import Dict, List, Sequence

import pandas as pd

from ...runstore import StoredRun
from ...stn.diagnostics import NEAR_IDENTITY
from ...studies.stn_augment.config import NAME
from ...studies.stn_augment.results import (PAPER, arm_runs, arms, d_departure, finals, points, quarter_means, scale,
                                            stage1_runs)
from ..claims import Claim
from ..compare import compare
from ..format import fmt_interval, fmt_num
from ..gates import Gate
from ..judge import judge_check, judge_effect

STAGE1_TRAIN_ACC = 95.0  # % : the design's stage-1 target
D_DEPARTURE = 0.05  # nats from 2 ln 2
NO_GAIN_MARGIN = 1.0  # points: differences inside ±1 point count as "no real gain"
REMEDIES = {"bounded": "θ bounded to a box around the identity (regularises the localisation net's outputs)",
            "penalty": "a penalty on |θ - I|_F² (regularises the localisation net's outputs)",
            "no_disc": "the discriminator removed",
            "low_freedom": "a lower-freedom loss (hinge on a target entropy instead of L_ME)"}


def _missing(name: str, description: str, threshold: str, what: str) -> Gate:
    return Gate(name, description, f"not run ({what})", threshold, False)


def stage1_gate(runs: Sequence[StoredRun]) -> Gate:
    acc = [100 * r.metrics["train_acc_eval"] for r in stage1_runs(runs)]
    return Gate.at_least("stage 1 trains C", sum(acc) / len(acc), STAGE1_TRAIN_ACC,
                         "accuracy of the stage-1 classifier on its training images, scored in eval mode after "
                         "the last epoch (mean over seeds)", unit="%")


def positive_control(runs: Sequence[StoredRun]) -> Gate:
    name = "positive control: random affine beats the baseline"
    desc = "test accuracy of random affine copies minus the baseline, paired by seed"
    have = arms(runs)
    if "random_affine" not in have or "baseline" not in have:
        return _missing(name, desc, "CI above 0", "needs the arms baseline and random_affine")
    return Gate.beats(name, compare(points(runs, "random_affine"), points(runs, "baseline")), description=desc, unit="points")


def d_gate(runs: Sequence[StoredRun], arm: str) -> Gate:
    name = f"D learns ({arm})"
    desc = f"largest departure of D's held-out loss from 2 ln 2 during stage 2 (rolling mean of 5 logged steps; {arm}, mean over seeds)"
    rs = [r for r in arm_runs(runs, arm) if "stage2" in r.result.tables and "d_loss_heldout" in r.metrics]
    if not rs:
        return _missing(name, desc, f"≥ {D_DEPARTURE} nats", f"needs the arm {arm} with a discriminator")
    dev = [d_departure(r.result.tables["stage2"]) for r in rs]
    return Gate.at_least(name, sum(dev) / len(dev), D_DEPARTURE, desc, unit="nats")


def gates(runs: Sequence[StoredRun]) -> Dict[str, Gate]:
    """``{"stage1": ..., "positive_control": ..., "d_<arm>": ...}`` for every arm with D."""
    out = {"stage1": stage1_gate(runs), "positive_control": positive_control(runs)}
    for a in arms(runs):
        if any("d_loss_heldout" in r.metrics for r in arm_runs(runs, a)):
            out[f"d_{a}"] = d_gate(runs, a)
    return out


def _no_gain(runs, g, sc) -> Claim:
    claim = "The learned augmentation gives no real gain over the baseline (0.8760 vs 0.8736 test accuracy)."
    return judge_effect(NAME, "01-no-gain", claim, 0.24, compare(points(runs, "paper"), points(runs, "baseline")), sc,
                        gates=g, margin=NO_GAIN_MARGIN, section="verdict", unit="points",
                        note=f"the arm 'paper' runs the printed L_ME sign; a ±{NO_GAIN_MARGIN:g} point margin is 'no real gain'")


def _d_rises(runs, g, sc) -> Claim:
    claim = "During stage 2 the discriminator's loss rises while G's adversarial loss falls (Fig. 2)."
    hs = [r.result.tables["stage2"] for r in arm_runs(runs, "paper")]
    d = [quarter_means(h, "test_loss_d") for h in hs]
    gg = [quarter_means(h, "test_loss_g_adv") for h in hs]
    d_cmp = compare([b for _, b in d], [a for a, _ in d])
    g_cmp = compare([b for _, b in gg], [a for a, _ in gg])
    rises, falls = d_cmp.excludes_zero(), g_cmp.excludes_zero()
    holds = True if (rises == 1 and falls == -1) else False if (rises == -1 or falls == 1) else None
    text = (f"first to last quarter of stage 2 (held-out batch, arm 'paper', n={len(hs)}): D's loss changes by "
            f"{fmt_num(d_cmp.diff, 'nats', sign=True)} ({_ci(d_cmp)}), G's term log(1 - D(G(x))) by "
            f"{fmt_num(g_cmp.diff, 'nats', sign=True)} ({_ci(g_cmp)})")
    return judge_check(NAME, "01-d-rises-g-falls", claim, "Fig. 2", f"D {fmt_num(d_cmp.diff, sign=True)}, G {fmt_num(g_cmp.diff, sign=True)} nats",
                       holds, sc, text, gates=g, section="verdict", n=len(hs), unit="nats")


def _ci(c) -> str:
    if c.degenerate:
        return f"no interval: {c.note}"
    return f"95% CI {fmt_num(c.ci[0], sign=True)} to {fmt_num(c.ci[1], sign=True)}"


def _identity(runs, g, sc) -> Claim:
    claim = "G collapses to (near-)identity transforms (Fig. 3)."
    rs = arm_runs(runs, "paper")
    final = [r.metrics["g_theta_dist"] for r in rs]
    peak = max(float(r.result.tables["stage2"]["test_theta_dist"].max()) for r in rs)
    mean = sum(final) / len(final)
    yard = f"threshold {NEAR_IDENTITY}; a 1-pixel shift is 0.06, a 10° rotation 0.25"
    if mean < NEAR_IDENTITY and peak < NEAR_IDENTITY:
        holds, text = True, (f"G stays at its identity initialisation: mean |θ - I|_F = {mean:.4f} on 1,000 held-out images "
                             f"at the end of stage 2, never above {peak:.4f} during it ({yard}); it did not leave the identity, "
                             f"so there is nothing to collapse from")
    elif mean < NEAR_IDENTITY:
        holds, text = True, (f"G leaves the identity (up to |θ - I|_F = {peak:.3f}) and returns to it: mean {mean:.4f} "
                             f"at the end of stage 2 ({yard})")
    else:
        holds, text = False, f"G's warps stay away from the identity: mean |θ - I|_F = {mean:.3f} at the end of stage 2 ({yard})"
    return judge_check(NAME, "01-g-identity", claim, "near-identity warps (by eye)", round(mean, 4), holds, sc, text, gates=g,
                       section="verdict", n=len(rs), unit="|θ - I|_F")


def _remedy(runs, arm, g, sc) -> Claim:
    claim = f"A suggested fix, {REMEDIES[arm]}, makes the learned augmentation pay off (a gain over the baseline)."
    ours = points(runs, arm)
    rs = arm_runs(runs, arm)
    dist = sum(r.metrics["g_theta_dist"] for r in rs) / len(rs)
    note = f"L_ME sign '{rs[0].spec['stn']['me_form']}'; G's final mean |θ - I|_F = {dist:.3f}"
    if "random_affine" in arms(runs):
        c = compare(ours, points(runs, "random_affine"))
        note += f"; against random affine of the same box {fmt_num(c.diff, 'points', sign=True)} ({_ci(c)})"
    return judge_effect(NAME, f"01-remedy-{arm.replace('_', '-')}", claim, "suggested, no number",
                        compare(ours, points(runs, "baseline")), sc, gates=g, section="verdict", unit="points", note=note)


# -- the table next to the paper's -------------------------------------------------------------------
def _pm(v: Sequence[float]) -> str:
    v = list(v)
    if len(v) < 2:
        return f"{v[0]:.2f} (n=1)"
    m = sum(v) / len(v)
    s = math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1))
    return f"{m:.2f} ± {s:.2f} (n={len(v)})"


def _diff(a: Sequence[float], b: Sequence[float]) -> str:
    c = compare(a, b, paired=True)
    if c.degenerate:
        return f"{fmt_num(c.diff, sign=True)} (no interval: {c.note})"
    return f"{fmt_num(c.diff, sign=True)} [{fmt_interval(c.ci, sign=True)}]"


def results_table(runs: Sequence[StoredRun]) -> pd.DataFrame:
    """One row per arm: the paper's number, our test accuracy, paired differences (95% CI) to
    the baseline and to random affine, and what G learned (1,000 held-out images)."""
    f = finals(runs).set_index(["arm", "seed"])
    all_arms = arms(runs)
    rows = {}
    for a in all_arms:
        ours = points(runs, a)
        row = {"paper (Table 1)": f"{PAPER[a]:.4f}" if a in PAPER else "–", "test accuracy (%)": _pm(ours)}
        for ref in ("baseline", "random_affine"):
            row[f"Δ vs {ref} (points, 95% CI)"] = _diff(ours, points(runs, ref)) if ref in all_arms and ref != a else "–"
        g = f.loc[a]
        for col, label, digits in (("g_theta_dist", "final |θ - I|_F", 3), ("g_frac_near_identity", "near identity (share)", 2),
                                   ("g_entropy_gain", "entropy gain (bits)", 3), ("g_acc_aug", "C's accuracy on G(x)", 3),
                                   ("d_loss_heldout", "D's held-out loss (nats)", 4)):
            row[label] = f"{g[col].mean():.{digits}f}" if col in g and g[col].notna().all() else "–"
        rows[a] = row
    return pd.DataFrame(rows).T.rename_axis("arm")


def claims(runs: Sequence[StoredRun]) -> List[Claim]:
    """The chapter's claims (those whose arms were run), each with its gates."""
    gs, have, sc = gates(runs), arms(runs), scale(runs)
    common = [gs["stage1"], gs["positive_control"]]
    out: List[Claim] = []
    if "paper" in have and "baseline" in have:
        out.append(_no_gain(runs, common, sc))
    if "paper" in have:
        out.append(_d_rises(runs, common + [gs["d_paper"]], sc))
        out.append(_identity(runs, common, sc))
    if "baseline" in have:
        out += [_remedy(runs, a, common, sc) for a in REMEDIES if a in have]
    return out
