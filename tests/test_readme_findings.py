"""The README's findings agree with the claims ledger (results/claims.json).

The README summarises each chapter's verdicts in prose, written by hand; the ledger is computed
by `simaug.report` from the run store. A re-render that changes a status or an interval must
change the README too, so these checks fail when the two drift apart.
"""
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STATUSES = ("reproduced", "contradicted", "below_resolution", "uninformative")
NUMBER = r"([+−-]?\d+(?:\.\d+)?)"


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


def findings_bullets(readme: str) -> dict[str, str]:
    """Chapter number ('00'...) → the text of its bullet under '## What the book found'."""
    if "## What the book found" not in readme:
        raise ValueError("the README has no '## What the book found' section")
    section = readme.split("## What the book found", 1)[1].split("\n## ", 1)[0]
    bullets = {}
    for block in re.split(r"\n(?=- \*\*)", section):
        match = re.match(r"- \*\*(\d\d)\b", block)
        if match:
            bullets[match[1]] = block
    return bullets


def statuses_named(text: str) -> set[str]:
    return {s for s in STATUSES if f"`{s}`" in text}


def intervals_named(text: str) -> list[tuple[float, float]]:
    return [(_number(a), _number(b)) for a, b in re.findall(rf"CI\s+{NUMBER}\s+to\s+{NUMBER}", text)]


def ledger_intervals(claims: list[dict]) -> set[tuple[float, float]]:
    """Every confidence interval the ledger reports: the claims' own and those in their gates' details."""
    found = set()
    for claim in claims:
        if claim.get("ci"):
            found.add((round(claim["ci"][0], 2), round(claim["ci"][1], 2)))
        for gate in claim.get("gates") or []:
            found.update(intervals_named(gate.get("detail", "")))
    return found


@pytest.fixture(scope="module")
def ledger():
    claims = json.loads((ROOT / "results" / "claims.json").read_text())
    by_chapter = defaultdict(list)
    for claim in claims:
        by_chapter[claim["chapter"][:2]].append(claim)
    return by_chapter


@pytest.fixture(scope="module")
def bullets():
    return findings_bullets((ROOT / "README.md").read_text())


def test_every_chapter_of_the_ledger_has_a_bullet(ledger, bullets):
    assert sorted(bullets) == sorted(ledger)


def test_each_bullet_names_exactly_its_chapters_statuses(ledger, bullets):
    for chapter, claims in ledger.items():
        assert statuses_named(bullets.get(chapter, "")) == {c["status"] for c in claims}, (
            f"README bullet {chapter} names statuses {sorted(statuses_named(bullets.get(chapter, '')))}, "
            f"the ledger has {sorted({c['status'] for c in claims})}: update the README's findings")


def test_every_interval_in_the_findings_is_in_the_ledger(ledger, bullets):
    for chapter, text in bullets.items():
        known = ledger_intervals(ledger[chapter])
        for interval in intervals_named(text):
            assert interval in known, f"README bullet {chapter} quotes CI {interval}, which chapter {chapter}'s ledger does not hold"


def test_the_parsers_on_a_made_up_readme():
    readme = ("# x\n## What the book found (and at which scale)\nIntro `reproduced`.\n\n"
              "- **00, a** gains (95% CI +1.04 to\n  +2.08: `reproduced`), and `below_resolution`.\n"
              "- **04, b** loses (CI −1.41 to −0.26, `contradicted`).\n\n## Benchmarks\n- **05, not a finding** `uninformative`\n")
    found = findings_bullets(readme)
    assert sorted(found) == ["00", "04"]
    assert statuses_named(found["00"]) == {"reproduced", "below_resolution"}
    assert intervals_named(found["00"]) == [(1.04, 2.08)]
    assert intervals_named(found["04"]) == [(-1.41, -0.26)]
    with pytest.raises(ValueError, match="What the book found"):
        findings_bullets("# no findings here\n")
