"""``runs verify``: re-execute a sample of stored runs and compare their metrics exactly.

A run is re-executed with the torch thread count it was stored with (CPU reductions, e.g. a
loss summed over a batch, depend on how the work is split), so on the same device and
package versions every metric must match bit for bit.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Dict, List

from ..runstore import RunStore, spec_key
from .executors import execute_spec


def diff_metrics(stored: Dict[str, Any], fresh: Dict[str, Any], prefix: str = "") -> List[str]:
    """Every difference between two metric records (exact; NaN equals NaN)."""
    out = []
    for k in sorted(set(stored) | set(fresh)):
        a, b, name = stored.get(k, "<absent>"), fresh.get(k, "<absent>"), f"{prefix}{k}"
        if isinstance(a, dict) and isinstance(b, dict):
            out += diff_metrics(a, b, name + ".")
        elif isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            continue
        elif a != b:
            out.append(f"{name}: stored {a!r}, re-executed {b!r}" + (f" (diff {b - a:+.3g})" if _num(a) and _num(b) else ""))
    return out


def machine_differences(then: Dict[str, Any], now: Dict[str, Any]) -> List[str]:
    """What differs between the machines of two provenance records, as far as they tell: the
    CPU model (recorded since 2026-12-02; older records have only the architecture, e.g.
    "x86_64"), the CPU's bf16 flags, the GPU, the torch version, and the CPUs of the
    sittings a resumed run trained in."""
    out = []
    for name, where, key in (("CPU", "device", "cpu_model"), ("CPU", "device", "cpu"),
                             ("bf16 CPU flags", "device", "cpu_bf16_flags"), ("GPU", "device", "cuda"),
                             ("torch", "versions", "torch")):
        a, b = (then.get(where) or {}).get(key), (now.get(where) or {}).get(key)
        if a is not None and b is not None and a != b and not any(o.startswith(f"{name} ") for o in out):
            out.append(f"{name} {_show(a)} then, {_show(b)} now")
    # a run resumed over several sittings may have trained part of its epochs elsewhere
    here = (now.get("device") or {}).get("cpu_model")
    elsewhere = sorted({s.get("cpu_model") for s in then.get("sittings") or [] if s.get("cpu_model")} - {here})
    if here and elsewhere and not any(o.startswith("CPU ") for o in out):
        out.append(f"sittings on {', '.join(elsewhere)}, {here} now")
    return out


def _show(v) -> str:
    return "+".join(v) if isinstance(v, (list, tuple)) else str(v)


def _num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def verify(prep, results: Path, sample: int = 1, log: Callable[[str], None] = print) -> int:
    """Re-execute the ``sample`` cheapest stored runs of the plan; 0 if all match exactly."""
    if isinstance(sample, bool) or not isinstance(sample, int) or sample < 1:
        from .params import ParameterError

        raise ParameterError(f"--sample {sample!r}: give how many stored runs to re-execute (>= 1)")
    store = RunStore(Path(results) / "runs")
    stored = [store.load(s) for s in prep.specs if store.has(s)]
    if not stored:
        log(f"nothing to verify: none of the {len(prep.specs)} planned runs is stored")
        return 1
    stored.sort(key=lambda r: r.result.provenance.get("wall_time_s") or float("inf"))
    bad = 0
    for r in stored[:sample]:
        log(f"re-executing {r.spec['study']}/{r.key} (stored wall time {r.result.provenance.get('wall_time_s', '?')} s)")
        threads = (r.result.provenance.get("device") or {}).get("torch_threads")  # reductions depend on it
        fresh = execute_spec(r.spec, threads=threads)
        diffs = diff_metrics(r.metrics, fresh.metrics)
        for d in diffs:
            log(f"  {d}")
        if diffs:
            bad += 1
            others = machine_differences(r.result.provenance, fresh.provenance)
            note = f" (stored on another machine: {'; '.join(others)}; exact equality is only expected on the same CPU and versions)" if others else ""
            log(f"  {r.key}: {len(diffs)} metric(s) differ{note}")
        else:
            log(f"  {r.key}: all {len(r.metrics)} metrics identical")
    log(f"verified {min(sample, len(stored))} of {len(stored)} stored runs: {'all match' if not bad else f'{bad} differ'}")
    return 0 if not bad else 1
