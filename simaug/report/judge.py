"""The status rules: from a comparison (or values, or a check) and gates to a :class:`Claim`.

Rules, applied in this order:

1. **Gates.** Any failed gate → ``uninformative``; the reason names each failed gate and its
   measured value.
2. **Effect claims** (``judge_effect``, the source says the method beats the baseline by
   ``source_value``; ``direction`` +1 when higher is better, -1 when lower is better):
   no interval (n < 2 or zero spread) → ``below_resolution``; the CI excludes 0 on the claimed
   side → ``reproduced``; the source's value lies outside the CI (the claimed effect is ruled
   out, which includes a resolved opposite sign) → ``contradicted``; otherwise →
   ``below_resolution``, and the reason states the difference the design resolves.
   ``source_value`` may be a number, a ``(lo, hi)`` range (ruled out when the whole range lies
   outside the CI) or ``None``/text (only the sign is claimed: ruled out by a resolved opposite sign).
3. **No-difference claims** (``judge_effect`` with ``margin``): the CI inside ``±margin`` →
   ``reproduced``; the CI excludes 0 → ``contradicted``; otherwise → ``below_resolution``.
4. **Level claims** (``judge_level``, the source reports one run's value): the source value inside
   the prediction interval for one new run → ``reproduced``, outside → ``contradicted``; fewer
   than two runs → ``below_resolution``.
5. **Checks** (``judge_check``, qualitative or mechanism claims): ``holds`` True → ``reproduced``,
   False → ``contradicted``, None (the measurement cannot decide) → ``below_resolution``.

Example:
    >>> from simaug.report import compare
    >>> c = compare([41.1, 44.3, 44.9], [48.25, 49.55, 49.2])        # CR vs cross-entropy, paired by seed
    >>> judge_effect("00_confusion_rate", "x", "CR beats CE", 2.43, c, "toy", unit="points").status
    'contradicted'
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Union

from .claims import Claim
from .compare import Comparison
from .format import fmt_interval, fmt_num
from .gates import Gate, failed
from .resolution import prediction_interval, resolution

__all__ = ["judge_effect", "judge_level", "judge_check"]


def _src_text(source_value, unit: str, sign: bool, direction: int = 1) -> str:
    if source_value is None:
        return "claimed " + ("gain" if direction > 0 else "reduction")
    if isinstance(source_value, str):
        return source_value
    if isinstance(source_value, (list, tuple)):
        lo, hi = source_value
        return f"{fmt_num(lo, unit, sign=sign, bare=True)} to {fmt_num(hi, unit, sign=sign)}"
    return fmt_num(source_value, unit, sign=sign)


def _source_range(source_value) -> Optional[tuple[float, float]]:
    """(lo, hi) of a numeric source value, None when only a sign (or text) is claimed."""
    if source_value is None or isinstance(source_value, str):
        return None
    if isinstance(source_value, (list, tuple)):
        if len(source_value) != 2:
            raise ValueError(f"a source range must be (lo, hi), got {source_value!r}")
        lo, hi = sorted(float(x) for x in source_value)
        return lo, hi
    v = float(source_value)
    return v, v


def _gate_reason(bad: Sequence[Gate], measured: str) -> str:
    gates = "; ".join(f"gate “{g.summary()}” failed" for g in bad)
    return f"{_cap(gates)}, so {measured} cannot test the claim."


def _with_note(reason: str, note: Optional[str]) -> str:
    if not note:
        return reason
    return reason.rstrip(".") + "; " + note.strip().rstrip(".") + "."


def _cap(text: str) -> str:
    """First letter upper-case, the rest untouched (str.capitalize would lower "CI")."""
    return text[:1].upper() + text[1:]


def _finite(x: float) -> Optional[float]:
    return x if (x is not None and math.isfinite(x)) else None


def judge_effect(chapter: str, id: str, claim: str, source_value: Union[float, Sequence[float], str, None],
                 comparison: Comparison, scale: str, gates: Sequence[Gate] = (), direction: int = +1,
                 margin: Optional[float] = None, section: Optional[str] = None, *, unit: str = "",
                 note: Optional[str] = None) -> Claim:
    """Status of "method beats baseline by ``source_value``" (or, with ``margin``, "no difference").

    Args:
        comparison: ``compare(method, baseline, ...)``; its ``diff`` is method minus baseline.
        source_value: the source's difference in the same unit and sign convention (method minus
            baseline), a ``(lo, hi)`` range, or ``None``/text when no number is given.
        direction: +1 if the claim is that the method is higher (accuracy), -1 lower (error, loss).
        margin: give it for a "no (real) difference" claim: differences inside ``±margin`` count as none.
        unit: unit of the difference, used in the reason ("points").
        note: an extra clause appended to the reason.
    """
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 (higher is better) or -1 (lower is better), got {direction}")
    if margin is not None and not margin > 0:
        raise ValueError(f"margin must be a positive difference (in {unit or 'the unit of the comparison'}), got {margin}")
    c = comparison
    src_range = _source_range(source_value)
    if margin is None and src_range is not None and src_range != (0.0, 0.0):
        if (src_range[0] * direction < 0) or (src_range[1] * direction < 0):
            raise ValueError(f"claim {id!r}: source_value {source_value!r} has the sign opposite to direction={direction}; "
                             "give the difference as method minus baseline and direction +1 (higher is better) or -1")
    level = round(100 * (1 - c.alpha))
    design = "paired by seed" if c.paired else "unpaired, Welch"
    res = resolution(c.sd, c.n, paired=c.paired, alpha=c.alpha) if not math.isnan(c.sd) else (math.inf if c.n < 2 else math.nan)
    if c.degenerate:
        ours_txt = f"ours {fmt_num(c.diff, unit, sign=True)} (n={c.n}, {design})"
    else:
        ours_txt = f"ours {fmt_num(c.diff, unit, sign=True)} ({level}% CI {fmt_interval(c.ci, unit, sign=True)}, n={c.n}, {design})"
    src_txt = "the source's " + _src_text(source_value, unit, sign=True, direction=direction)
    res_txt = (f"this design resolves about {fmt_num(res, unit)} at 80% power" if math.isfinite(res) else
               "this design resolves no difference at all")
    kind = "equivalence" if margin is not None else "effect"
    bad = failed(gates)
    if bad:
        status, reason = "uninformative", _gate_reason(bad, f"the comparison (ours {fmt_num(c.diff, unit, sign=True)})")
    elif c.degenerate:
        why = {"n < 2": f"with n={c.n} there is no seed spread", "zero spread": "the seeds give identical differences (zero spread)"}
        status = "below_resolution"
        reason = f"{_cap(why.get(c.note, c.note))}, so {ours_txt} has no interval and cannot be held against {src_txt}."
    elif margin is not None:
        lo, hi = c.ci
        m_txt = f"±{fmt_num(margin, unit)}"
        if -margin < lo and hi < margin:
            status, reason = "reproduced", f"The {level}% CI of {ours_txt} lies inside {m_txt}, the margin of “no real difference” ({src_txt})."
        elif c.excludes_zero():
            status, reason = "contradicted", (f"{_cap(ours_txt)} excludes 0 and reaches beyond {m_txt}: a resolved difference "
                                              f"where the source reports none ({src_txt}).")
        else:
            status, reason = "below_resolution", f"{_cap(ours_txt)} contains 0 but reaches beyond {m_txt}; {res_txt}."
    else:
        lo, hi = c.ci
        side = c.excludes_zero()
        numeric = src_range is not None
        if side == direction:
            status = "reproduced"
            reason = (f"{_cap(ours_txt)} lies {'above' if direction > 0 else 'below'} 0, on the side the source claims"
                      + (f" ({src_txt})." if numeric else "."))
            if numeric and src_range != (0.0, 0.0):
                # the status is about the sign; say so when the size differs resolvably from the source's
                if min(lo * direction, hi * direction) > max(src_range[0] * direction, src_range[1] * direction):
                    reason += " The size differs: the whole interval lies beyond the source's value (a larger effect here)."
                elif max(lo * direction, hi * direction) < min(src_range[0] * direction, src_range[1] * direction):
                    reason += " The size differs: the whole interval lies short of the source's value (a smaller effect here)."
        else:
            ruled_out = (src_range[1] < lo or src_range[0] > hi) if numeric else side == -direction
            if ruled_out:
                status = "contradicted"
                if side == -direction:
                    reason = f"{_cap(ours_txt)} resolves the opposite sign to " + (f"{src_txt}." if numeric else "the claim.")
                else:
                    reason = f"{_cap(ours_txt)} rules out {src_txt}."
            else:
                status = "below_resolution"
                reason = (f"{_cap(ours_txt)} contains both 0 and {src_txt}; {res_txt}." if numeric else
                          f"{_cap(ours_txt)} contains 0; {res_txt}.")
    return Claim(chapter=chapter, id=id, claim=claim, source_value=source_value, ours=c.diff,
                 ci=None if c.degenerate else c.ci, n=c.n, scale=scale, status=status, reason=_with_note(reason, note),
                 section=section, gates=tuple(gates), unit=unit, kind=kind, interval="confidence",
                 resolution=_finite(res))


def judge_level(chapter: str, id: str, claim: str, source_value: Union[float, Sequence[float]], values: Sequence[float],
                scale: str, gates: Sequence[Gate] = (), section: Optional[str] = None, *, unit: str = "",
                alpha: float = 0.05, note: Optional[str] = None) -> Claim:
    """Status of "one run of this design gives ``source_value``" from our runs ``values``.

    The source's value (usually a single run) is compared with the ``1 - alpha`` prediction interval
    for one new run, ``mean ± t_{n-1} s sqrt(1 + 1/n)``: inside → reproduced, outside →
    contradicted, n < 2 → below_resolution. A ``(lo, hi)`` source range is reproduced when it
    overlaps the interval.
    """
    v = [float(x) for x in values]
    if not v:
        raise ValueError(f"claim {id!r}: no values; pass one value per seed")
    src_range = _source_range(source_value)
    if src_range is None:
        raise ValueError(f"claim {id!r}: a level claim needs a numeric source_value (or a (lo, hi) range), got {source_value!r}")
    n = len(v)
    m = sum(v) / n
    pi = prediction_interval(v, alpha)
    level = round(100 * (1 - alpha))
    s = math.sqrt(sum((x - m) ** 2 for x in v) / (n - 1)) if n > 1 else math.nan
    ours_txt = f"ours {fmt_num(m, unit)}" + (f" (SD {fmt_num(s, unit)}, n={n})" if n > 1 else " (n=1)")
    src_txt = "the source's " + _src_text(source_value, unit, sign=False)
    bad = failed(gates)
    if bad:
        status, reason = "uninformative", _gate_reason(bad, f"the measurement (ours {fmt_num(m, unit)})")
    elif n < 2:
        status = "below_resolution"
        reason = f"One run ({ours_txt}) has no spread, so there is no prediction interval to hold {src_txt} against."
    else:
        inside = not (src_range[1] < pi[0] or src_range[0] > pi[1])
        status = "reproduced" if inside else "contradicted"
        if src_range[0] == src_range[1]:
            where = "lies inside" if inside else "lies outside"
        else:  # a range is judged by overlap, and said so
            where = "overlaps" if inside else "does not overlap"
        reason = (f"{_cap(src_txt)} {where} the {level}% prediction interval for one new "
                  f"run, {fmt_interval(pi, unit)} ({ours_txt}).")
    return Claim(chapter=chapter, id=id, claim=claim, source_value=source_value, ours=m, ci=None if n < 2 else pi, n=n,
                 scale=scale, status=status, reason=_with_note(reason, note), section=section, gates=tuple(gates),
                 unit=unit, kind="level", interval="prediction")


def judge_check(chapter: str, id: str, claim: str, source_value, measured, holds: Optional[bool], scale: str, reason: str,
                gates: Sequence[Gate] = (), section: Optional[str] = None, *, n: Optional[int] = None, unit: str = "",
                ci=None, note: Optional[str] = None) -> Claim:
    """Status of a qualitative or mechanism claim whose test the caller computed.

    Args:
        measured: what was measured (a number in ``unit`` or a short text), shown as "ours".
        holds: True if the measurement shows the claim, False if it shows the opposite, None if it
            cannot decide (too few runs, no spread).
        reason: one sentence naming the numbers, used as the reason unless a gate failed.
    """
    if holds not in (True, False, None):
        raise ValueError(f"claim {id!r}: holds must be True, False or None, got {holds!r}")
    if not reason or not reason.strip():
        raise ValueError(f"claim {id!r}: a check needs a reason naming the measured numbers")
    bad = failed(gates)
    if bad:
        gates_txt = "; ".join(f"gate “{g.summary()}” failed" for g in bad)
        status, text = "uninformative", f"{_cap(gates_txt)}, so the measurement cannot test the claim — {reason.strip().rstrip('.')}."
    else:
        status = {True: "reproduced", False: "contradicted", None: "below_resolution"}[holds]
        text = reason.strip()
        if not text.endswith("."):
            text += "."
    return Claim(chapter=chapter, id=id, claim=claim, source_value=source_value, ours=measured, ci=ci, n=n, scale=scale,
                 status=status, reason=_with_note(text, note), section=section, gates=tuple(gates), unit=unit, kind="check",
                 interval="confidence")
