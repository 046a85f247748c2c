"""Claim files, their merge into results/claims.json, and the generated ledger page."""
import json

import pytest

from simaug.report import collect_claims, compare, judge_check, judge_effect, read_claims, render_ledger, slugify, toc_pages, write_claims


def _claims(chapter="00_demo"):
    return [
        judge_effect(chapter, f"{chapter[:2]}-b-effect", "CR | beats CE", (1.68, 3.38),
                     compare([41.1, 44.3, 44.9], [48.25, 49.55, 49.2]), "toy, 3 seeds", unit="points", section="Verdict"),
        judge_check(chapter, f"{chapter[:2]}-a-check", "the weight fades", "CR → 0", "6.9%", True, "toy", "It fell to 6.9%."),
    ]


def test_write_and_collect(tmp_path):
    write_claims(_claims("01_b"), tmp_path / "claims" / "01_b.json")
    write_claims(_claims("00_a"), tmp_path / "claims" / "00_a.json")
    merged = collect_claims(tmp_path)
    assert [(d["chapter"], d["id"]) for d in merged] == [("00_a", "00-a-check"), ("00_a", "00-b-effect"),
                                                         ("01_b", "01-a-check"), ("01_b", "01-b-effect")]
    on_disk = json.loads((tmp_path / "claims.json").read_text())
    assert on_disk == merged
    assert read_claims(tmp_path / "claims" / "00_a.json")[1]["status"] == "contradicted"


def test_collect_refuses_duplicates_and_bad_status(tmp_path):
    write_claims(_claims("00_a"), tmp_path / "claims" / "00_a.json")
    write_claims(_claims("00_a"), tmp_path / "claims" / "00_copy.json")
    with pytest.raises(ValueError, match="appears in both"):
        collect_claims(tmp_path)
    bad = _claims("02_c")[0].to_dict() | {"status": "partly reproduced"}
    (tmp_path / "claims" / "00_copy.json").write_text(json.dumps([bad]))
    with pytest.raises(ValueError, match="00_copy.json"):
        collect_claims(tmp_path)
    with pytest.raises(FileNotFoundError, match="claims folder"):
        collect_claims(tmp_path / "nowhere")


def test_slugify_matches_myst():
    myst = pytest.importorskip("myst_parser.mdit_to_docutils.base")
    for title in ["Verdict", "Results next to the paper's", "What the paper reports", "02 · Grad-CAM erasing"]:
        assert slugify(title) == myst.default_slugify(title)


def test_render_ledger_one_row_per_claim(tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "source": ["# 00 · A demo chapter\n", "text"]}], "metadata": {}}
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "00_demo.ipynb").write_text(json.dumps(nb))
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: book/claims\n"
                                       "parts:\n  - chapters:\n      - file: results/00_demo\n")
    pages = toc_pages(tmp_path / "_toc.yml")
    assert pages["00_demo"] == {"path": "results/00_demo.ipynb", "title": "00 · A demo chapter"}
    claims = [c.to_dict() for c in _claims()]
    page = render_ledger(claims, pages)
    rows = [line for line in page.splitlines() if line.startswith("* - **[")]
    assert len(rows) == len(claims)
    assert page.count("*Reason:*") == page.count("*Scale:*") == len(claims)
    assert "{bdg-danger}`contradicted`" in page and "{bdg-success}`reproduced`" in page
    assert "](../results/00_demo.ipynb#verdict)" in page  # section anchor from the claim's section
    assert "](../results/00_demo.ipynb)" in page  # no section: link to the page
    assert "CR | beats CE" in page and "\\*" not in page  # list-table cells need no pipe escaping
    assert "−5.57 points, 95% CI −9.17 to −1.96, n=3" in page
    assert "**2 claims:** 1 reproduced, 1 contradicted, 0 below resolution, 0 uninformative." in page
    assert "## 00 · A demo chapter" in page
    with pytest.raises(ValueError, match="status"):
        render_ledger([claims[0] | {"status": "maybe"}])
