"""Number formatting shared by gates, claims and the ledger (one rule, so pages agree).

``fmt_num(x, unit)``: 1 decimal at 100 and above, 2 decimals from 0.1, 3 decimals from 0.01,
two significant digits below (accuracy-like units, "points" and "%", always get 2 decimals);
a typographic minus; the unit appended ("%" without a space, words with one). nan and None
print as "n/a".

Example:
    >>> fmt_num(-5.5667, "points", sign=True), fmt_num(0.05, "points"), fmt_num(12.73, "%"), fmt_num(0.00031, "nats")
    ('−5.57 points', '0.05 points', '12.73%', '0.00031 nats')
"""
from __future__ import annotations

import math
from typing import Optional, Union

__all__ = ["fmt_num", "fmt_interval"]


def fmt_num(x: Union[float, int, str, None], unit: str = "", sign: bool = False, bare: bool = False,
            digits: Optional[int] = None) -> str:
    """Format one number for prose (see the module docstring). Strings pass through unchanged.

    Args:
        sign: print "+" for positive values (differences).
        bare: leave the unit off (the first bound of an interval).
        digits: fixed number of decimals instead of the automatic rule.
    """
    if isinstance(x, str):
        return x
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    x = float(x)
    if math.isinf(x):
        body = "∞" if x > 0 else "−∞"
    else:
        a = abs(x)
        if digits is None and unit in ("points", "%") and round(a, 2) > 0:
            digits = 1 if round(a, 1) >= 100 else 2  # accuracy-like units: hundredths of a point
        if digits is not None:
            body = f"{a:.{digits}f}"
        elif a == 0:
            body = "0"
        elif round(a, 1) >= 100:
            body = f"{a:.1f}"
        elif round(a, 2) >= 0.1:
            body = f"{a:.2f}"
        elif round(a, 3) >= 0.01:
            body = f"{a:.3f}"
        else:
            body = f"{a:.2g}"
        if x < 0:
            body = "−" + body
        elif sign and x > 0:
            body = "+" + body
    if bare or not unit:
        return body
    return body + unit if unit == "%" else f"{body} {unit}"


def fmt_interval(ci, unit: str = "", sign: bool = False) -> str:
    """``"−9.17 to −1.96 points"``; "no interval" when undefined."""
    if ci is None:
        return "no interval"
    lo, hi = ci
    if lo is None or hi is None or (isinstance(lo, float) and math.isnan(lo)):
        return "no interval"
    return f"{fmt_num(lo, unit, sign=sign, bare=True)} to {fmt_num(hi, unit, sign=sign)}"
