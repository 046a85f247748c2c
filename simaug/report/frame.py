"""A chapter's claims and gates as tables for its Verdict section."""
from __future__ import annotations

from typing import Sequence

import pandas as pd

from .claims import Claim
from .format import fmt_interval, fmt_num


def claims_frame(claims: Sequence[Claim]) -> pd.DataFrame:
    """One row per claim: the source's value, ours with its interval and n, the status and why."""
    rows = []
    for c in claims:
        ours = c.ours if isinstance(c.ours, str) or c.ours is None else fmt_num(c.ours, c.unit)
        rows.append({"claim": c.claim, "source": c.source_value if isinstance(c.source_value, str) else fmt_num(c.source_value, c.unit)
                     if not isinstance(c.source_value, (list, tuple)) else fmt_interval(c.source_value, c.unit),
                     "ours": ours, f"interval": "" if c.ci is None else f"{fmt_interval(c.ci, c.unit)} ({c.interval})",
                     "n": c.n, "status": c.status, "reason": c.reason})
    return pd.DataFrame(rows, index=pd.Index([c.id for c in claims], name="id")).style.set_properties(
        **{"text-align": "left", "white-space": "normal"})


def gates_frame(claims: Sequence[Claim]) -> pd.DataFrame:
    """Every distinct gate behind the claims, with its measured value and whether it passed."""
    seen = {}
    for c in claims:
        for g in c.gates:
            seen.setdefault(g.name, g)
    return pd.DataFrame([{"gate": g.name, "what it checks": g.description, "measured": g.detail or fmt_num(g.measured, g.unit)
                          if not isinstance(g.measured, str) else g.measured, "needs": g.threshold if isinstance(g.threshold, str)
                          else fmt_num(g.threshold, g.unit), "passed": "yes" if g.passed else "NO"} for g in seen.values()])
