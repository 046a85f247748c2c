"""What every classifier run of chapter 03 measures on the real test set, from its predictive
(S softmax samples per image: S = 1 for a deterministic net, ``mc_samples`` weight samples
for Bayes by Backprop):

* accuracy, NLL, Brier score and ECE (``ece_bins`` equal-width bins) of the mean predictive,
  before and after temperature scaling; T is cross-fitted on the test set itself (two random
  halves, each scaled by the T fitted on the other; :func:`simaug.calibration.cross_fit_temperature`),
  since the calibration nets train on every training image;
* the reliability tables (count, accuracy, mean confidence per bin) before and after;
* out-of-distribution detection: the AUROC of the predictive entropy (and, for sampled
  models, the mutual information) against uniform-noise images and test images under
  Gaussian noise of severity 5, and the entropy histograms behind it.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Tuple

import numpy as np
import torch

from ...bayes import log_mean_predictive, mutual_information, predictive_entropy
from ...calibration import calibration_metrics, cross_fit_temperature, reliability_table
from ...data import ImageSet
from ...shift import auroc, corrupt


def ood_images(test: ImageSet, name: str, n: int, seed: int) -> torch.Tensor:
    """The OOD set ``name`` (one of ``specs.OOD_SETS``): uint8 (min(n, N), 3, 32, 32), seeded."""
    n = min(n, len(test))
    g = torch.Generator().manual_seed(seed)
    if name == "uniform noise":
        return torch.randint(0, 256, (n, *test.images.shape[1:]), dtype=torch.uint8, generator=g)
    if name == "Gaussian noise, severity 5":
        idx = torch.randperm(len(test), generator=g)[:n].sort().values
        return corrupt(test.images[idx], "gaussian_noise", 5, seed=seed)
    raise ValueError(f"unknown OOD set {name!r}")


def _reliability(probs: torch.Tensor, labels: torch.Tensor, bins: int) -> np.ndarray:
    t = reliability_table(probs, labels, bins)
    return t[["count", "accuracy", "confidence"]].to_numpy(dtype=np.float64)  # (bins, 3)


def calibration(probs: torch.Tensor, labels: torch.Tensor, ev: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
    """Metrics before (plain names) and after temperature scaling (``*_ts``), the fold
    temperatures, and the reliability arrays ``(2, bins, 3)`` (before, after)."""
    bins = ev["ece_bins"]
    z = log_mean_predictive(probs).double()  # (N, K): logits of the mean predictive
    before = calibration_metrics(z, labels, bins)
    cf = cross_fit_temperature(z, labels, folds=ev["ts_folds"], seed=ev["fold_seed"])
    after = calibration_metrics(cf.scaled, labels, bins)
    p0, p1 = torch.softmax(z, 1), torch.softmax(cf.scaled, 1)
    metrics = {**before, **{f"{k}_ts": v for k, v in after.items() if k != "accuracy"},
               "temperature": float(np.mean(cf.temperatures)), "temperatures": [float(t) for t in cf.temperatures],
               "overconfidence": float(p0.amax(1).mean() - before["accuracy"]),
               "overconfidence_ts": float(p1.amax(1).mean() - before["accuracy"])}
    arrays = {"reliability": np.stack([_reliability(p0, labels, bins), _reliability(p1, labels, bins)])}
    return metrics, arrays


def ood(probs_in: torch.Tensor, probs_out: Dict[str, torch.Tensor], ev: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
    """AUROC per OOD set of the entropy (and mutual information when S > 1), and the entropy
    histograms ``(1 + sets, bins)`` on ``[0, ln K]`` (row 0: the test images)."""
    k = probs_in.shape[-1]
    edges = torch.linspace(0, math.log(k), ev["entropy_bins"] + 1, dtype=torch.float64)
    h_in = predictive_entropy(probs_in).double()
    sampled = probs_in.shape[0] > 1
    metrics, hists = {}, [torch.histogram(h_in.clamp(0, math.log(k)), edges).hist]
    for i, (name, p) in enumerate(probs_out.items()):
        h_out = predictive_entropy(p).double()
        metrics[f"auroc_entropy_{i}"] = auroc(h_in, h_out)
        if sampled:
            metrics[f"auroc_mi_{i}"] = auroc(mutual_information(probs_in).double(), mutual_information(p).double())
        hists.append(torch.histogram(h_out.clamp(0, math.log(k)), edges).hist)
    return metrics, {"entropy_hist": torch.stack(hists).numpy(), "entropy_edges": edges.numpy()}
