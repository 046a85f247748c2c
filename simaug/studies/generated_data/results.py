"""Chapter 03's tables, figure inputs and claim inputs, computed from stored runs only (the gates
and claims are computed from them in :mod:`simaug.report.chapters.generated_data`).

    res = Results(config, runs)     # runs = session.runs(): every planned run
    res.summary(); res.pairs(); res.reliability_panels()

Units: accuracies, ECE and over-confidence in percent (differences in points); NLL in nats;
T is the fitted temperature (T > 1: the net was over-confident, T < 1: under-confident).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from ...runstore import StoredRun, spec_key
from .config import Config
from .specs import Arm, arms, bnn_arm, generator_spec, uses_generator, wd_arm

REPORT = {"generated": 91.06, "real": 94.92, "bnn_generated": 19.56}  # the student report's test accuracies (%)
PERCENT = ("train_acc", "test_acc", "ece", "ece_ts", "overconfidence", "overconfidence_ts")


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

    def pairs(self) -> List[Tuple[str, List[float], List[float], str]]:
        """Every paired comparison of the chapter as ``(label, a, b, unit)``: ``a − b`` per seed
        (same seed order in both), accuracies and ECE in points."""
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
            before, after, temps = self.calibration_pairs()
            out.append(("ECE: after − before temperature scaling (calibration runs)", after, before, "points"))
            out.append(("fitted temperature T − 1 (calibration runs)", temps, [1.0] * len(temps), ""))
        return out

    def calibration_pairs(self) -> Tuple[List[float], List[float], List[float]]:
        """ECE before, ECE after temperature scaling and T of every calibration net (arm, then seed order)."""
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

    # -- claim inputs --------------------------------------------------------------------------
    def generated_accuracy(self) -> List[float]:
        """Real-test accuracies (%) of the classifiers trained on generated images only: the
        ``generated`` source, else the BNN part's deterministic twin on generated images."""
        if self.has("sources", "generated"):
            return self.values("sources", "generated", "test_acc")
        if "generated" in self.config.bnn_sources:
            return self.values("bnn", bnn_arm("generated", "deterministic"), "test_acc")
        return []

    def generator_consistency(self) -> Tuple[int, int, bool]:
        """``(runs that used the stored generator's weights, runs on generated images, stored)``."""
        users = [r for a, r in self.arms if uses_generator(a.spec)]
        stored = self.generator.metrics["generator_sha256"] if self.generator else None
        same = sum(r.metrics.get("generator_sha256") == stored for r in users)
        return same, len(users), stored is not None

    def min_calibration_test_images(self) -> Optional[int]:
        cal = [r for a, r in self.arms if a.part == "calibration"]
        return min(int(r.metrics["n_test"]) for r in cal) if cal else None

    def scale(self, part: str, arm: str) -> str:
        """The scale a claim on ``(part, arm)`` was measured at, in words."""
        a, r = next((a, r) for a, r in self.arms if a.part == part and a.arm == arm)
        n = len([1 for b, _ in self.arms if b.part == part and b.arm == arm])
        t = a.spec["train"]
        return (f"{a.spec['model']}, {int(r.metrics['n_train']):,} training images, {t['epochs']} epochs "
                f"({t['optimizer']}, flip + crop), {int(r.metrics['n_test']):,} test images, n={n} seeds")
