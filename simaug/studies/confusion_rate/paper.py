"""What Lim & Kim (2021) report: Table 3 (test accuracy, %), Table 2 (per-class accuracy of
ResNet18 on Animal-10N, %) and the settings of their runs (single runs, no spread given)."""
from __future__ import annotations

import pandas as pd

MODELS = ("VGG13", "ResNet18", "ResNet34")
# Table 3: data set -> method -> accuracy per model
TABLE3 = {
    "cifar10": {"cross-entropy": (75.14, 70.82, 72.70), "CR": (76.82, 74.20, 74.94)},
    "hangul": {"cross-entropy": (97.86, 98.22, 98.40), "CR": (98.04, 98.44, 98.50)},
}
STAND_IN = {"cifar10": "Animal-10N → noisy CIFAR-10", "hangul": "HanDB → rendered Hangul"}
K = 3.0  # the paper's best k (sweep on VGG13 / Animal-10N; larger k overfits)
TABLE2 = pd.DataFrame({
    "paper class": ["cat", "lynx", "cheetah", "jaguar", "chimpanzee", "orangutan", "coyote", "wolf", "guinea pig", "hamster"],
    "paper cross-entropy": [59.96, 65.98, 76.42, 74.23, 87.74, 90.48, 54.39, 52.48, 65.89, 68.86],
    "paper CR": [65.17, 68.87, 78.98, 75.57, 90.16, 89.77, 63.41, 56.74, 68.84, 74.77],
})
TABLE2["paper CR − cross-entropy"] = (TABLE2["paper CR"] - TABLE2["paper cross-entropy"]).round(2)
IMPROVED_CLASSES = int((TABLE2["paper CR − cross-entropy"] > 0).sum())  # 9 of 10


def gains(dataset: str) -> tuple:
    """CR minus cross-entropy per model, points (Animal-10N +1.68 / +3.38 / +2.24)."""
    t = TABLE3[dataset]
    return tuple(round(c - d, 2) for c, d in zip(t["CR"], t["cross-entropy"]))


def gain_range(dataset: str) -> tuple:
    """``(lowest, highest)`` gain over the three models, points."""
    g = gains(dataset)
    return (min(g), max(g))
