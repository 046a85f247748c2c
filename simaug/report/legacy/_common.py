"""Readers shared by the legacy chapters: committed histories and provenance.

Every number the legacy claims use is read here from ``results/<profile>/<notebook>/…`` (the
``history.csv`` of each run, the chapter's CSV tables and ``provenance.json``).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from ..gates import Gate

#: epochs over which the baseline's test accuracy must have stopped rising, and by how much at most
PLATEAU_WINDOW = 3
PLATEAU_TOL = 1.0  # accuracy points over the window (least-squares line through the seed means)
SECTION = "Verdict"  # heading of the chapter section that states the verdicts


def history(folder: Path) -> pd.DataFrame:
    """The ``history.csv`` of one run folder (one row per epoch)."""
    f = Path(folder) / "history.csv"
    if not f.is_file():
        raise FileNotFoundError(f"no history at {f}: the chapter's committed results are incomplete "
                                "(re-run the notebook with python -m simaug run, or restore results/ from git)")
    return pd.read_csv(f)


def provenance(folder: Path) -> dict:
    f = Path(folder) / "provenance.json"
    if not f.is_file():
        raise FileNotFoundError(f"no provenance record at {f}")
    return json.loads(f.read_text(encoding="utf-8"))


def final(histories: Iterable[pd.DataFrame], column: str = "test_acc", scale: float = 100.0) -> list[float]:
    """Last-epoch value of ``column`` per run, times ``scale`` (accuracy → points)."""
    return [scale * float(h[column].iloc[-1]) for h in histories]


def tail_mean(histories: Sequence[pd.DataFrame], column: str = "test_acc", window: int = PLATEAU_WINDOW,
              scale: float = 100.0) -> list[float]:
    """Seed mean of ``column`` over the last ``window`` epochs (oldest first), times ``scale``."""
    frame = pd.concat([h[["epoch", column]] for h in histories])
    curve = frame.groupby("epoch")[column].mean().sort_index()
    return [scale * float(v) for v in curve.iloc[-window:]]


def plateau_gate(histories: Sequence[pd.DataFrame], what: str, column: str = "test_acc") -> Gate:
    """The baseline reached its plateau: its seed-mean test accuracy rose by at most
    :data:`PLATEAU_TOL` points over the last :data:`PLATEAU_WINDOW` epochs."""
    values = tail_mean(histories, column)
    return Gate.plateau(f"{what} at its plateau", values, PLATEAU_TOL, unit="points",
                        description=f"the {what}'s seed-mean test accuracy must have stopped rising (at most "
                                    f"{PLATEAU_TOL:g} point over its last {len(values)} epochs, least-squares line): a comparison "
                                    "of unfinished runs measures how fast each arm learns, not where it ends")

