"""Chapter 04's gate and claims: the tutorial's single run read against our prediction interval."""
from __future__ import annotations

from typing import List, Sequence

from ...runstore import StoredRun
from ...studies.cifar10_cnn import NAME, TUTORIAL, finals
from ..gates import Gate
from ..judge import judge_level


def gates(runs: Sequence[StoredRun]) -> List[Gate]:
    """The tutorial's numbers can only be read against runs at its own scale."""
    f = finals(runs)
    full = bool((f.n_train == 50000).all() and (f.n_test == 10000).all() and (f.epochs == TUTORIAL["epochs"]).all())
    return [Gate(name="tutorial scale", description="all 50,000 training images, the full test set, 10 epochs",
                 measured=f"{int(f.n_train.iloc[0]):,} train / {int(f.n_test.iloc[0]):,} test images, {int(f.epochs.iloc[0])} epochs",
                 threshold="50,000 / 10,000 / 10", passed=full)]


def claims(runs: Sequence[StoredRun]) -> list:
    f, g = finals(runs), gates(runs)
    scale = f"{runs[0].spec['model']}, {int(f.n_train.iloc[0]):,} images, {int(f.epochs.iloc[0])} epochs, n={len(f)} seeds"
    pct = lambda v: [100 * x for x in v]  # noqa: E731 - accuracies in % (hundredths of a point in the reasons)
    return [
        judge_level(NAME, "04-test-accuracy", "The tutorial CNN reaches 71.22% test accuracy in its run.",
                    100 * TUTORIAL["test_acc"], pct(f.test_acc), scale, gates=g, section="verdict", unit="%"),
        judge_level(NAME, "04-train-accuracy", "Its running train accuracy in the 10th epoch is 77.63%.",
                    100 * TUTORIAL["train_acc"], pct(f.train_acc), scale, gates=g, section="verdict", unit="%"),
        judge_level(NAME, "04-run-range", "Runs of it vary between 70% and 80% test accuracy.",
                    [70.0, 80.0], pct(f.test_acc), scale, gates=g, section="verdict", unit="%"),
    ]
