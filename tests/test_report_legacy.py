"""Chapter 02's claims, computed from its committed histories, carry the corrected readings
of issue 11, and the committed claim files are what the code computes."""
import doctest
import importlib
import json
from pathlib import Path

import pytest

from simaug.report import STATUSES, Claim
from simaug.report.legacy import CHAPTERS, claims_of

RESULTS = Path(__file__).resolve().parents[1] / "results"


@pytest.fixture(scope="module")
def claims():
    return {ch: {c.id: c for c in claims_of(ch, RESULTS)} for ch in CHAPTERS}


def test_every_claim_is_well_formed(claims):
    all_claims = [c for chapter in claims.values() for c in chapter.values()]
    assert len(all_claims) >= 4
    for c in all_claims:
        assert c.status in STATUSES and c.reason.strip() and c.scale.strip()
        json.dumps(c.to_dict(), allow_nan=False)
        if any(not g.passed for g in c.gates):
            assert c.status == "uninformative" and any(g.name in c.reason for g in c.gates if not g.passed)


def test_committed_claim_files_match_the_code(claims):
    for ch, by_id in claims.items():
        f = RESULTS / "claims" / f"{ch}.json"
        committed = json.loads(f.read_text(encoding="utf-8"))
        assert committed == sorted((c.to_dict() for c in by_id.values()), key=lambda d: d["id"]), \
            f"{f} is stale: run python -m simaug.report.legacy && python -m simaug.report ledger"
        assert [Claim.from_dict(d).id for d in committed] == sorted(by_id)


@pytest.mark.parametrize("module", ["compare", "resolution", "format", "gates", "claims", "judge", "store", "ledger", "scrub"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(f"simaug.report.{module}"))
    assert result.failed == 0 and result.attempted > 0
