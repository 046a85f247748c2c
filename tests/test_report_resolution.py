"""resolution() against the normal closed form and a Monte-Carlo power estimate; prediction_interval by hand."""
import math

import numpy as np
import pytest
from scipy import stats

from simaug.report import power, prediction_interval, resolution

Z975, Z80 = 1.959963984540054, 0.8416212335729143


def test_large_n_matches_the_normal_form():
    assert resolution(1.0, 4000) == pytest.approx((Z975 + Z80) / math.sqrt(4000), rel=2e-3)
    assert resolution(2.0, 4000, paired=False) == pytest.approx((Z975 + Z80) * 2.0 * math.sqrt(2 / 4000), rel=2e-3)


def test_linear_in_spread_and_power_is_met():
    r = resolution(1.0, 5)
    assert resolution(3.0, 5) == pytest.approx(3 * r)
    assert power(r, 1.0, 5) == pytest.approx(0.8, abs=1e-8)
    assert power(0.5 * r, 1.0, 5) < 0.8 < power(1.5 * r, 1.0, 5)
    assert resolution(1.0, 5, power=0.9) > r > resolution(1.0, 5, power=0.5)
    assert resolution(1.0, 3) > resolution(1.0, 5) > resolution(1.0, 20)  # more seeds resolve less


@pytest.mark.parametrize("n", [3, 4])
def test_paired_power_by_monte_carlo(n):
    delta = resolution(1.0, n)
    rng = np.random.default_rng(n)
    d = rng.normal(delta, 1.0, size=(40000, n))
    t = d.mean(1) / (d.std(1, ddof=1) / math.sqrt(n))
    rate = float((np.abs(t) > stats.t.ppf(0.975, n - 1)).mean())
    assert abs(rate - 0.8) < 0.01  # binomial SE 0.002


def test_unpaired_power_by_monte_carlo():
    # per-arm SD 1, n per arm; Student's two-sample t (2n - 2 df), the design resolution() assumes
    n, delta = 3, resolution(1.0, 3, paired=False)
    rng = np.random.default_rng(7)
    a, b = rng.normal(delta, 1.0, size=(40000, n)), rng.normal(0.0, 1.0, size=(40000, n))
    p = stats.ttest_ind(a, b, axis=1, equal_var=True).pvalue
    assert abs(float((p < 0.05).mean()) - 0.8) < 0.01


def test_edge_cases():
    assert resolution(1.0, 1) == math.inf
    assert resolution(0.0, 3) == 0.0
    assert math.isnan(resolution(float("nan"), 3))
    for bad in (dict(power=1.0), dict(power=0.01), dict(alpha=0.0)):
        with pytest.raises(ValueError):
            resolution(1.0, 3, **bad)
    with pytest.raises(ValueError, match="negative"):
        resolution(-1.0, 3)


def test_prediction_interval_by_hand():
    v = [68.84, 69.59, 68.75]  # chapter 04's three seeds (%), the tutorial's single run was 71.22
    m, s = sum(v) / 3, float(np.std(v, ddof=1))
    half = 4.302652729911275 * s * math.sqrt(1 + 1 / 3)  # t_{0.975, 2}
    lo, hi = prediction_interval(v)
    assert (lo, hi) == pytest.approx((m - half, m + half))
    assert lo < 71.22 < hi
    assert all(math.isnan(x) for x in prediction_interval([1.0]))


def test_prediction_interval_covers_a_new_run():
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, size=(20000, 4))
    new = rng.normal(0, 1, size=20000)
    half = stats.t.ppf(0.975, 3) * x.std(1, ddof=1) * math.sqrt(1 + 1 / 4)
    lo, hi = prediction_interval(x[0])  # the function, checked on one draw against the vectorised formula
    assert (lo, hi) == pytest.approx((x[0].mean() - half[0], x[0].mean() + half[0]))
    assert abs(float((np.abs(new - x.mean(1)) <= half).mean()) - 0.95) < 0.01
