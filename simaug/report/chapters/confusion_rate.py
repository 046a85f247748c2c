"""Chapter 00's design resolution, gates and claims (the CR loss of Lim & Kim, 2021).

Gates (per data set, on its cross-entropy baseline, mean over its seeds):

* **plateau**: the test accuracy varies by at most 0.5 points (max − min) over the evaluated
  epochs of the last five, i.e. at epochs ``E − 5 … E``. Evaluation is sparse (every
  ``eval_every`` epochs and after the last), so only the evaluated epochs count: with
  evaluation every 5 epochs and 40 epochs these are epochs 35 and 40. Fewer than two
  evaluations in the window fail the gate (no plateau can be seen).
* **fit**: the running training accuracy of the last epoch is at least 85%, where a loss
  that re-weights errors acts on a small set of hard or mislabelled samples rather than on
  most of the data. (With 10% pair-flip noise the labels of 8% of CIFAR-10's images are
  wrong, so 85% needs most of the clean images fitted.)

A claim on a data set is ``uninformative`` whenever one of its gates fails. Every function
takes ``ch = simaug.studies.confusion_rate.Chapter(runs, config)`` (or the config alone for
the design, which is stated before any run).
"""
from __future__ import annotations

import math
from typing import List, Sequence, Tuple

import numpy as np
import pandas as pd

from ...studies.confusion_rate import NAME, Chapter, Config, paper
from ...studies.confusion_rate import design as dsg
from ...studies.confusion_rate.analysis import LABEL
from ..compare import Comparison, compare
from ..format import fmt_interval, fmt_num
from ..frame import gate_row
from ..gates import Gate
from ..judge import judge_check, judge_effect
from ..resolution import resolution

PLATEAU_WINDOW = 5  # epochs
PLATEAU_TOL = 0.5  # points
MIN_TRAIN_ACC = 85.0  # %
SECTION = "verdict"


# -- design and resolution -------------------------------------------------------------------
def design_table(config: Config) -> pd.DataFrame:
    """Each comparison with its seeds and the smallest difference it detects (paired t test,
    5% level, 80% power) at the spread expected before any run."""
    rows = []
    for c in dsg.comparisons(config):
        sd = dsg.expected_sd(config, c["dataset"])
        rows.append({"comparison": c["comparison"], "data": LABEL[c["dataset"]], "paired seeds": c["n"],
                     "test images": dsg.n_test(config, c["dataset"]), "paper (points)": c["paper"],
                     "expected SD of a paired difference (points)": round(sd, 2),
                     "resolves (80% power)": fmt_num(resolution(sd, c["n"]), "points") if c["n"] >= 2 else "nothing (n < 2)"})
    return pd.DataFrame(rows).set_index(["comparison", "data"])


def compare_arm(ch: Chapter, dataset: str, arm: str) -> Comparison:
    """``arm`` minus cross-entropy, test accuracy in points (paired by seed where they share seeds)."""
    a, b, paired = ch.paired(dataset, arm)
    return compare(a, b, paired=paired)


def sweep_comparison(ch: Chapter):
    """``(mean accuracy by k, k = 3 minus its best rival, paired by seed)``; the comparison is
    None without a sweep or without k = 3 in it."""
    acc = ch.sweep_acc()
    means = {kk: float(np.mean(v)) for kk, v in acc.items()}
    if paper.K not in acc or len(acc) < 2:
        return means, None
    rival = max((kk for kk in acc if kk != paper.K), key=lambda kk: means[kk])
    return means, compare(acc[paper.K], acc[rival])


def _comparison(ch: Chapter, c: dict):
    if c["id"] == "k":
        return sweep_comparison(ch)[1]
    return compare_arm(ch, c["dataset"], "PC" if c["id"] == "pc" else "CR")


