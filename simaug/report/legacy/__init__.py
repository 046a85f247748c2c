"""Claims of chapter 02 computed from its committed ``report`` histories.

Until a chapter is re-run at an informative scale, its ledger rows come from the results
already in ``results/report/<notebook>/``, through the same :func:`simaug.report.compare`, gates
and ``judge_*`` calls a chapter uses (no re-training). Each module here (now only ``nb02``) exposes
``claims(folder) -> list[Claim]``; ``python -m simaug.report.legacy`` writes
``results/claims/<notebook>.json`` for each. Chapters 00, 01, 03 and 04 write their own claims through
their studies (a chapter leaves this module when its evidence campaign is in the store).
"""
from __future__ import annotations

from pathlib import Path
from typing import Union

from ..store import write_claims
from . import nb02

#: notebook stem → (module, profile folder its committed run lives in)
CHAPTERS = {m.CHAPTER: (m, "report") for m in (nb02,)}

__all__ = ["CHAPTERS", "claims_of", "write_all", "nb02"]


def claims_of(chapter: str, results: Union[str, Path] = "results") -> list:
    """The claims of one legacy chapter, from ``<results>/<profile>/<chapter>/``."""
    if chapter not in CHAPTERS:
        raise KeyError(f"{chapter!r} is not a legacy chapter; choose from {sorted(CHAPTERS)}")
    module, profile = CHAPTERS[chapter]
    return module.claims(Path(results) / profile / chapter)


def write_all(results: Union[str, Path] = "results") -> dict[str, Path]:
    """Write ``<results>/claims/<chapter>.json`` for every legacy chapter; returns chapter → file."""
    written = {}
    for chapter in CHAPTERS:
        path = Path(results) / "claims" / f"{chapter}.json"
        write_claims(claims_of(chapter, results), path)
        written[chapter] = path
    return written
