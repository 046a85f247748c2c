"""Chapter 03 in the report layer: the paired comparisons with their intervals, the gates and the
claims, from the study's stored runs (:class:`simaug.studies.generated_data.Results`).

Gates (a claim that lists a failed one is ``uninformative``):

* the generator's samples train a classifier to >= 30% real-test accuracy (chance 10%), and every
  run on generated images used the stored generator's weights — for every generated-data claim;
* the deterministic baselines learn: the real-data classifier and the BNN's twin >= 40%;
* the ECE is measured on all 10,000 test images — for the calibration claims.

Claims: generated comes close to real (the 95% CI of generated − real inside ±5 points);
generated images augment a small real set; the Bayesian net collapses (a check: every seed below
halfway between chance and its twin); weight decay lowers the ECE; temperature scaling lowers the
ECE; networks are over-confident (T − 1 > 0; Guo et al., 2017).
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np
import pandas as pd

from ...studies.generated_data.results import REPORT, Results
from ...studies.generated_data.specs import NAME, bnn_arm, wd_arm
from ..compare import compare
from ..format import fmt_interval, fmt_num
from ..frame import gate_row
from ..gates import Gate
from ..judge import judge_check, judge_effect
from ..resolution import resolution

CHANCE = 10.0  # % on ten balanced classes
GENERATOR_GATE = 30.0  # % real-test accuracy a classifier trained on the samples must reach (issue 15)
BASELINE_GATE = 40.0  # % the deterministic baseline of a comparison must reach (4x chance)
GAP_MARGIN = 5.0  # points: "close to real" = the generated-minus-real gap lies within ±5 points
FULL_TEST = 10_000  # images of the CIFAR-10 test set
SECTION = "verdict"


def comparisons(res: Results) -> pd.DataFrame:
    """Every paired comparison of the chapter with its 95% CI, p and the difference the design
    resolves at 80% power ("n/a": fewer than two seeds or no spread)."""
    rows = []
    for label, a, b, unit in res.pairs():
        c = compare(a, b, paired=True)
        res_ = resolution(c.sd, c.n) if c.n > 1 and not math.isnan(c.sd) and c.sd > 0 else math.nan
        rows.append({"comparison": label, "difference": fmt_num(c.diff, unit, sign=True),
                     "95% CI": fmt_interval(None if c.degenerate else c.ci, unit, sign=True), "n": c.n,
                     "p": "n/a" if c.degenerate else f"{c.p:.3g}", "resolves (80% power)": fmt_num(res_, unit)})
    return pd.DataFrame(rows).set_index("comparison")


def gates(res: Results) -> Dict[str, Gate]:
    """The gates of the module docstring, by key, each with its measured value."""
    cfg, g = res.config, {}
    gen_acc = res.generated_accuracy()
    g["generator"] = Gate.at_least(
        "generator's samples train a classifier", float(np.mean(gen_acc)) if gen_acc else math.nan, GENERATOR_GATE,
        "mean real-test accuracy of the classifiers trained on generated images only (chance 10%)", unit="%")
    same, users, stored = res.generator_consistency()
    g["same_data"] = Gate("same generated data", "every run on generated images used the stored generator's weights "
                          "(the sha256 of its weights equals the generator run's)", f"{same} of {users} runs", "all",
                          bool(users and stored and same == users),
                          detail=f"{same} of {users} runs used the stored generator's weights (needs all)")
    if res.has("sources", "real"):
        g["real_baseline"] = Gate.at_least("real-data baseline learns", float(np.mean(res.values("sources", "real", "test_acc"))),
                                           BASELINE_GATE, "mean test accuracy of the classifiers trained on the real subset",
                                           unit="%")
    for src in cfg.bnn_sources:
        det = res.values("bnn", bnn_arm(src, "deterministic"), "test_acc")
        g[f"bnn_baseline_{src}"] = Gate.at_least(f"deterministic twin learns ({src} images)", float(np.mean(det)),
                                                 BASELINE_GATE, "mean test accuracy of the BNN's deterministic twin", unit="%")
    n = res.min_calibration_test_images()
    if n is not None:
        g["full_test"] = Gate("ECE on the full test set", "test images behind each calibration net's ECE (the earlier "
                              "design measured it on 1,000)", n, f"{FULL_TEST:,}", n >= FULL_TEST, "images",
                              f"{n:,} test images (needs {FULL_TEST:,})")
    return g


def revision_table(earlier: Sequence[Tuple[Any, Sequence]]) -> pd.DataFrame:
    """The generator gates of each earlier execution of the design, from its stored generator
    and generated-data runs: ``earlier`` holds ``(config, runs)`` pairs
    (``session.earlier(gan_epochs=E, sources=["generated"], bnn_sources=[], calibration_weight_decays=[])``).
    A design whose gate failed is re-run with what the gate names (here: a longer-trained
    generator); this table is the record of why. An execution whose runs are not all in the
    store gives one row saying so."""
    rows = []
    for config, runs in earlier:
        label = f"generator {config.gan_epochs} epochs"
        try:
            res = Results(config, runs)
        except KeyError:
            rows.append({"execution": label, "gate": "—", "measured": "its runs are not all in the store", "needs": "—",
                         "passed": "—"})
            continue
        if res.generator is None:
            rows.append({"execution": label, "gate": "—", "measured": "its generator run is not in the store", "needs": "—",
                         "passed": "—"})
            continue
        g = gates(res)
        n = len(res.generated_accuracy())
        rows += [{"execution": f"{label}, {n} seeds", **gate_row(gate)} for gate in (g["generator"], g["same_data"])]
    return pd.DataFrame(rows, columns=["execution", "gate", "measured", "needs", "passed"])


def claims(res: Results) -> List:
    """The report's claims (and the Guo et al. statements it relies on), each with a status."""
    g, cfg, out = gates(res), res.config, []
    gen_gates = [g["generator"], g["same_data"]]
    if res.has("sources", "generated") and res.has("sources", "real"):
        c = compare(res.values("sources", "generated", "test_acc"), res.values("sources", "real", "test_acc"))
        out.append(judge_effect(
            NAME, "03-generated-vs-real",
            "Training on generated images comes close to training on real ones (91.06% vs 94.92% on the same real test set).",
            REPORT["generated"] - REPORT["real"], c, res.scale("sources", "generated"),
            gates=gen_gates + [g["real_baseline"]], margin=GAP_MARGIN, section=SECTION, unit="points",
            note=f"“close” = the generated-minus-real gap lies within ±{GAP_MARGIN:g} points"))
    if res.has("sources", "small_real+generated") and res.has("sources", "small_real"):
        c = compare(res.values("sources", "small_real+generated", "test_acc"), res.values("sources", "small_real", "test_acc"))
        out.append(judge_effect(
            NAME, "03-generated-augments-small-real",
            "Generated images can augment a data set: adding them to a small real training set raises test accuracy (the report's question).",
            None, c, res.scale("sources", "small_real+generated"), gates=gen_gates, direction=+1, section=SECTION,
            unit="points"))
    for src in cfg.bnn_sources:
        out.append(_bnn_claim(res, src, g))
    wds = sorted(cfg.calibration_weight_decays)
    if len(wds) >= 2:
        hi, lo = wd_arm(wds[-1]), wd_arm(wds[0])
        c = compare(res.values("calibration", hi, "ece"), res.values("calibration", lo, "ece"))
        out.append(judge_effect(NAME, "03-weight-decay-lowers-ece",
                                "More weight decay gives better-calibrated networks: a lower ECE (Guo et al., 2017, Fig. 2).",
                                None, c, res.scale("calibration", hi), gates=[g["full_test"]], direction=-1,
                                section=SECTION, unit="points"))
    if wds:
        before, after, temps = res.calibration_pairs()
        scale = res.scale("calibration", wd_arm(wds[0])).rsplit(", n=", 1)[0] + f", n={len(temps)} nets"
        out.append(judge_effect(NAME, "03-temperature-scaling-lowers-ece",
                                "Temperature scaling lowers the ECE (Guo et al., 2017, Table 1).", None,
                                compare(after, before), scale, gates=[g["full_test"]], direction=-1, section=SECTION,
                                unit="points"))
        mean_t = float(np.mean(temps))
        out.append(judge_effect(NAME, "03-networks-overconfident",
                                "Modern networks are over-confident, so the fitted temperature exceeds 1 (Guo et al., 2017).",
                                None, compare(temps, [1.0] * len(temps)), scale, gates=[g["full_test"]], direction=+1,
                                section=SECTION,
                                note=f"ours is T − 1, mean T {mean_t:.3f}: "
                                     + ("T > 1 means over-confident" if mean_t > 1 else "T < 1 means under-confident")))
    return out


