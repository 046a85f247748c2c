"""Summaries for the book: mean ± spread over seeds, side-by-side tables, the old verdict wording.

Spread is the sample standard deviation over seeds (n - 1 in the denominator) with the
min–max range beside it; with one seed there is no spread and the tables say so.

``welch_t`` and ``difference_verdict`` are the pre-ledger rule (|Welch t| > 2) kept only for the
notebooks that still import them; new verdicts go through :func:`simaug.report.compare` and the
``judge_*`` functions, which use the t interval with the right degrees of freedom.
"""
from __future__ import annotations

import math
from typing import Iterable, Optional, Sequence

import pandas as pd


def mean_std(values: Iterable[float]) -> tuple[float, float, int]:
    v = [float(x) for x in values]
    n = len(v)
    if n == 0:
        raise ValueError("no values to summarise")
    m = sum(v) / n
    s = math.sqrt(sum((x - m) ** 2 for x in v) / (n - 1)) if n > 1 else float("nan")
    return m, s, n


def fmt_mean_std(values: Iterable[float], scale: float = 100.0, digits: int = 2) -> str:
    """``"71.03 ± 0.45 (n=3)"``; ``"71.03 (n=1, no spread)"`` for a single run."""
    m, s, n = mean_std(values)
    if n == 1:
        return f"{m * scale:.{digits}f} (n=1, no spread)"
    return f"{m * scale:.{digits}f} ± {s * scale:.{digits}f} (n={n})"


def summarize(df: pd.DataFrame, by: Sequence[str] | str, value: str) -> pd.DataFrame:
    """Mean, std, min, max and n of ``value`` per group."""
    g = df.groupby(list([by] if isinstance(by, str) else by))[value]
    out = g.agg(["mean", "std", "min", "max", "count"]).rename(columns={"count": "n"})
    return out


def welch_t(a: Sequence[float], b: Sequence[float]) -> Optional[float]:
    """Welch's t statistic of mean(a) - mean(b); None when either side has < 2 runs."""
    ma, sa, na = mean_std(a)
    mb, sb, nb = mean_std(b)
    if na < 2 or nb < 2:
        return None
    se = math.sqrt(sa**2 / na + sb**2 / nb)
    return (ma - mb) / se if se > 0 else float("inf") * (1 if ma > mb else -1)


def difference_verdict(ours: Sequence[float], baseline: Sequence[float], higher_is_better: bool = True,
                       name: str = "method", baseline_name: str = "baseline", scale: float = 100.0) -> str:
    """Plain-language comparison of two sets of runs: the difference in points, and whether
    it exceeds the run-to-run noise (|Welch t| > 2) or not."""
    d = (mean_std(ours)[0] - mean_std(baseline)[0]) * scale
    better = d > 0 if higher_is_better else d < 0
    t = welch_t(ours, baseline)
    if t is None:
        noise = "with a single run per arm the difference cannot be told apart from seed noise"
    elif abs(t) > 2:
        noise = f"larger than the seed-to-seed spread (Welch t = {t:.1f})"
    else:
        noise = f"within the seed-to-seed spread (Welch t = {t:.1f}), so not a resolved difference"
    if round(abs(d), 2) == 0:
        return f"{name} and {baseline_name} are equal to within 0.01 points, {noise}."
    word = "better" if better else "worse"
    return f"{name} is {abs(d):.2f} points {word} than {baseline_name}, {noise}."
