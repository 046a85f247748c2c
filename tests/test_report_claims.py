"""Each status rule of simaug.report.judge_*, the gates, and the Claim invariants."""
import json
import math

import numpy as np
import pytest

from simaug.report import STATUSES, Claim, Gate, compare, judge_check, judge_effect, judge_level

CH = "99_test"


def effect(a, b, src, **kw):
    return judge_effect(CH, "x", "method beats baseline", src, compare(a, b), "toy scale", unit="points", **kw)


# ---- gates --------------------------------------------------------------------------------------
def test_gate_thresholds_and_nan():
    assert Gate.at_least("g", 20.0, 20.0).passed and not Gate.at_least("g", 19.99, 20.0).passed
    assert Gate.at_most("g", 1.0, 1.0).passed and not Gate.at_most("g", 1.01, 1.0).passed
    assert not Gate.at_least("g", float("nan"), 0.0).passed and not Gate.at_most("g", float("nan"), 0.0).passed


def test_plateau_gate_measures_the_fitted_rise():
    rising = Gate.plateau("p", [60.0, 61.0, 62.0], tol=1.0)
    assert rising.measured == pytest.approx(2.0) and not rising.passed
    values = [61.0, 60.5, 62.0, 61.2]
    slope = np.polyfit(np.arange(4), values, 1)[0]  # independent least-squares fit: 0.21 per epoch
    noisy = Gate.plateau("p", values, tol=1.0)
    assert noisy.measured == pytest.approx(3 * slope) == pytest.approx(0.63) and noisy.passed
    assert not Gate.plateau("p", values, tol=0.5).passed
    assert Gate.plateau("p", [64.0, 63.0, 62.0], tol=1.0).passed  # falling is a plateau (or worse), not a rise
    assert not Gate.plateau("p", [1.0], tol=1.0).passed


def test_beats_gate_needs_the_whole_interval():
    assert Gate.beats("pc", compare([2.0, 2.1, 1.9], [1.0, 1.05, 0.9]), +1).passed
    assert not Gate.beats("pc", compare([2.0, 0.1, 1.9], [1.0, 1.05, 0.9]), +1).passed
    assert Gate.beats("pc", compare([1.0, 1.05, 0.9], [2.0, 2.1, 1.9]), -1).passed
    assert not Gate.beats("pc", compare([2.0], [1.0]), +1).passed  # no interval, no pass
    g = Gate.beats("pc", compare([2.0, 2.1, 1.9], [1.0, 1.05, 0.9]), +1)
    assert Gate.from_dict(json.loads(json.dumps(g.to_dict()))) == g


# ---- effect claims ----------------------------------------------------------------------------
def test_effect_reproduced_when_ci_excludes_zero_on_the_claimed_side():
    c = effect([2.0, 2.2, 1.9], [1.0, 1.1, 1.0], 1.5)
    assert c.status == "reproduced" and "+1.00" in c.reason and "+1.50" in c.reason
    lower = judge_effect(CH, "y", "lower error", -0.35, compare([6.0, 6.1, 6.05], [7.0, 7.2, 7.1]), "s", direction=-1)
    assert lower.status == "reproduced"


def test_effect_reproduced_says_when_its_size_differs_from_the_source():
    # diff 1.0 with CI ≈ (0.66, 1.34): the sign is the source's; its size is beyond 0.2, short of 1.5, inside (0.5, 2)
    a, b = [2.0, 2.2, 1.9], [1.0, 1.1, 1.0]
    assert "larger effect here" in effect(a, b, (0.1, 0.2)).reason
    assert "smaller effect here" in effect(a, b, 1.5).reason and effect(a, b, 1.5).status == "reproduced"
    assert "size differs" not in effect(a, b, (0.5, 2.0)).reason
    lower = judge_effect(CH, "y", "lower error", -0.1, compare([6.0, 6.1, 6.05], [7.0, 7.2, 7.1]), "s", direction=-1)
    assert lower.status == "reproduced" and "larger effect here" in lower.reason  # −1.05 is beyond −0.1


def test_effect_contradicted_by_the_opposite_sign():
    c = effect([41.1, 44.3, 44.9], [48.25, 49.55, 49.2], (1.68, 3.38))  # chapter 00's CIFAR-10 numbers
    assert c.status == "contradicted" and "opposite sign" in c.reason
    assert c.ci == pytest.approx((-9.1715, -1.9618), abs=1e-4)


def test_effect_contradicted_when_the_claimed_size_is_ruled_out():
    c = effect([1.0, 1.3, 0.8], [1.0, 1.0, 1.0], 3.0)  # CI ≈ (−0.48, +0.88) contains 0, excludes 3
    assert c.status == "contradicted" and "rules out" in c.reason
    assert effect([1.0, 1.3, 0.8], [1.0, 1.0, 1.0], (0.5, 5.0)).status == "below_resolution"  # the range overlaps


def test_effect_below_resolution_names_the_resolution():
    c = effect([1.0, 3.0, 0.0], [1.0, 1.0, 1.0], 0.5)
    assert c.status == "below_resolution" and "resolves about" in c.reason
    assert c.resolution == pytest.approx(5.6535 * math.sqrt(7 / 3) / math.sqrt(3), rel=1e-3)  # 5.65 · se, n = 3


