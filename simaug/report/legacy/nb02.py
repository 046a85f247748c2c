"""Claims of chapter 02 (Grad-CAM-guided erasing, Oh 2024) from its committed report run.

Sources: ``results/report/02_cam_erasing/seed<s>/<arm>/history.csv`` (test error = 100 - test
accuracy at the last epoch, in %), ``provenance.json``. All arms of a seed branch from one
warm-up checkpoint, so they are compared paired by seed; lower error is better.

Gates (every claim): the no-erasing baseline at its plateau; the baseline fitting its training
set (erasing regularises, so it can only help a model that overfits); the positive control,
Random Erasing beating no erasing.
"""
from __future__ import annotations

from pathlib import Path

from ..compare import compare
from ..gates import Gate
from ..judge import judge_effect
from ._common import SECTION, final, history, plateau_gate, provenance

CHAPTER = "02_cam_erasing"
#: the thesis' top-1 test errors (%), Tables 1-4
PAPER = {
    "resnet20": {"cam_erasing": 6.40, "random_erasing": 6.75, "cutout": 6.68, "hide_and_seek": 6.95},
    "resnet32": {"cam_erasing": 5.56, "random_erasing": 6.00, "cutout": 5.89, "hide_and_seek": 5.99},
    "resnet44": {"cam_erasing": 5.15, "random_erasing": 5.34, "cutout": 5.33, "hide_and_seek": 5.47},
}
PAPER_BH = {0: 6.43, 1: 6.43, 2: 6.40, 3: 6.54, 4: 6.51, 5: 6.52}  # ResNet-20
PAPER_CAM_SOURCE = {"during": 6.40, "after": 6.44}
FIT_TRAIN_ACC = 90.0  # % training accuracy the baseline must reach for a regulariser to have something to act on
MODEL_NAMES = {"resnet20": "ResNet-20", "resnet32": "ResNet-32", "resnet44": "ResNet-44"}
NAMES = {"random_erasing": "Random Erasing", "cutout": "Cutout", "hide_and_seek": "Hide-and-Seek"}


def _error(folder: Path, arm: str, seeds) -> list[float]:
    return [100.0 - a for a in final(history(folder / f"seed{s}" / arm) for s in seeds)]


def claims(folder) -> list:
    folder = Path(folder)
    prov = provenance(folder)
    p = prov["params"]
    seeds, bh_seeds, b_h = list(p["seeds"]), list(p["bh_seeds"]), int(p["b_h"])
    model = p["model_name"]
    table = PAPER.get(model, PAPER["resnet20"])
    err = {m: _error(folder, m, seeds) for m in p["methods"]}
    base = [history(folder / f"seed{s}" / "none") for s in seeds]
    scale = f"{model}, {p['train_subset']:,} CIFAR-10 images × {p['epochs']} epochs ({p['epochs'] // 2} warm-up), {len(seeds)} seeds"
    gates = [
        plateau_gate(base, "no-erasing baseline"),
        Gate.at_least("no-erasing baseline fits its training set", sum(final(base, "train_acc")) / len(base), FIT_TRAIN_ACC,
                      unit="%", description="erasing is a regulariser: it can only lower the test error of a model that "
                                            "fits its training data (the thesis' ResNet-20 reaches nearly 100%)"),
        Gate.beats("positive control: Random Erasing beats no erasing", compare(err["random_erasing"], err["none"], paired=True),
                   -1, unit="points", description="Random Erasing must lower the test error against no erasing, or this scale "
                                                  "cannot show any erasing effect"),
    ]
    out = []
    for m, name in NAMES.items():
        c = compare(err["cam_erasing"], err[m], paired=True)
        src = round(table["cam_erasing"] - table[m], 2)
        out.append(judge_effect(CHAPTER, f"02-beats-{m.replace('_', '-')}",
                                f"CAM erasing (b_h = 2) has a lower test error than {name} ({MODEL_NAMES.get(model, model)}: "
                                f"{table['cam_erasing']:.2f}% vs {table[m]:.2f}%)",
                                src, c, scale, gates=gates, direction=-1, section=SECTION, unit="points"))

    # b_h = 2 is the best offset (single seed per b_h)
    bh_err = {b_h: _error(folder, "cam_erasing", bh_seeds)}
    for b in p["bh_sweep"]:
        bh_err[int(b)] = _error(folder, f"cam_erasing_b_h={int(b)}", bh_seeds)
    mean = {b: sum(v) / len(v) for b, v in bh_err.items()}
    best_other = min((b for b in bh_err if b != b_h), key=lambda b: mean[b])
    best = min(bh_err, key=lambda b: mean[b])
    c = compare(bh_err[b_h], bh_err[best_other], paired=True)
    bh_scale = f"{model}, as above, b_h = {', '.join(str(b) for b in sorted(bh_err))}, {len(bh_seeds)} seed(s) each"
    out.append(judge_effect(CHAPTER, "02-bh2-best", "b_h = 2 is the best CAM offset (ResNet-20: 6.40% vs 6.43–6.54%)",
                            round(PAPER_BH[2] - min(v for k, v in PAPER_BH.items() if k != 2), 2), c, bh_scale, gates=gates,
                            direction=-1, section=SECTION, unit="points",
                            note=f"our lowest error is at b_h = {best} ({mean[best]:.2f}%; b_h = {b_h}: {mean[b_h]:.2f}%)"))

    # CAM from the model in training beats CAM from a separately trained model
    if p.get("cam_after"):
        during, after = bh_err[b_h], _error(folder, "cam_erasing_after", bh_seeds)
        c = compare(during, after, paired=True)
        out.append(judge_effect(CHAPTER, "02-cam-during-training",
                                "The CAM of the model in training beats that of a separately trained model (6.40% vs 6.44%)",
                                round(PAPER_CAM_SOURCE["during"] - PAPER_CAM_SOURCE["after"], 2), c, bh_scale, gates=gates,
                                direction=-1, section=SECTION, unit="points"))
    return out
