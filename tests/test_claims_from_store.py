"""The committed claims of a chapter rendered from the run store are what its verdict code
computes from the stored runs of its published profile (no training: every run is stored)."""
import json
from pathlib import Path

import pytest

from simaug.report import Claim
from simaug.run import prepare, resolve_notebook
from simaug.runstore import RunStore

RESULTS = Path(__file__).resolve().parents[1] / "results"


def stored_runs(notebook: str):
    prep = prepare(resolve_notebook(notebook), "report", {})
    store = RunStore(RESULTS / "runs")
    missing = [s for s in prep.specs if not store.has(s)]
    if missing:
        pytest.skip(f"{notebook}: {len(missing)} runs of the report design are not in the store yet")
    return prep, [store.load(s) for s in prep.specs]


def committed(notebook: str):
    return json.loads((RESULTS / "claims" / f"{notebook}.json").read_text(encoding="utf-8"))


def test_chapter00_claims_match_the_store():
    from simaug.report.chapters import confusion_rate as verdict
    from simaug.studies import confusion_rate as study

    prep, runs = stored_runs("00_confusion_rate")
    claims = verdict.claims(study.Chapter(runs, prep.config))
    assert [c.to_dict() for c in claims] == committed("00_confusion_rate"), \
        "results/claims/00_confusion_rate.json is stale: python -m simaug run 00 --profile report"
    by_id = {c.id: c for c in claims}
    assert all(g.passed for c in claims for g in c.gates)  # the design's gates, as the page shows them
    assert by_id["00-cr-gain-animal10n"].n == 8 and by_id["00-cr-gain-handb"].n == 8
    assert all(isinstance(Claim.from_dict(d), Claim) for d in committed("00_confusion_rate"))


def test_chapter04_claims_match_the_store():
    from simaug.report.chapters import cifar10_cnn as verdict

    _, runs = stored_runs("04_cifar10_cnn")
    assert [c.to_dict() for c in verdict.claims(runs)] == committed("04_cifar10_cnn")