def resolution_table(ch: Chapter) -> pd.DataFrame:
    """The design's resolution at the expected spread and at the measured one."""
    rows = []
    for c in dsg.comparisons(ch.config):
        cmp = _comparison(ch, c)
        sd = dsg.expected_sd(ch.config, c["dataset"])
        measured = cmp is not None and not math.isnan(cmp.sd)
        rows.append({"comparison": c["comparison"], "data": LABEL[c["dataset"]], "paired seeds": c["n"],
                     "expected SD (points)": round(sd, 2),
                     "resolves at the expected SD": fmt_num(resolution(sd, c["n"]), "points") if c["n"] >= 2 else "nothing",
                     "measured SD (points)": fmt_num(cmp.sd) if measured else "n/a",
                     "resolves at the measured SD": fmt_num(resolution(cmp.sd, cmp.n, paired=cmp.paired), "points") if measured else "n/a"})
    return pd.DataFrame(rows).set_index(["comparison", "data"])


def _fmt_cmp(c: Comparison) -> str:
    if c.degenerate:
        return f"{fmt_num(c.diff, 'points', sign=True)} (n={c.n}, no interval)"
    return (f"{fmt_num(c.diff, 'points', sign=True)} (95% CI {fmt_interval(c.ci, 'points', sign=True)}, n={c.n}, "
            f"{'paired' if c.paired else 'Welch'})")


def results_table(ch: Chapter) -> pd.DataFrame:
    """The paper's Table 3 beside ours, with each arm's difference to cross-entropy."""
    t = ch.results_table()
    t["ours − cross-entropy"] = ["" if arm == "cross-entropy" else _fmt_cmp(compare_arm(ch, d, arm))
                                 for arm, d in zip(t["arm"], t["dataset"])]
    return t.drop(columns=["arm", "dataset"])


def per_class_table(ch: Chapter) -> pd.DataFrame:
    """Noisy CIFAR-10 per class with the 95% CI of CR − cross-entropy, paired by seed."""
    t = ch.per_class_table()
    ce, cr = ch.per_class_matrix("cross-entropy"), ch.per_class_matrix("CR")
    cis = [compare(cr[:, c], ce[:, c]) for c in range(ce.shape[1])]
    t["95% CI"] = [fmt_interval(c.ci, sign=True) if not c.degenerate else "n/a" for c in cis]
    return t


# -- gates ----------------------------------------------------------------------------------
def gates(ch: Chapter, dataset: str) -> List[Gate]:
    """The plateau and fit gates of ``dataset`` (see the module docstring)."""
    win = ch.plateau_window(dataset, PLATEAU_WINDOW)
    spread = float(win.max() - win.min()) if len(win) >= 2 else math.nan
    epochs = ", ".join(str(int(e)) for e in win.index)
    label = LABEL[dataset]
    return [
        Gate.at_most(f"{label}: cross-entropy plateaued", spread, PLATEAU_TOL,
                     f"max − min of the seed-mean test accuracy at the evaluated epochs of the last {PLATEAU_WINDOW} "
                     f"(epochs {epochs}; evaluation every {ch.config.eval_every} epochs and after the last)", unit="points"),
        Gate.at_least(f"{label}: cross-entropy fits the training set", float(np.mean(ch.acc(dataset, "cross-entropy", key="train_acc"))),
                      MIN_TRAIN_ACC, "seed-mean running training accuracy of the last epoch (on the training labels, noisy ones included)",
                      unit="%"),
    ]


def revision_table(earlier: Sequence[Tuple[Config, Sequence]], dataset: str = "cifar10") -> pd.DataFrame:
    """The gates of ``dataset`` at each earlier execution of the design, from its stored
    cross-entropy runs: ``earlier`` holds ``(config, runs)`` pairs (``session.earlier(...)``).
    A design whose gate failed is re-run with what the gate names (here: longer training);
    this table is the record of why. An execution whose cross-entropy runs are not all in
    the store gives one row saying so."""
    rows = []
    for config, runs in earlier:
        ch = Chapter(runs, config)
        epochs = config.cifar_epochs if dataset == "cifar10" else config.hangul_epochs
        try:
            gs = gates(ch, dataset)
        except KeyError:
            rows.append({"execution": f"{epochs} epochs", "gate": "—", "measured": "cross-entropy runs not in the store",
                         "needs": "—", "passed": "—"})
            continue
        n = len(ch.seeds(dataset, "cross-entropy"))
        rows += [{"execution": f"{epochs} epochs, {n} seeds", **gate_row(g)} for g in gs]
    return pd.DataFrame(rows, columns=["execution", "gate", "measured", "needs", "passed"])


