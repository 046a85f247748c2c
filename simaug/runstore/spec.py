"""Run specs: plain JSON-able dicts holding everything that determines a run's result.

A spec must carry ``study`` (the study's name) and ``version`` (bumped whenever a code
change alters what the study's runs compute). Its key is the SHA-256 of its canonical JSON
(sorted keys, no whitespace, floats in their shortest round-trip form), truncated to 16 hex
digits, so it is the same in every process and for every key order, and any change of a
field gives another key.
"""
from __future__ import annotations

import hashlib
import json
import math
from typing import Any, Dict

KEY_LENGTH = 16  # hex digits: 64 bits, collision-free for any number of runs a book holds


class SpecError(ValueError):
    pass


def _check(value: Any, where: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SpecError(f"run spec field {where} is {value!r}: specs hold finite numbers only")
        return
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check(v, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise SpecError(f"run spec field {where} has a non-string key {k!r}")
            _check(v, f"{where}.{k}" if where else k)
        return
    raise SpecError(f"run spec field {where} is a {type(value).__name__} ({value!r}); specs hold JSON values only "
                    f"(str, int, float, bool, None, lists and dicts of them)")


def canonical(spec: Dict[str, Any]) -> str:
    """The canonical JSON text of ``spec`` (what the key hashes)."""
    if not isinstance(spec, dict):
        raise SpecError(f"a run spec is a dict, got {type(spec).__name__}")
    for field in ("study", "version"):
        if field not in spec:
            raise SpecError(f"run spec has no {field!r} field: {spec}")
    _check(spec, "")
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def spec_key(spec: Dict[str, Any]) -> str:
    """16 hex digits of SHA-256 over :func:`canonical`."""
    return hashlib.sha256(canonical(spec).encode("utf-8")).hexdigest()[:KEY_LENGTH]


def unique_specs(specs):
    """``specs`` without repeats (same key), in first-seen order: a run shared by several
    parts of a plan (a warm-up, the k = 0 arm of a sweep) is planned once."""
    seen, out = set(), []
    for spec in specs:
        key = spec_key(spec)
        if key not in seen:
            seen.add(key)
            out.append(spec)
    return out
