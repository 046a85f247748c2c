"""Claims of chapter 03 (generated training data, a Bayesian net, calibration; student report).

Sources: ``results/report/03_generated_data_calibration/calibration.csv`` (test accuracy, fitted
temperature T, ECE per source, method and seed), ``ood.csv`` (OOD AUROC per score), the
``history.csv`` of each classifier, ``cifar10-generated/manifest.yaml`` and ``provenance.json``.
Arms of one seed share the seed (and the backbone's initialisation), so they are compared paired.

Gates: the generator's samples train a classifier well above chance (every generated-data
claim); the classifier fits its training set (the overconfidence claim, which is about networks
that fit their data); the in-distribution classifier is well above chance (the OOD claims).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from ..compare import compare
from ..gates import Gate
from ..judge import judge_effect
from ._common import SECTION, final, history, provenance

CHAPTER = "03_generated_data_calibration"
REPORT = {"generated": 91.06, "real": 94.92, "bnn_generated": 19.56}  # test accuracy (%), experiments 1-3
CHANCE = 10.0  # % for 10 classes
ABOVE_CHANCE = 2 * CHANCE  # "well above chance": twice chance
FIT_TRAIN_ACC = 90.0  # % training accuracy from which a network fits its data
NO_DIFFERENCE_MARGIN = 5.0  # points: the report calls its 3.86-point gap "not large"


def claims(folder) -> list:
    folder = Path(folder)
    prov = provenance(folder)
    p = prov["params"]
    seeds = list(p["seeds"])
    cal = pd.read_csv(folder / "calibration.csv")
    ood = pd.read_csv(folder / "ood.csv")

    def col(source, method, column, scale=100.0):
        rows = cal[(cal.source == source) & (cal.method == method)].copy()
        rows = rows[rows.seed.astype(str).isin([str(s) for s in seeds])].sort_values("seed", key=lambda s: s.astype(str))
        return [scale * float(v) for v in rows[column]]

    manifest = yaml.safe_load((folder / "cifar10-generated" / "manifest.yaml").read_text(encoding="utf-8"))
    gen_params = manifest["splits"]["train"].get("params", {})
    n_gen = int(manifest["splits"]["train"]["count"])
    steps = gen_params.get("steps")
    scale = (f"{p['model_name']}, {p['train_subset']:,} real / {n_gen:,} generated CIFAR-10 images × {p['epochs']} epochs; "
             f"generator {p['generator_name']} ({steps:,} steps); {len(seeds)} seeds" if steps else
             f"{p['model_name']}, {p['train_subset']:,} real / {n_gen:,} generated images × {p['epochs']} epochs; {len(seeds)} seeds")
    real_scale = f"{p['model_name']}, {p['train_subset']:,} real CIFAR-10 images × {p['epochs']} epochs; {len(seeds)} seeds"

    gen_acc, real_acc = col("generated", "deterministic", "accuracy"), col("real", "deterministic", "accuracy")
    gen_gate = Gate.at_least("generator's samples train a classifier well above chance", sum(gen_acc) / len(gen_acc),
                             ABOVE_CHANCE, unit="%",
                             description=f"real-test accuracy of the network trained on generated images must reach twice "
                                         f"chance ({ABOVE_CHANCE:g}%); below it the generator is essentially untrained and no "
                                         "generated-data comparison means anything")
    real_train = final([history(folder / f"dropout_real_seed{s}") for s in seeds], "train_acc")
    fit_gate = Gate.at_least("classifier fits its training set", sum(real_train) / len(real_train), FIT_TRAIN_ACC, unit="%",
                             description="overconfidence (Guo et al.) shows in networks that fit their training data; an "
                                         "underfit network is outside the claim's regime")
    clf_gate = Gate.at_least("in-distribution classifier well above chance", sum(real_acc) / len(real_acc), ABOVE_CHANCE,
                             unit="%", description="the real-data network's test accuracy must reach twice chance for its "
                                                   "uncertainty to mean anything")
    out = []

    c = compare(gen_acc, real_acc, paired=True)
    out.append(judge_effect(CHAPTER, "03-generated-vs-real",
                            "Training on generated images is about as good as on real ones (91.06% vs 94.92%)",
                            round(REPORT["generated"] - REPORT["real"], 2), c, scale, gates=[gen_gate],
                            margin=NO_DIFFERENCE_MARGIN, section=SECTION, unit="points"))

    c = compare(col("generated", "bbb, kl_weight 1", "accuracy"), gen_acc, paired=True)
    out.append(judge_effect(CHAPTER, "03-bnn-on-generated",
                            "A Bayesian neural network trained on the generated images does far worse (19.56% vs 91.06%)",
                            round(REPORT["bnn_generated"] - REPORT["generated"], 2), c, scale, gates=[gen_gate],
                            direction=-1, section=SECTION, unit="points"))

    c = compare(col("real+generated", "deterministic", "accuracy"), real_acc, paired=True)
    out.append(judge_effect(CHAPTER, "03-generated-augments",
                            "Generated images are useful to augment real training data (the report's conclusion)",
                            None, c, scale, gates=[gen_gate], section=SECTION, unit="points"))

    temps = col("real", "deterministic", "T", scale=1.0)
    c = compare(temps, [1.0] * len(temps), paired=True)
    t_mean = sum(temps) / len(temps)
    word = "underconfident" if t_mean < 1 else "overconfident"
    out.append(judge_effect(CHAPTER, "03-overconfident",
                            "Deep networks are overconfident (Guo et al.): the temperature fitted on held-out data exceeds 1 (T − 1 > 0)",
                            None, c, real_scale, gates=[fit_gate], section=SECTION,
                            note=f"the fitted temperatures (mean T = {t_mean:.2f}; per seed {', '.join(f'{t:.2f}' for t in temps)}) are "
                                 f"{'below' if t_mean < 1 else 'above'} 1, i.e. these networks are {word}"))

    real_ood = ood[(ood.source == "real") & ood.seed.astype(str).isin([str(s) for s in seeds])]

    def auroc(method, score):
        rows = real_ood[(real_ood.method == method) & (real_ood.score == score)]
        per_seed = rows.groupby(rows.seed.astype(str)).auroc.mean()  # mean over the OOD sets
        return [float(per_seed[str(s)]) for s in seeds]

    sets = ", ".join(sorted(real_ood.ood_set.unique()))
    ood_scale = f"{real_scale}; OOD sets: {sets} ({p['shift_subset']} images each)"
    msp = auroc("deterministic", "max_softmax")
    c = compare(msp, [0.5] * len(msp), paired=True)
    out.append(judge_effect(CHAPTER, "03-softmax-misses-ood",
                            "Softmax confidence stays high on unknown inputs, so it cannot flag out-of-distribution data "
                            "(AUROC − 0.5 ≤ 0)", None, c, ood_scale, gates=[clf_gate], direction=-1, section=SECTION, unit="AUROC",
                            note=f"mean AUROC of the max-softmax score {sum(msp) / len(msp):.3f} over the OOD sets"))
    c = compare(auroc("bbb", "mutual_information"), msp, paired=True)
    out.append(judge_effect(CHAPTER, "03-bnn-flags-ood",
                            "A Bayesian net's uncertainty (mutual information over weight samples) flags out-of-distribution "
                            "inputs better than the softmax (AUROC difference)", None, c, ood_scale, gates=[clf_gate],
                            section=SECTION, unit="AUROC"))
    return out
