"""A chapter's claims and gates as tables for its Verdict section (pandas Stylers: in a
notebook and in the book they render as HTML tables whose cells wrap instead of truncating)."""
from __future__ import annotations

import html
from typing import Sequence

import pandas as pd
from pandas.io.formats.style import Styler

from .claims import Claim
from .format import fmt_interval, fmt_num
from .gates import Gate

_CELLS = {"text-align": "left", "white-space": "normal", "vertical-align": "top"}


def _width(columns: dict) -> dict:
    """``set_table_styles`` entries giving each named column a minimum width in em."""
    return {col: [{"selector": "td", "props": f"min-width: {em}em;"}, {"selector": "th", "props": f"min-width: {em}em;"}]
            for col, em in columns.items()}


def source_text(d: dict) -> str:
    """The source's value of a claim (as a dict), signed for effects: ``+1.68 to +3.38 points``."""
    v, unit = d.get("source_value"), d.get("unit", "")
    sign = d.get("kind") in ("effect", "equivalence")
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        return fmt_interval(v, unit, sign=sign)
    return fmt_num(v, unit, sign=sign)


def ours_text(d: dict) -> str:
    """Our value of a claim (as a dict) with its interval and n: ``−8.11 points, 95% CI −8.78 to −7.45, n=8``."""
    unit = d.get("unit", "")
    sign = d.get("kind") in ("effect", "equivalence")
    ours = d.get("ours")
    text = fmt_num(ours, unit, sign=sign) if not isinstance(ours, str) else ours
    ci = d.get("ci")
    if ci is not None and ci[0] is not None and ci[1] is not None:
        label = "PI" if d.get("interval") == "prediction" else "CI"
        text += f", 95% {label} {fmt_interval(ci, '', sign=sign)}"
    if d.get("n") is not None:
        text += f", n={d['n']}"
    return text


def gate_row(g: Gate) -> dict:
    """One gate as a table row: its name, the value measured (with what it needs), the threshold
    and whether it passed (used by :func:`gates_frame` and the chapters' revision tables)."""
    measured = g.measured if isinstance(g.measured, str) else (g.detail or fmt_num(g.measured, g.unit))
    needs = g.threshold if isinstance(g.threshold, str) else fmt_num(g.threshold, g.unit)
    return {"gate": g.name, "measured": measured, "needs": needs, "passed": "yes" if g.passed else "NO"}


def claims_frame(claims: Sequence[Claim]) -> Styler:
    """One row per claim: the claim (with its id), the source's value, ours with its interval
    and n, the status and why."""
    rows = []
    for c in claims:
        d = c.to_dict()
        rows.append({"claim": f"{html.escape(c.claim)}<br><code>{html.escape(c.id)}</code>",
                     "source": html.escape(source_text(d)), "ours": html.escape(ours_text(d)),
                     "status": f"<b>{html.escape(c.status)}</b>", "reason": html.escape(c.reason)})
    frame = pd.DataFrame(rows, columns=["claim", "source", "ours", "status", "reason"])
    return (frame.style.hide(axis="index").set_properties(**_CELLS)
            .set_table_styles(_width({"claim": 10, "ours": 7, "reason": 15}), overwrite=False))


def gates_frame(claims: Sequence[Claim]) -> Styler:
    """Every distinct gate behind the claims, with what it checks, its measured value and
    whether it passed."""
    seen = {}
    for c in claims:
        for g in c.gates:
            seen.setdefault(g.name, g)
    frame = pd.DataFrame([{**gate_row(g), "what it checks": g.description} for g in seen.values()],
                         columns=["gate", "what it checks", "measured", "needs", "passed"])
    return frame.style.format(escape="html").hide(axis="index").set_properties(**_CELLS).set_table_styles(
        _width({"gate": 10, "what it checks": 14}), overwrite=False)
