"""Chapter 03's tables, figure inputs, gates and claims, computed from stored runs only.

    res = Results(config, runs)     # runs = session.runs(): every planned run
    res.summary(); res.comparisons(); res.gates(); res.claims()

Units: accuracies, ECE and over-confidence in percent (differences in points); NLL in nats;
T is the fitted temperature (T > 1: the net was over-confident, T < 1: under-confident).
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from ...report import Gate, compare, judge_check, judge_effect, resolution
from ...report.format import fmt_interval, fmt_num
from ...runstore import StoredRun, spec_key
from .config import Config
from .specs import NAME, Arm, arms, bnn_arm, generator_spec, uses_generator, wd_arm

REPORT = {"generated": 91.06, "real": 94.92, "bnn_generated": 19.56}  # the student report's test accuracies (%)
CHANCE = 10.0  # % on ten balanced classes
GENERATOR_GATE = 30.0  # % real-test accuracy a classifier trained on the samples must reach (issue 15)
BASELINE_GATE = 40.0  # % the deterministic baseline of a comparison must reach (4x chance)
GAP_MARGIN = 5.0  # points: "close to real" = the generated-minus-real gap lies within ±5 points
FULL_TEST = 10_000  # images of the CIFAR-10 test set
PERCENT = ("train_acc", "test_acc", "ece", "ece_ts", "overconfidence", "overconfidence_ts")
SECTION = "verdict"


class Results:
    """The chapter's numbers, from the stored runs of ``config``'s plan."""

    def __init__(self, config: Config, runs: Sequence[StoredRun]):
        self.config = config
        by_key = {r.key: r for r in runs}
        self.generator: Optional[StoredRun] = by_key.get(spec_key(generator_spec(config)))
        self.arms: List[Tuple[Arm, StoredRun]] = []
        for a in arms(config):
            k = spec_key(a.spec)
            if k not in by_key:
                raise KeyError(f"run {k} ({a.part} / {a.arm} / seed {a.seed}) is not among the given runs; "
                               "pass every planned run (session.runs())")
            self.arms.append((a, by_key[k]))
        self.ood_sets = list(self.arms[0][0].spec["evaluation"]["ood_sets"]) if self.arms else []
        self._frame: Optional[pd.DataFrame] = None

    # -- per-run values ----------------------------------------------------------------------
    def frame(self) -> pd.DataFrame:
        """One row per (part, arm, seed): the run's metrics, accuracies and ECE in percent."""
        if self._frame is None:
            self._frame = self._build_frame()
        return self._frame.copy()

    def _build_frame(self) -> pd.DataFrame:
        rows = []
        for a, r in self.arms:
            m = dict(r.metrics)
            for k in PERCENT:
                if k in m:
                    m[k] = 100 * m[k]
            for i, name in enumerate(self.ood_sets):
                for score in ("entropy", "mi"):
                    if f"auroc_{score}_{i}" in m:
                        m[f"AUROC {score} · {name}"] = m.pop(f"auroc_{score}_{i}")
            rows.append({"part": a.part, "arm": a.arm, "seed": a.seed, "key": r.key, **m})
        return pd.DataFrame(rows)

    def values(self, part: str, arm: str, column: str) -> List[float]:
        f = self.frame()
        sel = f[(f.part == part) & (f.arm == arm)].sort_values("seed")
        return sel[column].astype(float).tolist()

    def has(self, part: str, arm: str) -> bool:
        return any(a.part == part and a.arm == arm for a, _ in self.arms)

    # -- tables ------------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """Per (part, arm): training images, epochs, seeds, and mean ± SD over seeds of the
        train and test accuracy, the ECE before and after temperature scaling and T."""
        f = self.frame()

        def pm(v, digits=2):
            v = v.astype(float)
            return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}" if len(v) > 1 else f"{v.iloc[0]:.{digits}f}"

        rows = []
        for (part, arm), g in f.groupby(["part", "arm"], sort=False):
            rows.append({"part": part, "arm": arm, "train images": f"{int(g.n_train.iloc[0]):,}", "epochs": int(g.epochs.iloc[0]),
                         "seeds": len(g), "train acc %": pm(g.train_acc), "test acc %": pm(g.test_acc), "ECE %": pm(g.ece),
                         "ECE after TS %": pm(g.ece_ts), "T": pm(g.temperature, 3)})
        return pd.DataFrame(rows).set_index(["part", "arm"])

    def generator_summary(self) -> pd.DataFrame:
        if self.generator is None:
            return pd.DataFrame()
        m, s = self.generator.metrics, self.generator.spec
        return pd.DataFrame({"value": {
            "generator": f"{s['generator']['name']}, width {s['generator']['width']}, {m['n_params']:,} parameters (G + D)",
            "training": f"{m['epochs']} epochs over {m['n_train']:,} real training images, {m['steps']:,} steps of {s['train']['batch_size']}",
            "final losses": ", ".join(f"{k[6:]} {v:.3f}" for k, v in m.items() if k.startswith("final_")),
            "weights sha256": m["generator_sha256"][:16] + "…",
        }})

    def comparisons(self) -> pd.DataFrame:
        """Every paired comparison of the chapter with its 95% CI, p and the difference the
        design resolves at 80% power (NaN: fewer than two seeds)."""
        rows = []
        for label, a, b, unit in self._pairs():
            c = compare(a, b, paired=True)
            res = resolution(c.sd, c.n) if c.n > 1 and not math.isnan(c.sd) and c.sd > 0 else math.nan
            rows.append({"comparison": label, "difference": fmt_num(c.diff, unit, sign=True),
                         "95% CI": fmt_interval(None if c.degenerate else c.ci, unit, sign=True), "n": c.n,
                         "p": "n/a" if c.degenerate else f"{c.p:.3g}", "resolves (80% power)": fmt_num(res, unit)})
        return pd.DataFrame(rows).set_index("comparison")

    def _pairs(self):
        """(label, a, b, unit): a − b paired by seed."""
        cfg, out = self.config, []
        acc = lambda part, arm: self.values(part, arm, "test_acc")  # noqa: E731
        for a, b in (("generated", "real"), ("small_real+generated", "small_real")):
            if self.has("sources", a) and self.has("sources", b):
                out.append((f"test accuracy: {a} − {b}", acc("sources", a), acc("sources", b), "points"))
        for src in cfg.bnn_sources:
            out.append((f"test accuracy: Bayes by Backprop − deterministic ({src})", acc("bnn", bnn_arm(src, "bbb")),
                        acc("bnn", bnn_arm(src, "deterministic")), "points"))
        wds = sorted(cfg.calibration_weight_decays)
        if len(wds) >= 2:
            out.append((f"ECE: {wd_arm(wds[-1])} − {wd_arm(wds[0])}", self.values("calibration", wd_arm(wds[-1]), "ece"),
                        self.values("calibration", wd_arm(wds[0]), "ece"), "points"))
        if wds:
            before, after, temps = self._calibration_pairs()
            out.append(("ECE: after − before temperature scaling (calibration runs)", after, before, "points"))
            out.append(("fitted temperature T − 1 (calibration runs)", temps, [1.0] * len(temps), ""))
        return out

    def _calibration_pairs(self):
        f = self.frame()
        c = f[f.part == "calibration"].sort_values(["arm", "seed"])
        return c.ece.tolist(), c.ece_ts.tolist(), c.temperature.tolist()

    def versus_report(self) -> pd.DataFrame:
        """Our mean test accuracies next to the report's (different models and data: read the relations)."""
        def ours(part, arm):
            v = self.values(part, arm, "test_acc") if self.has(part, arm) else []
            return f"{np.mean(v):.2f} (n={len(v)})" if v else "not run"
        bnn_src = "generated" if "generated" in self.config.bnn_sources else (self.config.bnn_sources or ["real"])[0]
        rows = {
            "trained on generated images": (f"{REPORT['generated']:.2f}", ours("sources", "generated")),
            "trained on real images": (f"{REPORT['real']:.2f}", ours("sources", "real")),
            f"Bayesian net (full KL) on {bnn_src} images": (f"{REPORT['bnn_generated']:.2f} (generated)", ours("bnn", bnn_arm(bnn_src, "bbb"))),
            f"deterministic twin on {bnn_src} images": ("91.06 (generated)", ours("bnn", bnn_arm(bnn_src, "deterministic"))),
        }
        return pd.DataFrame(rows, index=["report (DALL-E images, ResNet152-V2 features), %", "ours (GAN samples, small CNN), %"]).T

    def calibration_table(self) -> pd.DataFrame:
        """Per arm of the calibration and BNN parts: T, whether the nets were over- or
        under-confident, ECE and NLL before → after temperature scaling (means over seeds)."""
        f = self.frame()
        rows = []
        for (part, arm), g in f[f.part.isin(["calibration", "bnn"])].groupby(["part", "arm"], sort=False):
            t = g.temperature.mean()
            rows.append({"arm": arm, "seeds": len(g), "T": f"{t:.3f}",
                         "confidence": "over-confident (T > 1)" if t > 1 else "under-confident (T < 1)",
                         "mean confidence − accuracy, points": f"{g.overconfidence.mean():+.2f}",
                         "ECE %: before → after": f"{g.ece.mean():.2f} → {g.ece_ts.mean():.2f}",
                         "NLL: before → after": f"{g.nll.mean():.3f} → {g.nll_ts.mean():.3f}",
                         "test images": f"{int(g.n_test.iloc[0]):,}"})
        return pd.DataFrame(rows).set_index("arm") if rows else pd.DataFrame()

    def ood_table(self) -> pd.DataFrame:
        """Mean AUROC per arm (BNN and calibration parts) and OOD set (0.5 = chance)."""
        f = self.frame()
        cols = [c for c in f.columns if c.startswith("AUROC")]
        sel = f[f.part.isin(["bnn", "calibration"])]
        return sel.groupby("arm", sort=False)[cols].mean().round(3) if len(sel) else pd.DataFrame()

    # -- figure inputs -----------------------------------------------------------------------
    def sample_panels(self, real_images, real_labels) -> Dict[str, tuple]:
        """Title -> (images, labels) for :func:`simaug.plots.image_grid.plot_class_grids`."""
        a = self.generator.result.arrays
        m = self.generator.metrics
        return {"real CIFAR-10 training images": (real_images, real_labels),
                f"generated ({m['epochs']} epochs, {m['steps']:,} steps)": (a["samples"], a["sample_labels"])}

    def accuracy_points(self) -> pd.DataFrame:
        """One row per run of the sources and BNN parts: ``arm``, ``test accuracy (%)``."""
        f = self.frame()
        f = f[f.part.isin(["sources", "bnn"])]
        return pd.DataFrame({"arm": f.arm.str.replace(" · ", "\n", regex=False), "test accuracy (%)": f.test_acc})

    def generated_confusion(self) -> Optional[np.ndarray]:
        """Test confusion matrix of the generated-data classifiers, summed over seeds."""
        runs = [r for a, r in self.arms if a.part == "sources" and a.arm == "generated"]
        return sum(np.asarray(r.result.arrays["test_cm"]) for r in runs) if runs else None

    def reliability_panels(self):
        """``(tables, rows, cols)`` for :func:`simaug.plots.calibration.plot_reliability_grid`: the
        first seed of each calibration arm and of the BNN arms of the first BNN source, before
        and after temperature scaling."""
        rows = ["before temperature scaling", "after temperature scaling"]
        first_bnn = self.config.bnn_sources[:1]
        tables, cols = {}, []
        for a, r in self.arms:
            shown = a.part == "calibration" or (a.part == "bnn" and a.arm.split(" · ")[0] in first_bnn)
            if not shown or a.arm in cols:
                continue
            cols.append(a.arm)
            rel = np.asarray(r.result.arrays["reliability"])  # (2, bins, 3)
            edges = np.linspace(0, 1, rel.shape[1] + 1)
            for i, row in enumerate(rows):
                tables[(row, a.arm)] = pd.DataFrame({"lo": edges[:-1], "hi": edges[1:], "count": rel[i, :, 0],
                                                     "accuracy": rel[i, :, 1], "confidence": rel[i, :, 2]})
        return tables, rows, cols

    def ood_panels(self):
        """``(panels, rows, cols)`` for :func:`simaug.plots.ood.plot_score_grid`: the first seed
        of each BNN arm (or, without BNN runs, each calibration arm)."""
        part = "bnn" if any(a.part == "bnn" for a, _ in self.arms) else "calibration"
        panels, cols = {}, []
        for a, r in self.arms:
            if a.part != part or a.arm in cols:
                continue
            cols.append(a.arm)
            arr = r.result.arrays
            for i, name in enumerate(self.ood_sets):
                panels[(name, a.arm)] = {"edges": arr["entropy_edges"], "in": arr["entropy_hist"][0],
                                         "out": arr["entropy_hist"][i + 1], "auroc": r.metrics[f"auroc_entropy_{i}"]}
        return panels, list(self.ood_sets), cols

    # -- gates and claims --------------------------------------------------------------------
    def gates(self) -> Dict[str, Gate]:
        """The checks without which the chapter's comparisons mean nothing (measured values inside)."""
        g: Dict[str, Gate] = {}
        gen_acc = self.values("sources", "generated", "test_acc") if self.has("sources", "generated") else \
            self.values("bnn", bnn_arm("generated", "deterministic"), "test_acc") if "generated" in self.config.bnn_sources else []
        g["generator"] = Gate.at_least(
            "generator's samples train a classifier", float(np.mean(gen_acc)) if gen_acc else math.nan, GENERATOR_GATE,
            "mean real-test accuracy of the classifiers trained on generated images only (chance 10%)", unit="%")
        users = [(a, r) for a, r in self.arms if uses_generator(a.spec)]
        stored = self.generator.metrics["generator_sha256"] if self.generator else None
        same = sum(r.metrics.get("generator_sha256") == stored for _, r in users)
        g["same_data"] = Gate("same generated data", "every run on generated images used the stored generator's weights "
                              "(sha256 of its weights equals the generator run's)", f"{same} of {len(users)} runs",
                              "all", bool(users) and same == len(users) and stored is not None,
                              detail=f"{same} of {len(users)} runs used the stored generator's weights (needs all)")
        if self.has("sources", "real"):
            real = self.values("sources", "real", "test_acc")
            g["real_baseline"] = Gate.at_least("real-data baseline learns", float(np.mean(real)), BASELINE_GATE,
                                               "mean test accuracy of the classifiers trained on the real subset", unit="%")
        for src in self.config.bnn_sources:
            det = self.values("bnn", bnn_arm(src, "deterministic"), "test_acc")
            g[f"bnn_baseline_{src}"] = Gate.at_least(f"deterministic twin learns ({src} images)", float(np.mean(det)),
                                                     BASELINE_GATE, "mean test accuracy of the BNN's deterministic twin", unit="%")
        cal = [r for a, r in self.arms if a.part == "calibration"]
        if cal:
            n = min(int(r.metrics["n_test"]) for r in cal)
            g["full_test"] = Gate("ECE on the full test set", "test images behind each calibration net's ECE (the earlier "
                                  "design measured it on 1,000)", n, FULL_TEST, n >= FULL_TEST, "images",
                                  f"{n:,} test images (needs {FULL_TEST:,})")
        return g

    def _scale(self, part: str, arm: str) -> str:
        a, r = next((a, r) for a, r in self.arms if a.part == part and a.arm == arm)
        n = len([1 for b, _ in self.arms if b.part == part and b.arm == arm])
        t = a.spec["train"]
        return (f"{a.spec['model']}, {int(r.metrics['n_train']):,} training images, {t['epochs']} epochs "
                f"({t['optimizer']}, flip + crop), {int(r.metrics['n_test']):,} test images, n={n} seeds")

    def claims(self) -> list:
        """The report's claims (and the Guo et al. statements it relies on), each with a status."""
        g, cfg, out = self.gates(), self.config, []
        gen_gates = [g["generator"], g["same_data"]]
        if self.has("sources", "generated") and self.has("sources", "real"):
            c = compare(self.values("sources", "generated", "test_acc"), self.values("sources", "real", "test_acc"))
            out.append(judge_effect(
                NAME, "03-generated-vs-real",
                "Training on generated images comes close to training on real ones (91.06% vs 94.92% on the same real test set).",
                REPORT["generated"] - REPORT["real"], c, self._scale("sources", "generated"),
                gates=gen_gates + [g["real_baseline"]], margin=GAP_MARGIN, section=SECTION, unit="points",
                note=f"“close” = the generated-minus-real gap lies within ±{GAP_MARGIN:g} points"))
        if self.has("sources", "small_real+generated") and self.has("sources", "small_real"):
            c = compare(self.values("sources", "small_real+generated", "test_acc"), self.values("sources", "small_real", "test_acc"))
            out.append(judge_effect(
                NAME, "03-generated-augments-small-real",
                "Generated images can augment a data set: adding them to a small real training set raises test accuracy (the report's question).",
                None, c, self._scale("sources", "small_real+generated"), gates=gen_gates, direction=+1, section=SECTION,
                unit="points"))
        for src in cfg.bnn_sources:
            out.append(self._bnn_claim(src, g))
        wds = sorted(cfg.calibration_weight_decays)
        if len(wds) >= 2:
            hi, lo = wd_arm(wds[-1]), wd_arm(wds[0])
            c = compare(self.values("calibration", hi, "ece"), self.values("calibration", lo, "ece"))
            out.append(judge_effect(NAME, "03-weight-decay-lowers-ece",
                                    "More weight decay gives better-calibrated networks: a lower ECE (Guo et al., 2017, Fig. 2).",
                                    None, c, self._scale("calibration", hi), gates=[g["full_test"]], direction=-1,
                                    section=SECTION, unit="points"))
        if wds:
            before, after, temps = self._calibration_pairs()
            scale = self._scale("calibration", wd_arm(wds[0])).rsplit(", n=", 1)[0] + f", n={len(temps)} nets"
            out.append(judge_effect(NAME, "03-temperature-scaling-lowers-ece",
                                    "Temperature scaling lowers the ECE (Guo et al., 2017, Table 1).", None,
                                    compare(after, before), scale, gates=[g["full_test"]], direction=-1, section=SECTION,
                                    unit="points"))
            c = compare(temps, [1.0] * len(temps))
            out.append(judge_effect(NAME, "03-networks-overconfident",
                                    "Modern networks are over-confident, so the fitted temperature exceeds 1 (Guo et al., 2017).",
                                    None, c, scale, gates=[g["full_test"]], direction=+1, section=SECTION,
                                    note=f"ours is T − 1, mean T {np.mean(temps):.3f}: "
                                         + ("T > 1 means over-confident" if np.mean(temps) > 1 else "T < 1 means under-confident")))
        return out

    def _bnn_claim(self, src: str, g: Dict[str, Gate]):
        bbb, det = self.values("bnn", bnn_arm(src, "bbb"), "test_acc"), self.values("bnn", bnn_arm(src, "deterministic"), "test_acc")
        c = compare(bbb, det)
        half = [CHANCE + (d - CHANCE) / 2 for d in det]  # halfway between chance and the deterministic twin
        below = [b < h for b, h in zip(bbb, half)]
        holds = True if all(below) else False if not any(below) else None
        gates = [g[f"bnn_baseline_{src}"]] + ([g["generator"], g["same_data"]] if src == "generated" else [])
        reason = (f"Bayes by Backprop reaches {np.mean(bbb):.2f}% against {np.mean(det):.2f}% for its deterministic twin "
                  f"(paired difference {fmt_num(c.diff, 'points', sign=True)}, 95% CI {fmt_interval(None if c.degenerate else c.ci, 'points', sign=True)}); "
                  f"{sum(below)} of {len(below)} seeds fall below halfway between chance and the twin, the collapse criterion")
        return judge_check(NAME, f"03-bnn-collapse-{src}",
                           "A Bayesian neural network trained on the same images collapses: 19.56% against 91.06% for the deterministic net.",
                           REPORT["bnn_generated"], float(np.mean(bbb)), holds, self._scale("bnn", bnn_arm(src, "bbb")), reason,
                           gates=gates, section=SECTION, n=len(bbb), unit="%")