# -- claims ---------------------------------------------------------------------------------
def scale(ch: Chapter, dataset: str, n: int, unit: str = "paired seeds") -> str:
    r = ch.runs(dataset, "cross-entropy")[0]
    m = r.metrics
    what = (f"{m['n_train']:,} CIFAR-10 images ({100 * ch.config.noise_rate:g}% pair-flip noise)" if dataset == "cifar10" else
            f"{m['n_train']:,} rendered Hangul images ({ch.config.hangul_size}x{ch.config.hangul_size}, 45 classes)")
    return f"{r.spec['model']}, {what} × {m['epochs']} epochs, {m['n_test']:,} test images, n={n} {unit}"


def claims(ch: Chapter) -> list:
    """The chapter's five claims (see the notebook's Verdict)."""
    g_c, g_h = gates(ch, "cifar10"), gates(ch, "hangul")
    c = ch.config
    return [
        judge_effect(NAME, "00-cr-gain-animal10n",
                     "CR (k = 3) raises test accuracy on Animal-10N by 1.7 to 3.4 points over cross-entropy (VGG13 / ResNet18 / ResNet34).",
                     paper.gain_range("cifar10"), compare_arm(ch, "cifar10", "CR"), scale(ch, "cifar10", len(c.seeds)), gates=g_c,
                     section=SECTION, unit="points"),
        judge_effect(NAME, "00-cr-gain-handb", "On HanDB, where training converges, CR adds only 0.1 to 0.2 points.",
                     paper.gain_range("hangul"), compare_arm(ch, "hangul", "CR"), scale(ch, "hangul", len(c.hangul_seeds)), gates=g_h,
                     section=SECTION, unit="points"),
        _k_claim(ch, g_c),
        _fade_claim(ch, g_h),
        _per_class_claim(ch, g_c),
    ]


def _k_claim(ch: Chapter, gates_: List[Gate]):
    """k = 3 best: reproduced when it is best and resolvably ahead of the runner-up, contradicted
    when another k is resolvably better, otherwise below resolution."""
    means, cmp = sweep_comparison(ch)
    c = ch.config
    text = "k = 3 gives the best test accuracy of the sweep (VGG13, Animal-10N; larger k overfits)."
    if cmp is None:
        reason = "k = 3 is not in this configuration's sweep" if c.sweep_ks else "this configuration has no k sweep"
        return judge_check(NAME, "00-k3-best", text, "k = 3 best", "n/a", None, "no sweep", reason, gates=gates_, section=SECTION)
    best = max(means, key=means.get)
    ranking = ", ".join(f"k = {kk:g}: {fmt_num(v, '%')}" for kk, v in sorted(means.items()))
    if best == paper.K:
        holds = True if cmp.excludes_zero() == 1 else None
    else:
        holds = False if cmp.excludes_zero() == -1 else None
    verdict = {True: "k = 3 is best and resolvably ahead of the runner-up",
               False: f"k = {best:g} is resolvably better than k = 3",
               None: f"the best mean is at k = {best:g}, but "
                     + (f"with n = {cmp.n} there is no interval to rank the k values by" if cmp.degenerate else
                        f"{'its lead' if best == paper.K else 'the gap to k = 3'} is within the seed noise")}[holds]
    n = len(c.sweep_seeds)
    reason = (f"Mean test accuracy over {n} seed{'s' * (n > 1)}: {ranking}; k = 3 − the best other k {_fmt_cmp(cmp)}; {verdict}")
    return judge_check(NAME, "00-k3-best", text, "k = 3 best of k = 0 to 5", f"best k = {best:g}", holds,
                       scale(ch, "cifar10", n, "seeds per k"), reason, gates=gates_, section=SECTION, n=cmp.n,
                       ci=None if cmp.degenerate else cmp.ci, unit="points")


