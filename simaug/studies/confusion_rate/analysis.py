"""The chapter's tables, figure inputs and claim inputs, computed from stored runs.

``Chapter(runs, config)`` finds each run by rebuilding its spec from the config (so a run is
never picked by position) and offers the tables, the data the figures of
:mod:`simaug.plots.confusion_rate` draw, and the values the verdict
(:mod:`simaug.report.chapters.confusion_rate`) compares. Accuracies are in %, differences in
points. No statistics here: intervals, gates and claims are computed in the report layer.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd
import torch

from ...data.hangul import CONFUSABLE_GROUPS
from ...data.noise import CIFAR10_CONFUSABLE_PAIRS
from ...losses import confusion_rate
from ...runstore import StoredRun, spec_key
from . import paper
from .config import Config, run_spec, sweep_values

LABEL = {"cifar10": "noisy CIFAR-10", "hangul": "rendered Hangul"}


def top_pairs(cm, n: int = 4) -> List[Tuple[int, int]]:
    """The ``n`` unordered class pairs ``(i, j)``, ``i < j``, confused most often (CM_ij + CM_ji)."""
    cm = torch.as_tensor(np.asarray(cm, dtype=np.float64))
    both = torch.triu(cm + cm.T, diagonal=1)  # (K, K)
    idx = torch.argsort(both.flatten(), descending=True)[:n]
    return [divmod(int(i), cm.shape[1]) for i in idx if both.flatten()[i] > 0]


def cr_history(run: StoredRun) -> np.ndarray:
    """CR of each epoch's training confusion matrix, (E, K, K): what the CR loss uses in the
    next epoch (for a cross-entropy run: what it would have used)."""
    return np.stack([confusion_rate(torch.as_tensor(cm.astype(np.int64))).numpy() for cm in run.result.arrays["train_cms"]])


def row_normalised(cm) -> np.ndarray:
    cm = np.asarray(cm, dtype=np.float64)
    return 100 * cm / np.maximum(cm.sum(1, keepdims=True), 1)


def per_class_accuracy(run: StoredRun) -> np.ndarray:
    """Test accuracy per class (%), (K,)."""
    return np.diagonal(row_normalised(run.result.arrays["test_cm"])).copy()


def hangul_groups() -> List[List[int]]:
    """Class indices of each confusable Hangul group (consecutive, in the set's class order)."""
    out, i = [], 0
    for g in CONFUSABLE_GROUPS:
        out.append(list(range(i, i + len(g))))
        i += len(g)
    return out


def _pm(values: Sequence[float], digits: int = 2) -> str:
    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return f"{v.mean():.{digits}f} (n=1)"
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f} (n={len(v)})"


