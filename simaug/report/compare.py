"""Difference of two sets of runs with its t confidence interval.

``compare(a, b)`` is the one comparison every chapter uses. ``a`` and ``b`` hold one value per
seed (an accuracy, an error, an ECE, in whatever unit the caller displays).

* **Paired** (the default): the arms share a seed, an initialisation, a warm-up or a stage 1, so
  the seed-to-seed part of the noise cancels in ``d_i = a_i - b_i``. ``diff = mean(d)``, standard
  error ``s_d / sqrt(n)``, Student t with ``n - 1`` degrees of freedom. ``a`` and ``b`` must have
  the same length and the same seed order.
* **Unpaired** (Welch): ``diff = mean(a) - mean(b)``, ``se = sqrt(s_a²/n_a + s_b²/n_b)``, t with
  the Welch–Satterthwaite degrees of freedom
  ``df = se⁴ / ((s_a²/n_a)²/(n_a-1) + (s_b²/n_b)²/(n_b-1))``.

The interval is ``diff ± t_{1-alpha/2, df} · se``; ``t = diff / se`` and ``p`` is two-sided.

Degenerate designs never raise: with fewer than two runs (pairs, or runs in either arm) or with
zero spread there is no interval, and the result has ``ci = (nan, nan)``, ``t = p = nan`` and
``note`` saying why ("n < 2" or "zero spread"). Zero spread is treated as "no interval" rather
than as an infinitely precise one: seeds that give bit-identical differences mean the seed did
not reach the arms, not that the difference is exact.

Example:
    >>> c = compare([0.52, 0.50, 0.51], [0.50, 0.49, 0.50])   # paired by seed
    >>> round(c.diff, 4), c.n, c.df
    (0.0133, 3, 2.0)
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Optional, Sequence

from scipy import stats

__all__ = ["Comparison", "compare"]


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare`.

    Attributes:
        diff: mean of ``a - b`` (paired) or ``mean(a) - mean(b)`` (unpaired), in the inputs' unit.
        ci: two-sided ``1 - alpha`` confidence interval of the difference; ``(nan, nan)`` if degenerate.
        t: ``diff / se``; nan if degenerate.
        p: two-sided p value; nan if degenerate.
        n: number of pairs (paired) or the smaller arm's number of runs (unpaired).
        df: degrees of freedom (``n - 1`` paired, Welch–Satterthwaite unpaired); nan if degenerate.
        sd: spread of one run: SD of the per-seed differences (paired) or the root mean square of
            the two arms' SDs (unpaired, the per-arm SD :func:`simaug.report.resolution` expects).
        paired: whether the runs were paired.
        alpha: 1 - confidence level.
        se: standard error of ``diff``.
        n_a, n_b: runs in each arm.
        mean_a, mean_b: the arms' means.
        note: why the result is degenerate (``"n < 2"``, ``"zero spread"``), else ``None``.
    """

    diff: float
    ci: tuple[float, float]
    t: float
    p: float
    n: int
    df: float
    sd: float
    paired: bool
    alpha: float
    se: float = math.nan
    n_a: int = 0
    n_b: int = 0
    mean_a: float = math.nan
    mean_b: float = math.nan
    note: Optional[str] = None

    @property
    def degenerate(self) -> bool:
        """True when there is no interval (too few runs or zero spread)."""
        return self.note is not None

    def excludes_zero(self) -> int:
        """+1 if the interval lies above 0, -1 if below, 0 if it contains 0 (or is undefined)."""
        lo, hi = self.ci
        if lo > 0:
            return 1
        if hi < 0:
            return -1
        return 0

    def to_dict(self) -> dict:
        return asdict(self)


def _values(x: Sequence[float], name: str) -> list[float]:
    try:
        v = [float(e) for e in x]
    except TypeError as err:
        raise TypeError(f"{name} must be a sequence of numbers (one per seed), got {type(x).__name__}") from err
    if not v:
        raise ValueError(f"{name} is empty: pass one value per seed")
    if any(math.isnan(e) for e in v):
        raise ValueError(f"{name} contains NaN: drop the failed runs before comparing")
    return v


def _mean_var(v: list[float]) -> tuple[float, float]:
    m = sum(v) / len(v)
    var = sum((e - m) ** 2 for e in v) / (len(v) - 1) if len(v) > 1 else math.nan
    return m, var


def _degenerate(diff, n, paired, alpha, sd, na, nb, ma, mb, note) -> Comparison:
    nan = math.nan
    return Comparison(diff=diff, ci=(nan, nan), t=nan, p=nan, n=n, df=nan, sd=sd, paired=paired, alpha=alpha,
                      se=nan, n_a=na, n_b=nb, mean_a=ma, mean_b=mb, note=note)


def compare(a: Sequence[float], b: Sequence[float], paired: bool = True, alpha: float = 0.05) -> Comparison:
    """Difference ``a - b`` with a t confidence interval (see the module docstring).

    Args:
        a, b: one value per seed for each arm; same length and seed order when ``paired``.
        paired: pair ``a[i]`` with ``b[i]`` (arms sharing a seed); ``False`` for Welch's test.
        alpha: 1 - confidence level of ``ci`` (0.05 gives a 95% interval).

    Returns:
        :class:`Comparison`.

    Raises:
        ValueError: empty input, NaN values, ``alpha`` outside (0, 1), or paired arms of different lengths.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}; use 0.05 for a 95% interval")
    va, vb = _values(a, "a"), _values(b, "b")
    ma, var_a = _mean_var(va)
    mb, var_b = _mean_var(vb)
    na, nb = len(va), len(vb)
    q = 1 - alpha / 2
    tiny = 1e-12 * max(1.0, max(abs(x) for x in va + vb))  # spread below this is rounding, i.e. zero
    if paired:
        if na != nb:
            raise ValueError(f"paired comparison needs one value per seed in both arms, got {na} and {nb}; "
                             "pass paired=False for independent runs")
        d = [x - y for x, y in zip(va, vb)]
        diff, var_d = _mean_var(d)
        sd = math.sqrt(var_d) if na > 1 else math.nan
        if na < 2:
            return _degenerate(diff, na, True, alpha, sd, na, nb, ma, mb, "n < 2")
        if sd <= tiny:
            return _degenerate(diff, na, True, alpha, sd, na, nb, ma, mb, "zero spread")
        se = sd / math.sqrt(na)
        df = float(na - 1)
        n = na
    else:
        diff = ma - mb
        n = min(na, nb)
        sd = math.sqrt((var_a + var_b) / 2) if n > 1 else math.nan
        if n < 2:
            return _degenerate(diff, n, False, alpha, sd, na, nb, ma, mb, "n < 2")
        ua, ub = var_a / na, var_b / nb
        se = math.sqrt(ua + ub)
        if se <= tiny:
            return _degenerate(diff, n, False, alpha, sd, na, nb, ma, mb, "zero spread")
        df = (ua + ub) ** 2 / ((ua ** 2 / (na - 1) if ua else 0.0) + (ub ** 2 / (nb - 1) if ub else 0.0))
    t = diff / se
    half = float(stats.t.ppf(q, df)) * se
    p = float(2 * stats.t.sf(abs(t), df))
    return Comparison(diff=diff, ci=(diff - half, diff + half), t=t, p=p, n=n, df=df, sd=sd, paired=paired,
                      alpha=alpha, se=se, n_a=na, n_b=nb, mean_a=ma, mean_b=mb)
