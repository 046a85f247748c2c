"""A claim of a source, what we measured, and its status.

Every status is one of four, each with a one-sentence reason that names the numbers:

* ``reproduced`` — our interval shows what the source says;
* ``contradicted`` — our interval rules out what the source says;
* ``below_resolution`` — our interval is compatible with both the claim and its absence;
* ``uninformative`` — a gate of the claim failed, so the comparison cannot speak to it.

``Claim`` is plain data (``to_dict`` is JSON-able); the rules live in :mod:`simaug.report.judge`.
A claim whose gates include a failed one must be ``uninformative``: the constructor refuses
anything else.

Example:
    >>> c = Claim("04_cifar10_cnn", "04-test-accuracy", "about 70% test accuracy", 71.22, 69.06, (66.77, 71.35), 3,
    ...           "tutorial scale", "reproduced", "71.22 lies inside the 95% prediction interval 66.77 to 71.35.")
    >>> c.to_dict()["ci"]
    [66.77, 71.35]
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence, Tuple, Union

from .gates import Gate

__all__ = ["Claim", "STATUSES", "REQUIRED_KEYS"]

STATUSES = ("reproduced", "contradicted", "below_resolution", "uninformative")
REQUIRED_KEYS = ("chapter", "id", "claim", "source_value", "ours", "ci", "n", "scale", "status", "reason")
_OPTIONAL_KEYS = ("section", "gates", "unit", "kind", "interval", "resolution")


def _clean(x: Any) -> Any:
    """JSON-able copy: nan/inf → None, tuples → lists."""
    if isinstance(x, float):
        return None if (math.isnan(x) or math.isinf(x)) else x
    if isinstance(x, (list, tuple)):
        return [_clean(e) for e in x]
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if hasattr(x, "item") and callable(x.item):  # numpy / torch scalars
        return _clean(x.item())
    return x


@dataclass(frozen=True)
class Claim:
    """One row of the claims ledger.

    Attributes:
        chapter: notebook stem of the chapter, e.g. ``"00_confusion_rate"``.
        id: unique id across the book, e.g. ``"00-cr-noisy-cifar10"``.
        claim: the source's statement, in one line.
        source_value: the source's number (a float), range (``[lo, hi]``), text, or ``None``.
        ours: our mean (level), mean difference (effect) or measured value (check).
        ci: our interval (confidence interval of a difference, or the prediction interval of a
            level claim, see ``interval``), ``None`` when there is none.
        n: seeds (pairs, or runs per arm) behind ``ours``.
        scale: the scale it was measured at ("simple_cnn, 4,000 CIFAR-10 images × 8 epochs, 3 seeds").
        status: one of :data:`STATUSES`.
        reason: one sentence naming the numbers.
        section: heading of the chapter section that discusses it (for the ledger's link).
        gates: the :class:`~simaug.report.Gate` checks this claim depends on.
        unit: unit of ``source_value``, ``ours`` and ``ci`` ("points", "%", "").
        kind: ``"effect"``, ``"equivalence"``, ``"level"`` or ``"check"``.
        interval: ``"confidence"`` or ``"prediction"`` (what ``ci`` is).
        resolution: smallest difference the design detects with 80% power, in ``unit`` (effect claims).
    """

    chapter: str
    id: str
    claim: str
    source_value: Union[float, Sequence[float], str, None]
    ours: Union[float, str, None]
    ci: Optional[Tuple[Optional[float], Optional[float]]]
    n: Optional[int]
    scale: str
    status: str
    reason: str
    section: Optional[str] = None
    gates: Tuple[Gate, ...] = field(default_factory=tuple)
    unit: str = ""
    kind: str = ""
    interval: str = "confidence"
    resolution: Optional[float] = None

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"claim {self.id!r}: status {self.status!r} is not one of {STATUSES}")
        for key in ("chapter", "id", "claim", "reason"):
            if not isinstance(getattr(self, key), str) or not getattr(self, key).strip():
                raise ValueError(f"claim {self.id!r}: {key} must be a non-empty string")
        object.__setattr__(self, "gates", tuple(self.gates))
        for g in self.gates:
            if not isinstance(g, Gate):
                raise TypeError(f"claim {self.id!r}: gates must be Gate objects, got {type(g).__name__}")
        if any(not g.passed for g in self.gates) and self.status != "uninformative":
            bad = ", ".join(g.name for g in self.gates if not g.passed)
            raise ValueError(f"claim {self.id!r}: gate(s) {bad} failed, so its status must be 'uninformative', not {self.status!r}")
        if self.ci is not None:
            if len(self.ci) != 2:
                raise ValueError(f"claim {self.id!r}: ci must be (lo, hi) or None, got {self.ci!r}")
            object.__setattr__(self, "ci", (self.ci[0], self.ci[1]))

    def to_dict(self) -> dict:
        """JSON-able dict: nan → None, tuples → lists, gates → list of dicts."""
        d = {k: getattr(self, k) for k in REQUIRED_KEYS + _OPTIONAL_KEYS if k != "gates"}
        d = _clean(d)
        d["gates"] = [g.to_dict() for g in self.gates]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Claim":
        """Inverse of :meth:`to_dict`; unknown or missing keys are an error."""
        missing = [k for k in REQUIRED_KEYS if k not in d]
        if missing:
            raise ValueError(f"claim {d.get('id', '?')!r} lacks {missing}; every claim needs {list(REQUIRED_KEYS)}")
        unknown = set(d) - set(REQUIRED_KEYS) - set(_OPTIONAL_KEYS)
        if unknown:
            raise ValueError(f"claim {d.get('id', '?')!r} has unknown keys {sorted(unknown)}")
        kw = dict(d)
        kw["gates"] = tuple(Gate.from_dict(g) for g in d.get("gates") or ())
        if kw.get("ci") is not None:
            kw["ci"] = tuple(kw["ci"])
        if isinstance(kw.get("source_value"), list):
            kw["source_value"] = tuple(kw["source_value"])
        return cls(**kw)
