"""The Verdict tables: every claim and gate in full (no truncation), HTML-escaped, formatted as in the ledger."""
from simaug.report import Gate, claims_frame, compare, gates_frame, judge_effect


def _claims():
    gate = Gate.at_least("baseline fits < the training set & more", 93.5, 85.0, unit="%",
                         description="seed-mean running training accuracy of the last epoch " * 3)
    return [judge_effect("99_t", "99-x", "CR <beats> cross-entropy by 1.7 to 3.4 points.", (1.68, 3.38),
                         compare([41.1, 44.3, 44.9], [48.25, 49.55, 49.2]), "toy scale", gates=[gate], unit="points")]


def test_claims_frame_shows_everything_escaped():
    claims = _claims()
    html = claims_frame(claims).to_html()
    c = claims[0]
    assert "CR &lt;beats&gt; cross-entropy" in html and "<beats>" not in html
    assert "<code>99-x</code>" in html and f"<b>{c.status}</b>" in html
    assert "+1.68 to +3.38 points" in html  # the source's effect, signed as in the ledger
    assert "−5.57 points, 95% CI −9.17 to −1.96, n=3" in html  # 130.3 / 3 − 147.0 / 3 = −5.567
    assert c.reason.replace("'", "&#x27;") in html  # the whole reason, not cut at a column width


def test_gates_frame_shows_every_gate_in_full():
    claims = _claims()
    html = gates_frame(claims + claims).to_html()  # a gate shared by claims appears once
    g = claims[0].gates[0]
    assert html.count("baseline fits &lt; the training set &amp; more") == 1
    assert g.description.strip() in html and ">yes<" in html
