"""The smallest difference a design resolves, and the interval one new run should fall in.

``resolution(spread, n)`` answers "how large must a true difference be for this many seeds to
detect it?": the difference δ at which a two-sided t test at level ``alpha`` rejects with
probability ``power``. It uses the exact power of the t test, from the noncentral t
distribution (scipy.stats.nct):

    power(δ) = P(|T'| > t_{1-alpha/2, df}),   T' ~ nct(df, ncp = δ / se)

* paired: ``spread`` is the SD of the per-seed differences, ``se = spread / sqrt(n)``, ``df = n - 1``;
* unpaired: ``spread`` is the SD of one arm's runs (equal in both arms), ``n`` runs per arm,
  ``se = spread · sqrt(2 / n)``, ``df = 2 (n - 1)`` (Welch's df for equal spreads and sizes).

For large n this tends to the normal form ``(z_{1-alpha/2} + z_power) · se``; at n = 2 or 3 the
t quantiles make it much larger: paired at 80% power and alpha 0.05 it is 16.3 · se for n = 2,
5.65 · se for n = 3, 3.76 · se for n = 5 and 2.80 · se for n = 1000.

``prediction_interval(values)`` is the 95% interval for *one new run* of the same design:
``mean ± t_{1-alpha/2, n-1} · s · sqrt(1 + 1/n)``. A single published run (as most papers give)
is compatible with ours when it lies inside.

Example:
    >>> round(resolution(1.0, 1000), 3)   # ≈ (1.960 + 0.842) / sqrt(1000)
    0.089
"""
from __future__ import annotations

import math
from typing import Sequence

from scipy import optimize, stats

__all__ = ["resolution", "power", "prediction_interval"]


def _design(spread: float, n: int, paired: bool) -> tuple[float, float]:
    """(standard error of the difference, degrees of freedom)."""
    if paired:
        return spread / math.sqrt(n), float(n - 1)
    return spread * math.sqrt(2.0 / n), float(2 * (n - 1))


def power(delta: float, spread: float, n: int, paired: bool = True, alpha: float = 0.05) -> float:
    """Probability that a two-sided t test at level ``alpha`` detects a true difference ``delta``.

    Args and units as in :func:`resolution` (``n >= 2``, ``spread > 0``).
    """
    if n < 2 or not spread > 0:
        raise ValueError(f"power needs n >= 2 and a positive spread, got n={n}, spread={spread}")
    return _t_power(delta, spread, n, paired, alpha)


def _t_power(delta: float, spread: float, n: int, paired: bool, alpha: float) -> float:
    se, df = _design(spread, n, paired)
    crit = stats.t.ppf(1 - alpha / 2, df)
    ncp = abs(delta) / se
    upper = float(stats.nct.sf(crit, df, ncp))
    lower = float(stats.nct.sf(crit, df, -ncp))  # P(T' < -crit), by symmetry; nct.cdf(-crit) returns nan far out
    return (0.0 if math.isnan(upper) else upper) + (0.0 if math.isnan(lower) else lower)


def resolution(spread: float, n: int, paired: bool = True, power: float = 0.8, alpha: float = 0.05) -> float:
    """Smallest true difference detected with probability ``power`` (two-sided t test, level ``alpha``).

    Args:
        spread: SD of one paired difference (paired) or of one arm's runs (unpaired), in the unit
            of the difference (e.g. accuracy points).
        n: pairs (paired) or runs per arm (unpaired).
        paired: design of the comparison (see the module docstring).
        power: wanted probability of detection, in (alpha, 1).
        alpha: test level.

    Returns:
        δ in the unit of ``spread``; ``inf`` when ``n < 2`` (no test is possible), ``0.0`` when
        ``spread == 0``, ``nan`` when ``spread`` is nan.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    if not alpha < power < 1:
        raise ValueError(f"power must lie in (alpha, 1) = ({alpha}, 1), got {power}; 0.8 is customary")
    if int(n) != n or n < 0:
        raise ValueError(f"n must be a non-negative whole number of seeds, got {n}")
    n = int(n)
    spread = float(spread)
    if math.isnan(spread):
        return math.nan
    if spread < 0:
        raise ValueError(f"spread is a standard deviation and cannot be negative, got {spread}")
    if n < 2:
        return math.inf
    if spread == 0:
        return 0.0
    se, _ = _design(spread, n, paired)
    f = lambda ncp: _t_power(ncp * se, spread, n, paired, alpha) - power  # noqa: E731  (ncp = δ / se)
    hi = 1.0
    while f(hi) < 0:
        hi *= 2
    return float(optimize.brentq(f, 0.0, hi, xtol=1e-10)) * se


def prediction_interval(values: Sequence[float], alpha: float = 0.05) -> tuple[float, float]:
    """``1 - alpha`` prediction interval for one new run: ``mean ± t_{n-1} · s · sqrt(1 + 1/n)``.

    Returns ``(nan, nan)`` with fewer than two values (no spread to predict from).

    Example:
        >>> lo, hi = prediction_interval([0.6884, 0.6959, 0.6875])
        >>> lo < 0.7122 < hi
        True
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    v = [float(x) for x in values]
    if not v:
        raise ValueError("no values: pass one value per seed")
    n = len(v)
    if n < 2:
        return (math.nan, math.nan)
    m = sum(v) / n
    s = math.sqrt(sum((x - m) ** 2 for x in v) / (n - 1))
    half = float(stats.t.ppf(1 - alpha / 2, n - 1)) * s * math.sqrt(1 + 1 / n)
    return (m - half, m + half)