def _bnn_claim(res: Results, src: str, g: Dict[str, Gate]):
    bbb = res.values("bnn", bnn_arm(src, "bbb"), "test_acc")
    det = res.values("bnn", bnn_arm(src, "deterministic"), "test_acc")
    c = compare(bbb, det)
    half = [CHANCE + (d - CHANCE) / 2 for d in det]  # halfway between chance and the deterministic twin
    below = [b < h for b, h in zip(bbb, half)]
    holds = True if all(below) else False if not any(below) else None
    gates_ = [g[f"bnn_baseline_{src}"]] + ([g["generator"], g["same_data"]] if src == "generated" else [])
    reason = (f"Bayes by Backprop reaches {np.mean(bbb):.2f}% against {np.mean(det):.2f}% for its deterministic twin "
              f"(paired difference {fmt_num(c.diff, 'points', sign=True)}, 95% CI "
              f"{fmt_interval(None if c.degenerate else c.ci, 'points', sign=True)}); {sum(below)} of {len(below)} seeds "
              "fall below halfway between chance and the twin, the collapse criterion")
    return judge_check(NAME, f"03-bnn-collapse-{src}",
                       "A Bayesian neural network trained on the same images collapses: 19.56% against 91.06% for the deterministic net.",
                       REPORT["bnn_generated"], float(np.mean(bbb)), holds, res.scale("bnn", bnn_arm(src, "bbb")), reason,
                       gates=gates_, section=SECTION, n=len(bbb), unit="%")
