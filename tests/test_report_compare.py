"""simaug.report.compare against hand computations, scipy's t tests and a coverage simulation."""
import math

import numpy as np
import pytest
from scipy import stats

from simaug.report import compare

T975_DF3 = 3.182446305284263  # Student t quantile, 0.975, 3 df (printed tables: 3.182)


def test_paired_by_hand():
    a, b = [1.0, 2.0, 3.0, 5.0], [0.0, 2.0, 1.0, 2.0]
    # d = [1, 0, 2, 3]: mean 1.5, SD sqrt(5/3), se SD/2, t = 1.5 / se, df 3
    sd = math.sqrt(5 / 3)
    se = sd / 2
    c = compare(a, b, paired=True)
    assert c.diff == pytest.approx(1.5)
    assert c.sd == pytest.approx(sd)
    assert c.se == pytest.approx(se)
    assert c.df == 3 and c.n == 4 and c.paired
    assert c.t == pytest.approx(1.5 / se)
    assert c.ci == pytest.approx((1.5 - T975_DF3 * se, 1.5 + T975_DF3 * se))
    ref = stats.ttest_rel(a, b)  # independent implementation
    assert c.t == pytest.approx(ref.statistic) and c.p == pytest.approx(ref.pvalue)
    assert c.ci == pytest.approx(tuple(ref.confidence_interval(0.95)))


def test_welch_by_hand():
    a, b = [10.0, 12.0, 14.0], [5.0, 6.0, 7.0, 8.0]
    ua, ub = 4.0 / 3, (5 / 3) / 4  # s²/n per arm: variances 4 and 5/3
    se = math.sqrt(ua + ub)
    df = (ua + ub) ** 2 / (ua ** 2 / 2 + ub ** 2 / 3)  # Welch–Satterthwaite
    assert df == pytest.approx(3.2347, abs=1e-4)
    c = compare(a, b, paired=False)
    assert c.diff == pytest.approx(5.5) and c.df == pytest.approx(df) and c.se == pytest.approx(se)
    assert c.n == 3 and (c.n_a, c.n_b) == (3, 4)
    assert c.sd == pytest.approx(math.sqrt((4 + 5 / 3) / 2))  # per-arm SD, root mean square
    half = stats.t.ppf(0.975, df) * se
    assert c.ci == pytest.approx((5.5 - half, 5.5 + half))
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert c.t == pytest.approx(ref.statistic) and c.p == pytest.approx(ref.pvalue)
    assert c.ci == pytest.approx(tuple(ref.confidence_interval(0.95)))


def test_antisymmetric_and_alpha_widens():
    a, b = [0.51, 0.50, 0.53], [0.49, 0.50, 0.50]
    for paired in (True, False):
        ab, ba = compare(a, b, paired=paired), compare(b, a, paired=paired)
        assert ab.diff == pytest.approx(-ba.diff)
        assert ab.ci == pytest.approx((-ba.ci[1], -ba.ci[0]))
        assert ab.p == pytest.approx(ba.p)
        narrow = compare(a, b, paired=paired, alpha=0.2).ci
        assert narrow[0] > ab.ci[0] and narrow[1] < ab.ci[1]


def test_pairing_removes_the_shared_seed_effect():
    seed_effect = np.array([0.0, 5.0, -4.0, 2.0])
    a, b = 70 + seed_effect + [0.5, 0.6, 0.4, 0.5], 70 + seed_effect
    paired, unpaired = compare(a, b, paired=True), compare(a, b, paired=False)
    assert paired.diff == pytest.approx(unpaired.diff)
    assert paired.excludes_zero() == 1 and unpaired.excludes_zero() == 0


@pytest.mark.parametrize("paired", [True, False])
def test_degenerate_designs_do_not_crash(paired):
    one = compare([0.5], [0.4], paired=paired)
    assert one.note == "n < 2" and one.degenerate and one.n == 1
    assert math.isnan(one.ci[0]) and math.isnan(one.ci[1]) and math.isnan(one.p) and math.isnan(one.t)
    assert one.diff == pytest.approx(0.1) and one.excludes_zero() == 0
    flat = compare([0.5, 0.5, 0.5], [0.4, 0.4, 0.4], paired=paired)
    assert flat.note == "zero spread" and math.isnan(flat.ci[0])


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="paired=False"):
        compare([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="empty"):
        compare([], [1.0])
    with pytest.raises(ValueError, match="NaN"):
        compare([1.0, float("nan")], [1.0, 2.0])
    with pytest.raises(ValueError, match="alpha"):
        compare([1, 2], [1, 2], alpha=1.5)


def test_paired_interval_covers_the_truth_95_percent():
    rng = np.random.default_rng(0)
    sims, hits = 1500, 0
    for x in rng.normal(0.3, 1.0, size=(sims, 3)):  # 3 paired differences, true mean 0.3
        lo, hi = compare(x, np.zeros(3)).ci
        hits += lo <= 0.3 <= hi
    assert abs(hits / sims - 0.95) < 0.02  # binomial SE at 1500 draws: 0.0056