def _fade_claim(ch: Chapter, gates_: List[Gate]):
    """The share of the CR objective that the re-weighting adds, over training, on Hangul:
    reproduced when the last epoch's share is at most half the peak epoch's (seed mean)."""
    text = "When training converges (HanDB) the confusion matrix turns diagonal and the CR correction vanishes."
    hist = ch.weighting_history()
    share = {d: 100 * hist[hist.dataset == LABEL[d]].groupby("epoch").cr_loss_share.mean() for d in ("cifar10", "hangul")}
    tab = ch.shares_table()
    h, cf, t = share["hangul"], share["cifar10"], tab["rendered Hangul"]
    peak, last, peak_epoch = float(h.max()), float(h.iloc[-1]), int(h.idxmax())
    holds = None if peak <= 0 else bool(last <= 0.5 * peak)
    if peak > 0:
        reason = (f"On rendered Hangul the share of the CR objective added by the re-weighting peaked at {fmt_num(peak, '%')} "
                  f"(epoch {peak_epoch}) and was {fmt_num(last, '%')} in the last epoch ({'at most' if holds else 'more than'} "
                  f"half its peak; integrated over training {fmt_num(t['loss added by re-weighting, integrated (%)'], '%')}), at "
                  f"{fmt_num(t['training accuracy, last epoch (%)'], '%')} training accuracy; samples re-weighted in the last "
                  f"epoch {fmt_num(t['samples re-weighted, last epoch (%)'], '%')}, extra weight per misclassified sample "
                  f"{fmt_num(t['extra weight per misclassified sample, last epoch'])}")
    else:
        reason = "The CR weighting never acted on rendered Hangul (no pair was confused both ways)"
    note = (f"on noisy CIFAR-10 the share was {fmt_num(float(cf.iloc[-1]), '%')} in the last epoch and "
            f"{fmt_num(tab['noisy CIFAR-10']['loss added by re-weighting, integrated (%)'], '%')} integrated over training")
    return judge_check(NAME, "00-cr-vanishes-at-convergence", text, "correction vanishes on HanDB", round(last, 2), holds,
                       scale(ch, "hangul", len(ch.config.hangul_seeds)), reason, gates=gates_, section=SECTION,
                       n=len(ch.config.hangul_seeds), unit="%", note=note)


def _per_class_claim(ch: Chapter, gates_: List[Gate]):
    """Per-class paired differences on noisy CIFAR-10: reproduced when at least 9 classes
    improve resolvably, contradicted when at least 2 drop resolvably (the paper has one drop)."""
    ce, cr = ch.per_class_matrix("cross-entropy"), ch.per_class_matrix("CR")
    k, n = ce.shape[1], ce.shape[0]
    cmps = [compare(cr[:, c], ce[:, c]) for c in range(k)]
    up = sum(c.diff > 0 for c in cmps)
    up_res = sum(c.excludes_zero() == 1 for c in cmps)
    down_res = sum(c.excludes_zero() == -1 for c in cmps)
    holds = True if up_res >= paper.IMPROVED_CLASSES else False if down_res >= 2 else None
    text = f"CR raises the accuracy of {paper.IMPROVED_CLASSES} of 10 classes (ResNet18, Animal-10N, Table 2)."
    reason = (f"CR − cross-entropy per class, paired over {n} seed{'s' * (n > 1)}: {up} of {k} classes higher on average, "
              f"{up_res} resolvably higher and {down_res} resolvably lower (95% CI per class)")
    return judge_check(NAME, "00-per-class", text, f"{paper.IMPROVED_CLASSES} of 10 classes improved",
                       f"{up} of {k} higher ({up_res} resolved), {down_res} resolvably lower", holds,
                       scale(ch, "cifar10", n), reason, gates=gates_, section=SECTION, n=n)