def test_sign_only_source():
    assert effect([1.0, 1.2, 1.1], [0.0, 0.1, 0.0], None).status == "reproduced"
    assert effect([0.0, 0.1, 0.0], [1.0, 1.2, 1.1], None).status == "contradicted"
    assert effect([0.0, 1.2, 0.0], [1.0, 0.1, 0.0], None).status == "below_resolution"


def test_one_seed_is_below_resolution():
    c = effect([2.0], [1.0], 1.0)
    assert c.status == "below_resolution" and "n=1" in c.reason and c.ci is None and c.resolution is None


def test_no_difference_claim_with_margin():
    assert effect([1.0, 1.1, 0.9], [1.0, 1.0, 1.0], 0.24, margin=1.0).status == "reproduced"
    c = effect([3.0, 3.2, 3.1], [1.0, 1.0, 1.0], 0.24, margin=1.0)
    assert c.status == "contradicted" and c.kind == "equivalence"
    assert effect([1.0, 3.0, 0.0], [1.0, 1.0, 1.0], 0.24, margin=1.0).status == "below_resolution"


def test_failed_gate_makes_any_effect_uninformative():
    gate = Gate.at_least("generator trains a classifier", 12.73, 20.0, unit="%")
    c = effect([2.0, 2.2, 1.9], [1.0, 1.1, 1.0], 1.5, gates=[gate, Gate.at_least("fine", 1, 0)])
    assert c.status == "uninformative"
    assert "generator trains a classifier" in c.reason and "12.73%" in c.reason and "fine" not in c.reason


def test_sign_of_source_must_match_direction():
    with pytest.raises(ValueError, match="direction"):
        effect([2.0, 2.2, 1.9], [1.0, 1.1, 1.0], -1.5)


# ---- level and check claims --------------------------------------------------------------------
def test_level_claims_use_the_prediction_interval():
    ok = judge_level(CH, "l", "about 71%", 71.22, [68.84, 69.59, 68.75], "tutorial scale", unit="%")
    assert ok.status == "reproduced" and ok.interval == "prediction" and ok.ours == pytest.approx(69.06, abs=0.01)
    far = judge_level(CH, "l", "about 80%", 80.0, [68.84, 69.59, 68.75], "s", unit="%")
    assert far.status == "contradicted" and "outside" in far.reason
    assert judge_level(CH, "l", "x", 71.22, [69.0], "s").status == "below_resolution"
    assert judge_level(CH, "l", "x", 71.22, [69.0, 70.0], "s", gates=[Gate.at_most("g", 2, 1)]).status == "uninformative"


def test_level_claims_with_a_source_range_are_judged_and_worded_by_overlap():
    # PI of [69.0, 69.5, 70.1]: mean 69.53, s 0.55, t_2 4.303 * sqrt(4/3) -> about 66.8 to 72.3
    near = judge_level(CH, "l", "runs vary between 70% and 80%", [70.0, 80.0], [69.0, 69.5, 70.1], "s", unit="%")
    assert near.status == "reproduced" and "overlaps the 95% prediction interval" in near.reason
    apart = judge_level(CH, "l", "runs vary between 75% and 80%", [75.0, 80.0], [69.0, 69.5, 70.1], "s", unit="%")
    assert apart.status == "contradicted" and "does not overlap" in apart.reason
    assert "inside" not in near.reason and "outside" not in apart.reason


def test_checks():
    assert judge_check(CH, "c", "x", None, 1.0, True, "s", "It held at 1.0.").status == "reproduced"
    assert judge_check(CH, "c", "x", None, 1.0, False, "s", "It failed at 1.0").status == "contradicted"
    assert judge_check(CH, "c", "x", None, 1.0, None, "s", "One seed.").status == "below_resolution"
    c = judge_check(CH, "c", "x", None, 1.0, True, "s", "It held at 1.0.", gates=[Gate.at_least("D learned", 0.0005, 0.05)])
    assert c.status == "uninformative" and "D learned" in c.reason and "It held at 1.0" in c.reason
    with pytest.raises(ValueError, match="reason"):
        judge_check(CH, "c", "x", None, 1.0, True, "s", " ")


# ---- the Claim record ---------------------------------------------------------------------------
def test_claim_invariants():
    bad_gate = Gate.at_least("g", 0.0, 1.0)
    with pytest.raises(ValueError, match="uninformative"):
        Claim(CH, "x", "c", None, 1.0, None, 3, "s", "reproduced", "r", gates=(bad_gate,))
    with pytest.raises(ValueError, match="status"):
        Claim(CH, "x", "c", None, 1.0, None, 3, "s", "partly reproduced", "r")
    assert STATUSES == ("reproduced", "contradicted", "below_resolution", "uninformative")


def test_to_dict_is_strict_json_and_round_trips():
    c = effect([2.0], [1.0], (0.5, 2.0), gates=[Gate.plateau("p", [1.0, 3.0], 1.0)])
    d = c.to_dict()
    text = json.dumps(d, allow_nan=False)  # no NaN anywhere
    assert {"chapter", "id", "claim", "source_value", "ours", "ci", "n", "scale", "status", "reason"} <= set(d)
    assert Claim.from_dict(json.loads(text)).to_dict() == d
    with pytest.raises(ValueError, match="unknown"):
        Claim.from_dict({**d, "colour": "red"})
