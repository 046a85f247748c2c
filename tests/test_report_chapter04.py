"""Chapter 04's gate and claims on synthetic stored runs (the rules are simaug.report's)."""
import pandas as pd
import pytest
from scipy import stats

from simaug.report.chapters import cifar10_cnn as verdict
from simaug.runstore import RunResult, StoredRun


def runs(test_accs, n_train=50000, epochs=10):
    out = []
    for seed, acc in enumerate(test_accs):
        m = {"train_acc": 0.78, "test_acc": acc, "n_train": n_train, "n_test": 10000, "epochs": epochs, "n_params": 122570}
        out.append(StoredRun(f"k{seed}", {"study": "04_cifar10_cnn", "version": 1, "seed": seed, "model": "simple_cnn"},
                             RunResult(m, pd.DataFrame()), None))
    return out


def test_the_tutorial_value_inside_the_prediction_interval_is_reproduced():
    accs = [0.690, 0.695, 0.700, 0.685, 0.705, 0.692, 0.698, 0.688]
    s = pd.Series(accs)
    half = stats.t.ppf(0.975, len(accs) - 1) * s.std(ddof=1) * (1 + 1 / len(accs)) ** 0.5  # in [0, 1] units
    c = {c.id: c for c in verdict.claims(runs(accs))}
    inside = abs(0.7122 - s.mean()) <= half
    assert c["04-test-accuracy"].status == ("reproduced" if inside else "contradicted")
    assert c["04-test-accuracy"].ci == pytest.approx((100 * (s.mean() - half), 100 * (s.mean() + half)))
    assert c["04-test-accuracy"].unit == "%" and "71.22%" in c["04-test-accuracy"].reason


def test_far_from_the_tutorial_is_contradicted_and_small_scale_is_uninformative():
    c = {c.id: c for c in verdict.claims(runs([0.60, 0.61, 0.605, 0.602]))}
    assert c["04-test-accuracy"].status == "contradicted" and c["04-run-range"].status == "contradicted"
    small = verdict.claims(runs([0.70, 0.71], n_train=10000, epochs=3))
    assert {x.status for x in small} == {"uninformative"} and "tutorial scale" in small[0].reason
