"""Claims of chapter 01 (STN augmentation with a max-entropy adversary, Cho, Kim & Yoon).

Sources: ``results/report/01_stn_augment/seed<s>/<arm>/stage3/history.csv`` (final test
accuracy per arm and seed), ``stage2_history.csv`` (G's θ and D's losses per logged step),
``provenance.json``. Every arm of a seed branches from the same stage-1 classifier, so arms are
compared paired by seed.

Gates: the positive control (random affine warps of the same box beat the baseline) for every
accuracy claim; D's held-out loss leaving 2 ln 2 and G leaving its identity initialisation for
the mechanism claims about D and G.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..compare import compare
from ..format import fmt_num
from ..gates import Gate
from ..judge import judge_check, judge_effect
from ._common import SECTION, final, history, provenance

CHAPTER = "01_stn_augment"
PAPER_GAIN = 100 * (0.8760 - 0.8736)  # proposed minus baseline, points (Table 1)
NO_GAIN_MARGIN = 1.0  # points: a difference below this is "no real gain"
D_CHANCE = 2 * math.log(2)  # nats: D's loss when it cannot tell real from warped
D_MOVED = 0.05  # nats D's held-out loss must leave 2 ln 2 by, at some logged step
NEAR_IDENTITY = 0.05  # |θ - I|_F below which a warp counts as the identity (simaug.stn.NEAR_IDENTITY)
REMEDIES = {  # arm: (id, the suggested fix as the paper words it)
    "low_freedom": ("01-remedy-low-freedom", "a lower-freedom loss"),
    "penalty": ("01-remedy-theta-penalty", "regularising the localisation net's output θ (a penalty on |θ − I|)"),
    "bounded": ("01-remedy-theta-bounded", "regularising the localisation net's output θ (θ bounded to a box)"),
    "no_disc": ("01-remedy-no-discriminator", "removing the discriminator"),
}


def claims(folder) -> list:
    folder = Path(folder)
    prov = provenance(folder)
    p = prov["params"]
    seeds = list(p["seeds"])
    acc = {arm: final(history(folder / f"seed{s}" / arm / "stage3") for s in seeds) for arm in p["arms"]}
    scale = (f"{p['model_name']}, {p['train_subset']:,} CIFAR-10 images; stage 1 {p['stage1_epochs']} epochs, stage 2 "
             f"{p['stage2_steps']} steps, stage 3 {p['stage3_epochs']} epochs; {len(seeds)} seeds")
    g2 = pd.read_csv(folder / "stage2_history.csv")
    paper = g2[g2.arm == "paper"].groupby("step").mean(numeric_only=True).sort_index()  # seed means per logged step

    positive = Gate.beats("positive control: random affine beats the baseline",
                          compare(acc["random_affine"], acc["baseline"], paired=True), +1, unit="points",
                          description="random affine warps of the same box must raise test accuracy over the baseline, "
                                      "or this scale cannot show any augmentation effect")
    d_dev = float((paper.test_loss_d - D_CHANCE).abs().max())
    d_gate = Gate.at_least("D's held-out loss leaves 2 ln 2", d_dev, D_MOVED, unit="nats",
                           description="largest distance of D's held-out loss (seed mean, printed-sign arm) from 2 ln 2 = "
                                       "1.386 nats over stage 2; at 2 ln 2 D cannot tell real from warped images, so the "
                                       "adversarial game never started")
    theta_max = float(paper.test_theta_dist.max())
    g_gate = Gate.at_least("G leaves its identity initialisation", theta_max, NEAR_IDENTITY,
                           description="largest |θ − I|_F of G's warps (seed mean, held-out batch, printed-sign arm) over "
                                       "stage 2; G starts at the identity, so a G that never left it cannot show a collapse back to it")
    out = []

    c = compare(acc["paper"], acc["baseline"], paired=True)
    out.append(judge_effect(CHAPTER, "01-no-gain", "The learned STN augmentation gives no real gain over the baseline "
                                                   "(0.8760 vs 0.8736 test accuracy)",
                            round(PAPER_GAIN, 2), c, scale, gates=[positive], margin=NO_GAIN_MARGIN, section=SECTION,
                            unit="points"))

    last = paper.iloc[-1]
    out.append(judge_check(CHAPTER, "01-g-identity", "G collapses to (near-)identity transforms", "near identity",
                           f"final |θ − I|_F {last.test_theta_dist:.4f} (largest {theta_max:.4f})", bool(last.test_theta_dist < NEAR_IDENTITY), scale,
                           f"G's final |θ − I|_F is {last.test_theta_dist:.4f} (identity below {NEAR_IDENTITY}) and its largest "
                           f"over stage 2 {theta_max:.4f}", gates=[g_gate, d_gate], section=SECTION, n=len(seeds)))

    first = paper.iloc[0]
    rises = bool(last.test_loss_d > first.test_loss_d and last.test_loss_g_adv < first.test_loss_g_adv)
    out.append(judge_check(CHAPTER, "01-d-loss-rises", "In stage 2 D's loss rises while G's adversarial loss falls",
                           "D up, G down", f"D's held-out loss {first.test_loss_d:.4f} → {last.test_loss_d:.4f} nats", rises, scale,
                           f"D's held-out loss went {first.test_loss_d:.4f} → {last.test_loss_d:.4f} nats (2 ln 2 = {D_CHANCE:.4f}) "
                           f"and G's adversarial term {fmt_num(first.test_loss_g_adv, digits=4)} → {fmt_num(last.test_loss_g_adv, digits=4)}",
                           gates=[d_gate], section=SECTION, n=len(seeds)))

    for arm, (cid, fix) in REMEDIES.items():
        if arm not in acc:
            continue
        c = compare(acc[arm], acc["baseline"], paired=True)
        out.append(judge_effect(CHAPTER, cid, f"Suggested fix — {fix} — makes G a useful augmentation (beats the baseline)",
                                None, c, scale, gates=[positive], section=SECTION, unit="points"))
    return out
