"""Small timing helpers shared by the benchmarks."""
from __future__ import annotations

import statistics
import time
from typing import Callable, List


def images_per_second(step: Callable[[], int], steps: int, warmup: int = 3, repeats: int = 1) -> float:
    """Run ``step`` (returns the number of images it processed) ``warmup`` times untimed,
    then ``steps`` times per repeat; the median rate over repeats."""
    for _ in range(warmup):
        step()
    rates: List[float] = []
    for _ in range(repeats):
        n, t0 = 0, time.perf_counter()
        for _ in range(steps):
            n += step()
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates)


def print_table(rows: List[dict], columns: List[str]) -> None:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for r in rows:
        print("  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns))
