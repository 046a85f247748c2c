"""The design's inputs, fixed before any run: its comparisons, the spread we expect, its cost.

The resolution these give (the smallest difference each comparison detects) is computed in
:mod:`simaug.report.chapters.confusion_rate`, where every statistical conclusion lives.
"""
from __future__ import annotations

import math
from typing import Dict, List

import pandas as pd

from .config import Config, plan

# Expected SD of a paired difference of two runs' test accuracies (points), before any run:
# test-set sampling of two models, 100 sqrt(2 p (1 - p) / n_test) at the accuracy p we expect,
# plus a training-run component s_run (initialisation and data order); both assumed from the
# earlier runs of this chapter. The measured spread replaces it once the runs exist.
EXPECTED = {"cifar10": {"p": 0.65, "s_run": 0.4}, "hangul": {"p": 0.75, "s_run": 0.6}}
# Training throughput on the 2-core development machine, fp32, images/s at 32x32 (the
# project's speed budget), and the bf16 speed-up; evaluation runs ~3x faster than training.
SPEED = {"simple_cnn": 3000.0, "resnet20": 600.0}
BF16_SPEEDUP = {"simple_cnn": 2.7, "resnet20": 1.8}
EVAL_SPEEDUP = 3.0


def n_test(config: Config, dataset: str) -> int:
    return (config.cifar_test_subset or 10000) if dataset == "cifar10" else 45 * config.hangul_test_per_class


def expected_sd(config: Config, dataset: str) -> float:
    """Expected SD (points) of a paired test-accuracy difference (see :data:`EXPECTED`)."""
    e = EXPECTED[dataset]
    return math.sqrt(1e4 * 2 * e["p"] * (1 - e["p"]) / n_test(config, dataset) + e["s_run"] ** 2)


def comparisons(config: Config) -> List[dict]:
    """The design's comparisons: ``id``, what, on which data, over how many paired seeds, the paper's value."""
    out = [{"id": "cr", "comparison": f"CR (k = {config.k:g}) − cross-entropy", "dataset": "cifar10", "n": len(config.seeds),
            "paper": "+1.68 / +3.38 / +2.24"},
           {"id": "cr", "comparison": f"CR (k = {config.k:g}) − cross-entropy", "dataset": "hangul", "n": len(config.hangul_seeds),
            "paper": "+0.18 / +0.22 / +0.10"}]
    if config.pc_seeds:
        out.append({"id": "pc", "comparison": f"PC (λ = {config.pc_lambda:g}) − cross-entropy", "dataset": "cifar10",
                    "n": len([s for s in config.pc_seeds if s in config.seeds]) or len(config.pc_seeds), "paper": "not reported"})
    if config.sweep_ks:
        out.append({"id": "k", "comparison": "k = 3 − the best other k of the sweep", "dataset": "cifar10",
                    "n": len(config.sweep_seeds), "paper": "k = 3 best"})
    return out


def cost(config: Config) -> Dict[str, float]:
    """Runs, training and evaluation images of the whole plan and the estimated CPU-hours on
    the 2-core machine (nan for a model without a speed budget)."""
    specs = plan(config)
    train = evals = 0.0
    for s in specs:
        d, t = s["dataset"], s["train"]
        n_train = (config.cifar_train_subset or 50000) if d == "cifar10" else 45 * config.hangul_train_per_class
        pixels = 1.0 if d == "cifar10" else (config.hangul_size / 32) ** 2  # cost scales with the image area
        train += n_train * t["epochs"] * pixels
        evals += n_test(config, d) * (t["epochs"] // t["eval_every"] + (t["epochs"] % t["eval_every"] > 0)) * pixels
    speed = SPEED.get(config.model_name, math.nan) * (BF16_SPEEDUP.get(config.model_name, 1.0) if config.precision == "bf16" else 1.0)
    hours = (train + evals / EVAL_SPEEDUP) / speed / 3600
    return {"runs": len(specs), "training images (millions, 32x32 equivalent)": round(train / 1e6, 2),
            "evaluation images (millions)": round(evals / 1e6, 2), "images/s assumed (training)": round(speed) if speed == speed else speed,
            "estimated CPU-hours (2 cores)": round(hours, 2), "estimated CPU-minutes": round(60 * hours, 1)}


def cost_table(config: Config) -> pd.DataFrame:
    """:func:`cost` as a one-column table (numbers as written, not as floats)."""
    return pd.DataFrame({"value": {k: f"{v:,}" if isinstance(v, int) else f"{v:g}" for k, v in cost(config).items()}})
