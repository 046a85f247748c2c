"""Gates: the checks without which a comparison means nothing.

A study declares its gates before any verdict (the baseline reached its plateau; the positive
control beat its baseline; the generator's samples train a classifier above chance; D's
held-out loss left 2 ln 2). A claim that lists a failed gate is ``uninformative`` whatever its
numbers say (:mod:`simaug.report.claims`). Every gate carries its measured value and threshold so
that the page and the ledger can show them.

Example:
    >>> g = Gate.at_least("generator trains a classifier", 12.7, 20.0, "accuracy (%) on real test images", unit="%")
    >>> g.passed, g.summary()
    (False, 'generator trains a classifier: 12.70% (needs ≥ 20.00%)')
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence, Union

from .compare import Comparison
from .format import fmt_num

__all__ = ["Gate"]

Number = Union[float, int]


@dataclass(frozen=True)
class Gate:
    """One informativeness check.

    Attributes:
        name: short name shown on the page ("positive control: random affine beats the baseline").
        description: what is measured and why the claim needs it.
        measured: the measured value (a number in ``unit``, or a short text).
        threshold: the value it is held against (a number, or a short text such as "CI > 0").
        passed: whether the gate holds. A nan measurement never passes.
        unit: unit of ``measured`` and ``threshold`` ("points", "%", "nats", "").
        detail: optional preformatted measurement (e.g. a difference with its CI) used instead of
            ``measured`` in summaries.
    """

    name: str
    description: str
    measured: Union[Number, str, None]
    threshold: Union[Number, str, None]
    passed: bool
    unit: str = ""
    detail: str = ""

    # ---- constructors -----------------------------------------------------------------
    @classmethod
    def at_least(cls, name: str, measured: Number, threshold: Number, description: str = "", unit: str = "") -> "Gate":
        """Passes when ``measured >= threshold``."""
        m = float(measured)
        return cls(name, description, m, float(threshold), bool(not math.isnan(m) and m >= threshold), unit,
                   f"{fmt_num(m, unit)} (needs ≥ {fmt_num(threshold, unit)})")

    @classmethod
    def at_most(cls, name: str, measured: Number, threshold: Number, description: str = "", unit: str = "") -> "Gate":
        """Passes when ``measured <= threshold``."""
        m = float(measured)
        return cls(name, description, m, float(threshold), bool(not math.isnan(m) and m <= threshold), unit,
                   f"{fmt_num(m, unit)} (needs ≤ {fmt_num(threshold, unit)})")

    @classmethod
    def plateau(cls, name: str, values: Sequence[Number], tol: Number, description: str = "", unit: str = "",
                over: str = "epochs") -> "Gate":
        """Passes when a curve has stopped rising: ``values`` are the last epochs of a metric
        (e.g. the seed mean of the baseline's test accuracy, in points). The measured value is the
        rise across that window by a least-squares line, ``slope · (len(values) - 1)``, which is less
        sensitive to one noisy epoch than last minus first; the gate passes when it is at most ``tol``.
        Fewer than two values give a nan rise, which fails. ``over`` names what the values are
        (``"epochs"``, or ``"evaluations"`` for a metric evaluated every few epochs)."""
        v = [float(x) for x in values]
        k = len(v)
        if k < 2:
            rise = math.nan
        else:
            xm, ym = (k - 1) / 2, sum(v) / k
            slope = sum((i - xm) * (y - ym) for i, y in enumerate(v)) / sum((i - xm) ** 2 for i in range(k))
            rise = slope * (k - 1)
        desc = description or f"rise of the curve over its last {k} {over} (least-squares line)"
        return cls(name, desc, rise, float(tol), bool(not math.isnan(rise) and rise <= tol), unit,
                   f"still rising {fmt_num(rise, unit, sign=True)} over the last {k} {over} (needs ≤ {fmt_num(tol, unit)})"
                   if not (not math.isnan(rise) and rise <= tol) else
                   f"{fmt_num(rise, unit, sign=True)} over the last {k} {over} (needs ≤ {fmt_num(tol, unit)})")

    @classmethod
    def beats(cls, name: str, comparison: Comparison, direction: int = +1, description: str = "", unit: str = "") -> "Gate":
        """Positive control: passes when the comparison's confidence interval lies entirely on the
        ``direction`` side of 0 (+1: ``a`` higher than ``b``; -1: lower). A degenerate comparison fails."""
        if direction not in (1, -1):
            raise ValueError(f"direction must be +1 (higher is better) or -1 (lower is better), got {direction}")
        lo, hi = comparison.ci
        passed = comparison.excludes_zero() == direction
        level = round(100 * (1 - comparison.alpha))
        if comparison.degenerate:
            detail = f"{fmt_num(comparison.diff, unit, sign=True)} with {comparison.note}, so no interval"
        else:
            detail = (f"{fmt_num(comparison.diff, unit, sign=True)} ({level}% CI {fmt_num(lo, unit, sign=True, bare=True)} "
                      f"to {fmt_num(hi, unit, sign=True)}; needs the CI {'above' if direction > 0 else 'below'} 0)")
        return cls(name, description, comparison.diff, "CI above 0" if direction > 0 else "CI below 0", bool(passed), unit, detail)

    # ---- output ---------------------------------------------------------------------------
    def summary(self) -> str:
        """``"name: measured (needs …)"``, the phrase used in reasons and on pages."""
        if self.detail:
            return f"{self.name}: {self.detail}"
        return f"{self.name}: {fmt_num(self.measured, self.unit)} against {fmt_num(self.threshold, self.unit)}"

    def to_dict(self) -> dict:
        def clean(x):
            return None if isinstance(x, float) and math.isnan(x) else x
        return {"name": self.name, "description": self.description, "measured": clean(self.measured),
                "threshold": clean(self.threshold), "passed": self.passed, "unit": self.unit, "detail": self.detail}

    @classmethod
    def from_dict(cls, d: dict) -> "Gate":
        unknown = set(d) - {"name", "description", "measured", "threshold", "passed", "unit", "detail"}
        if unknown:
            raise ValueError(f"unknown gate keys {sorted(unknown)}")
        m = d.get("measured")
        return cls(d["name"], d.get("description", ""), math.nan if m is None else m, d.get("threshold"),
                   bool(d["passed"]), d.get("unit", ""), d.get("detail", ""))


def failed(gates: Sequence[Gate]) -> list[Gate]:
    """The gates that did not pass, in order."""
    for g in gates:
        if not isinstance(g, Gate):
            raise TypeError(f"gates must be Gate objects, got {type(g).__name__}: build them with Gate.at_least / "
                            "at_most / plateau / beats")
    return [g for g in gates if not g.passed]