class Chapter:
    """The stored runs of one configuration, by role."""

    def __init__(self, runs: Sequence[StoredRun], config: Config):
        self.config = config
        self.by_key: Dict[str, StoredRun] = {r.key: r for r in runs}

    # -- selecting runs --------------------------------------------------------------------
    def seeds(self, dataset: str, arm: str) -> List[int]:
        c = self.config
        if dataset == "hangul":
            return list(c.hangul_seeds)
        return list(c.pc_seeds if arm == "PC" else c.seeds)

    def run(self, dataset: str, arm: str, seed: int, k: Optional[float] = None) -> StoredRun:
        key = spec_key(run_spec(self.config, dataset, arm, seed, k))
        if key not in self.by_key:
            raise KeyError(f"run {key} ({dataset}, {arm}, seed {seed}, k {k}) is not among the runs given; "
                           "pass session.runs() of the same configuration")
        return self.by_key[key]

    def runs(self, dataset: str, arm: str, seeds: Optional[Sequence[int]] = None, k: Optional[float] = None) -> List[StoredRun]:
        return [self.run(dataset, arm, s, k) for s in (self.seeds(dataset, arm) if seeds is None else seeds)]

    def arms(self, dataset: str) -> List[str]:
        return ["cross-entropy", "CR"] + (["PC"] if dataset == "cifar10" and self.config.pc_seeds else [])

    def acc(self, dataset: str, arm: str, seeds=None, k=None, key: str = "test_acc") -> List[float]:
        """Final accuracies (%), in seed order."""
        return [100 * r.metrics[key] for r in self.runs(dataset, arm, seeds, k)]

    def paired(self, dataset: str, arm: str, baseline: str = "cross-entropy") -> Tuple[List[float], List[float], bool]:
        """Final test accuracies (%) of ``arm`` and ``baseline``: over their common seeds in the
        same order (``paired=True``), or all runs of each when they share none (``False``)."""
        a, b = self.seeds(dataset, arm), self.seeds(dataset, baseline)
        common = [s for s in a if s in b]
        if len(common) >= 2 or (common and len(a) < 2):
            return self.acc(dataset, arm, common), self.acc(dataset, baseline, common), True
        return self.acc(dataset, arm), self.acc(dataset, baseline), False

    def sweep_acc(self) -> Dict[float, List[float]]:
        """Final test accuracy (%) per k of the sweep, in the order of ``sweep_seeds``."""
        return {kk: [100 * self.run("cifar10", "CR", s, kk).metrics["test_acc"] for s in self.config.sweep_seeds]
                for kk in sweep_values(self.config)}

    def plateau_window(self, dataset: str, window: int = 5) -> pd.Series:
        """Seed-mean test accuracy (%) of the cross-entropy runs at the evaluated epochs
        ``E - window … E`` (evaluation is sparse: only those epochs have a test value)."""
        h = pd.concat([r.history for r in self.runs(dataset, "cross-entropy")], ignore_index=True)
        last = int(h["epoch"].max())
        mean = 100 * h.dropna(subset=["test_acc"]).groupby("epoch").test_acc.mean()
        return mean[mean.index >= last - window]

    def classes(self, dataset: str) -> List[str]:
        return list(self.run(dataset, "cross-entropy", self.seeds(dataset, "cross-entropy")[0]).metrics["classes"])

    # -- tables ----------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """One row per data set and arm: runs, final training and test accuracy (%)."""
        rows = []
        for d in ("cifar10", "hangul"):
            for arm in self.arms(d):
                runs = self.runs(d, arm)
                m = runs[0].metrics
                rows.append({"data": LABEL[d], "arm": arm + (f" (k = {self.config.k:g})" if arm == "CR" else ""),
                             "seeds": len(runs), "train images": m["n_train"], "test images": m["n_test"], "epochs": m["epochs"],
                             "train accuracy (%)": _pm(self.acc(d, arm, key="train_acc")), "test accuracy (%)": _pm(self.acc(d, arm))})
        return pd.DataFrame(rows).set_index(["data", "arm"])

    def history(self, dataset: str) -> pd.DataFrame:
        """Histories of the main arms (cross-entropy, CR at k, PC) with ``arm`` and ``seed``."""
        parts = [r.history.assign(arm=arm, seed=r.spec["seed"]) for arm in self.arms(dataset) for r in self.runs(dataset, arm)]
        return pd.concat(parts, ignore_index=True)

    def results_table(self) -> pd.DataFrame:
        """Table 3 of the paper beside our test accuracy per arm (the verdict adds the paired
        difference to cross-entropy)."""
        rows = []
        for d in ("cifar10", "hangul"):
            for arm in self.arms(d):
                src = paper.TABLE3[d].get(arm)
                rows.append({"data (paper → ours)": paper.STAND_IN[d],
                             "method": {"CR": f"CR, k = {self.config.k:g}", "PC": f"PC, λ = {self.config.pc_lambda:g}"}.get(arm, arm),
                             "paper VGG13 / ResNet18 / ResNet34 (%)": " / ".join(f"{v:.2f}" for v in src) if src else "not reported",
                             "paper − cross-entropy (points)": " / ".join(f"{g:+.2f}" for g in paper.gains(d)) if arm == "CR" else "",
                             f"ours, {self.config.model_name} (%)": _pm(self.acc(d, arm)), "arm": arm, "dataset": d})
        return pd.DataFrame(rows).set_index(["data (paper → ours)", "method"])

    def per_class_matrix(self, arm: str, dataset: str = "cifar10") -> np.ndarray:
        """(seeds, K) per-class test accuracy (%) of the CE-vs-CR seeds."""
        return np.stack([per_class_accuracy(r) for r in self.runs(dataset, arm)])

    def per_class_table(self) -> pd.DataFrame:
        """Noisy CIFAR-10 per class (%): cross-entropy, CR and their mean difference over the
        paired seeds (the paper's Table 2 is :data:`paper.TABLE2`)."""
        ce, cr = self.per_class_matrix("cross-entropy"), self.per_class_matrix("CR")
        classes = self.classes("cifar10")
        pair = {i: "/".join(classes[c] for c in p) for p in CIFAR10_CONFUSABLE_PAIRS for i in p}
        return pd.DataFrame({"pair (noise flips inside it)": [pair.get(c, "(none)") for c in range(len(classes))],
                             "cross-entropy": ce.mean(0), "CR": cr.mean(0), "CR − cross-entropy": (cr - ce).mean(0)},
                            index=pd.Index(classes, name="class")).round(2)

    def hangul_groups_table(self) -> pd.DataFrame:
        """Mean test accuracy (%) of each confusable Hangul group, per arm (mean over seeds)."""
        classes = self.classes("hangul")
        out = {}
        for arm in ("cross-entropy", "CR"):
            acc = self.per_class_matrix(arm, "hangul").mean(0)
            out[arm] = [acc[g].mean() for g in hangul_groups()]
        df = pd.DataFrame(out, index=["/".join(classes[i] for i in g) for g in hangul_groups()])
        df["CR − cross-entropy"] = df["CR"] - df["cross-entropy"]
        return df.round(1).T

    def mean_confusion(self, dataset: str, arm: str) -> np.ndarray:
        """Seed mean of the row-normalised final test confusion matrices (%), (K, K)."""
        return np.mean([row_normalised(r.result.arrays["test_cm"]) for r in self.runs(dataset, arm)], axis=0)

    # -- figure inputs ---------------------------------------------------------------------
    def curves(self) -> Dict[str, pd.DataFrame]:
        """``{title: history of the main arms}`` per data set."""
        return {f"{LABEL[d]}: training curves by loss": self.history(d) for d in ("cifar10", "hangul")}

    def confusions(self, dataset: str) -> Dict[str, np.ndarray]:
        """The cross-entropy test confusion matrix (row-normalised, %, seed mean) and CR's
        difference to it (points): where the errors are and what CR changed."""
        ce, cr = self.mean_confusion(dataset, "cross-entropy"), self.mean_confusion(dataset, "CR")
        n = len(self.seeds(dataset, "CR"))
        return {f"{LABEL[dataset]}, cross-entropy (% of each true class, mean of {n} seed{'s' * (n > 1)})": ce,
                f"{LABEL[dataset]}, CR − cross-entropy (points)": cr - ce}

    def groups(self, dataset: str) -> List[List[int]]:
        """Confusable classes to outline: the Hangul groups, or the CIFAR-10 noise pairs (not
        adjacent, so none are outlined)."""
        return hangul_groups() if dataset == "hangul" else []

    def cr_heatmaps(self) -> Dict[str, np.ndarray]:
        """CR of the first-seed CR run on noisy CIFAR-10 after the first and the last epoch."""
        h = cr_history(self.run("cifar10", "CR", self.config.seeds[0]))
        return {"CR after epoch 1 (used in epoch 2)": h[0], f"CR after epoch {len(h)} (the last)": h[-1]}

    def pair_trajectories(self, n: int = 4) -> Dict[str, tuple]:
        """Per data set: the CR per epoch of the first seed's cross-entropy and CR runs and the
        ``n`` pairs the cross-entropy run confused most over its whole training (its last epoch
        alone has no confusions left once the training set is fitted, as on Hangul)."""
        out = {}
        for d in ("cifar10", "hangul"):
            s = self.seeds(d, "CR")[0]
            ce, cr = self.run(d, "cross-entropy", s), self.run(d, "CR", s)
            pairs = top_pairs(ce.result.arrays["train_cms"].sum(0, dtype=np.int64), n)
            out[f"{LABEL[d]}: {n} most confused training pairs"] = ({"cross-entropy": cr_history(ce), "CR": cr_history(cr)},
                                                                     pairs, self.classes(d))
        return out

    def weighting_history(self) -> pd.DataFrame:
        """Histories of the CR runs (k as set) of both data sets, with ``dataset`` and ``seed``."""
        return pd.concat([r.history.assign(dataset=LABEL[d], seed=r.spec["seed"]) for d in ("cifar10", "hangul")
                          for r in self.runs(d, "CR")], ignore_index=True)

    def shares_table(self) -> pd.DataFrame:
        """How much of the training the CR weighting acted on (mean over the CR runs' seeds, %):
        integrated over all epochs and in the last one."""
        rows = {}
        for d in ("cifar10", "hangul"):
            m = pd.DataFrame([r.metrics for r in self.runs(d, "CR")])
            rows[LABEL[d]] = {
                "training accuracy, last epoch (%)": 100 * m.train_acc.mean(),
                "samples re-weighted, integrated over training (%)": 100 * m.cr_weighted_share_integrated.mean(),
                "samples re-weighted, last epoch (%)": 100 * m.cr_weighted_share_last.mean(),
                "loss added by re-weighting, integrated (%)": 100 * m.cr_loss_share_integrated.mean(),
                "loss added by re-weighting, peak epoch (%)": 100 * m.cr_loss_share_peak.mean(),
                "loss added by re-weighting, last epoch (%)": 100 * m.cr_loss_share_last.mean(),
                "extra weight per misclassified sample, last epoch": m.cr_extra_weight_per_error_last.mean(),
            }
        return pd.DataFrame(rows).round(2)

    def sweep(self) -> pd.DataFrame:
        """One row per sweep run: ``k``, ``seed``, ``test_acc`` (fraction)."""
        return pd.DataFrame([{"k": kk, "seed": s, "test_acc": self.run("cifar10", "CR", s, kk).metrics["test_acc"]}
                             for kk in sweep_values(self.config) for s in self.config.sweep_seeds])

    def sweep_table(self) -> pd.DataFrame:
        """Mean test accuracy (%) per k over the sweep seeds (k = 0 is cross-entropy)."""
        df = self.sweep()
        if df.empty:
            return df
        return (100 * df.pivot_table(index="seed", columns="k", values="test_acc")).round(2)
