"""Timing helpers shared by the benchmarks: alternating rounds, per-round ratios, the
machine's load with every measurement, pure forward+backward at a precision.

On a shared machine a benchmark's numbers drift with whatever else runs. Three defences:
every method is timed once per *round*, the methods alternating within the round (in
reverse order every other round, so no method always runs first or after the same
neighbour), and a ratio is formed per round (both sides saw about the same machine state)
before taking the median over rounds, reported with a distribution-free confidence
interval (:func:`median_ci`); and the 1-minute load average (what ``uptime`` prints) is
recorded next to every measurement, so a reader can see how busy the machine was. Short
measurements in many rounds resolve a ratio better than long ones in few: the machine's
drift is slower than a round.

Every measurement takes both wall time and this process's CPU time. With one torch thread
(``--threads 1``) the CPU time is what the work itself cost, nearly independent of how
often other processes pre-empted it, so on a busy machine ``images_per_cpu_s`` and its
ratios are the steadier numbers; with more threads the CPU time also counts the threads'
waiting, and wall time is the measure.
"""
from __future__ import annotations

import copy
import os
import statistics
import time
from typing import Callable, Dict, Iterable, List, Optional, Tuple

import torch
import torch.nn.functional as F

from ..precision import autocast


def load_average() -> Tuple[float, float, float]:
    """The 1, 5 and 15-minute load averages (as ``uptime`` prints them); NaNs where unknown."""
    try:
        return tuple(round(v, 2) for v in os.getloadavg())  # type: ignore[return-value]
    except (AttributeError, OSError):
        return (float("nan"),) * 3  # type: ignore[return-value]


class Clock:
    """Wall and process CPU seconds of a ``with`` block.

    Example:
        >>> with Clock() as c:
        ...     _ = sum(range(1000))
        >>> c.wall >= 0 and c.cpu >= 0
        True
    """

    def __enter__(self) -> "Clock":
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall0, time.process_time() - self.cpu0


def alternating_rounds(fns: Dict[str, Callable[[], Tuple[int, float, float]]], rounds: int,
                       warmup: bool = True) -> Dict[str, List[Dict[str, float]]]:
    """Run every function once per round, alternating within the round: in the given order
    in even rounds, in reverse order in odd ones (A B, B A, A B, ...), so that a method's
    position in the round (first after a pause, or after one that left the caches cold)
    cancels out over pairs of rounds.

    Each function does one measurement and returns ``(images, wall_seconds, cpu_seconds)``.
    Returns, per name, one dict per round: ``images``, ``seconds``, ``cpu_seconds``,
    ``images_per_s``, ``images_per_cpu_s`` and ``load_1min`` (the load average just before
    that measurement). ``warmup`` runs each once untimed first (allocator, oneDNN kernels,
    lazy imports).
    """
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    if warmup:
        for fn in fns.values():
            fn()
    out: Dict[str, List[Dict[str, float]]] = {name: [] for name in fns}
    names = list(fns)
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            fn = fns[name]
            load = load_average()[0]
            images, seconds, cpu = fn()
            out[name].append({"images": images, "seconds": seconds, "cpu_seconds": cpu,
                              "images_per_s": images / seconds, "images_per_cpu_s": images / max(cpu, 1e-9),
                              "load_1min": load})
    return out


def median_ci(values: List[float], level: float = 0.95) -> Tuple[float, float, float]:
    """A distribution-free confidence interval for the median of ``values``: the order
    statistics ``(x_(k), x_(n+1-k))`` with the largest ``k`` whose coverage
    ``1 - 2 P(Binomial(n, 1/2) <= k - 1)`` is at least ``level``. Returns ``(low, high,
    coverage)``; with too few values for ``level`` (fewer than 6 at 95%) it is the range,
    with the range's coverage ``1 - 2^(1-n)``.

    Example (n = 9: k = 2, coverage 1 - 2 * 10/512):
        >>> median_ci([5, 1, 9, 3, 7, 2, 8, 4, 6])
        (2, 8, 0.9609375)
    """
    from scipy.stats import binom

    x = sorted(values)
    n = len(x)
    if n == 0:
        raise ValueError("median_ci needs at least one value")
    k = 1
    while k + 1 <= (n + 1) // 2 and 1 - 2 * binom.cdf(k, n, 0.5) >= level:
        k += 1
    return x[k - 1], x[n - k], float(1 - 2 * binom.cdf(k - 1, n, 0.5))


def ratio_summary(num: List[Dict[str, float]], den: List[Dict[str, float]], key: str = "images_per_s") -> Dict[str, float]:
    """Median, min and max over rounds of the per-round ratio ``num[key] / den[key]``, with
    the median's confidence interval (:func:`median_ci`: ``ci_low``, ``ci_high``,
    ``ci_coverage``)."""
    ratios = [a[key] / b[key] for a, b in zip(num, den)]
    low, high, coverage = median_ci(ratios)
    return {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios), "ci_low": low,
            "ci_high": high, "ci_coverage": coverage, "per_round": ratios}


def median_of(rows: List[Dict[str, float]], key: str = "images_per_s") -> float:
    return statistics.median(r[key] for r in rows)


def loads(*groups: Iterable[Dict[str, float]]) -> Tuple[float, float]:
    """(min, max) of the 1-minute load averages recorded with the measurements."""
    vals = [r["load_1min"] for g in groups for r in g]
    return (min(vals), max(vals)) if vals else (float("nan"), float("nan"))


def pure_forward_backward(model: torch.nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor,
                          y: torch.Tensor, steps: int, precision: str = "fp32",
                          last: Optional[Tuple[torch.Tensor, torch.Tensor]] = None,
                          batch_size: Optional[int] = None) -> Tuple[int, float, float]:
    """The ceiling of a training loop: ``steps`` SGD steps (cross-entropy, forward and loss
    under ``precision``'s autocast) on pre-made batches on the model's device, plus
    optionally one ``last`` (smaller) batch. ``x`` (N, C, H, W) is one batch, or with
    ``batch_size`` a pool of N // batch_size distinct batches taken in turn. Returns
    ``(images, wall seconds, CPU seconds)``."""
    model.train()
    device = x.device
    pool = [(x, y)]
    if batch_size is not None and len(x) >= 2 * batch_size:
        n = len(x) // batch_size * batch_size
        pool = list(zip(x[:n].split(batch_size), y[:n].split(batch_size)))
    batches = [pool[i % len(pool)] for i in range(steps)] + ([last] if last is not None else [])
    with Clock() as c:
        for xb, yb in batches:
            with autocast(precision, device):
                loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return sum(len(yb) for _, yb in batches), c.wall, c.cpu


class PureStep:
    """Pure forward+backward on a private copy of ``model`` with a fresh copy of
    ``optimizer``, set before every measurement to a known state, so that the trainer being
    timed alongside never sees its steps.

    ``follow=False``: the copy is reset to ``model``'s state at construction before every
    measurement (many steps on a few batches would otherwise over-fit them: a network
    fitting one batch exactly passes through a phase of denormal activations and gradients
    in which an fp32 ResNet-20 step on x86 took ~40x as long here, which says nothing about
    a training loop's overhead).

    ``follow=True``: the copy takes ``model``'s and ``optimizer``'s *current* state (weights,
    batch-norm statistics, momentum buffers, learning rate) before every measurement. Use it
    when ``model`` is the one a trainer keeps training between measurements: both sides then
    run from the same weights, so whatever the state of training costs (denormal numbers in a
    trained network are slower on x86) is paid by both, and the ratio measures the loop.

    ``flush_denormal`` flushes denormal floats to zero during the measurement
    (``torch.set_flush_denormal``, restored to off afterwards); off by default, because the
    trainer it is compared with does not flush them.

    The steps cycle through distinct batches (``x`` a pool of ``batch_size``-image batches):
    one batch repeated hundreds of times is fitted exactly and its step slows down (at
    ResNet-20 fp32 to ~70 img/s here, against ~600 on fresh batches), which would make the
    reference meaningless.

    ``PureStep(model, optimizer, x, y, precision, last, batch_size)(steps)`` returns what
    :func:`pure_forward_backward` returns.
    """

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
                 precision: str = "fp32", last: Optional[Tuple[torch.Tensor, torch.Tensor]] = None,
                 batch_size: Optional[int] = None, follow: bool = False, flush_denormal: bool = False):
        self.source, self.source_optimizer = model, optimizer
        self.model = copy.deepcopy(model)
        self.start = copy.deepcopy(self.model.state_dict())
        self.optimizer_type, self.defaults = type(optimizer), dict(optimizer.defaults)
        self.x, self.y, self.precision, self.last, self.batch_size = x, y, precision, last, batch_size
        self.follow, self.flush_denormal = follow, flush_denormal

    def __call__(self, steps: int) -> Tuple[int, float, float]:
        opt = self.optimizer_type([p for p in self.model.parameters() if p.requires_grad], **self.defaults)
        if self.follow:
            self.model.load_state_dict(self.source.state_dict())  # copies into the private tensors
            opt.load_state_dict(copy.deepcopy(self.source_optimizer.state_dict()))
        else:
            self.model.load_state_dict(self.start)
        torch.set_flush_denormal(self.flush_denormal)
        try:
            return pure_forward_backward(self.model, opt, self.x, self.y, steps, self.precision, self.last,
                                         self.batch_size)
        finally:
            torch.set_flush_denormal(False)


RECORD_OPTIONS = ("json", "markdown", "render_only")  # where results go: not parameters of the measurement


def add_record_options(ap) -> None:
    """``--json`` (the record), ``--markdown`` (the book's table of it) and ``--render-only``."""
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument("--markdown", default=None, help="also write the table for the book here (needs --json)")
    ap.add_argument("--render-only", action="store_true", help="rewrite --markdown from --json, time nothing")


def rendered_only(ap, args, render: Callable[[dict], str]) -> bool:
    """Check the record options; with ``--render-only`` write ``--markdown`` from ``--json``
    and return True (nothing is to be timed)."""
    import json
    from pathlib import Path

    if args.markdown and not args.json:
        ap.error("--markdown renders the --json record: give --json too")
    if not args.render_only:
        return False
    if not (args.json and args.markdown):
        ap.error("--render-only needs --json (the record to read) and --markdown (the file to write)")
    Path(args.markdown).write_text(render(json.loads(Path(args.json).read_text())))
    print(f"wrote {args.markdown}")
    return True


def markdown_header(command: str, record: dict) -> str:
    """The provenance line above a benchmark's markdown table (commit, CPU, threads, date)."""
    prov = record["provenance"]
    dev = prov.get("device") or {}
    flags = ", ".join(dev.get("cpu_bf16_flags") or []) or "no bf16 instructions"
    return (f"`{command}` at commit `{str(prov.get('commit'))[:12]}`, {dev.get('cpu_model') or dev.get('cpu')} "
            f"({flags}), {dev.get('torch_threads')} threads, {str(prov.get('time_utc'))[:16].replace('T', ' ')} UTC, "
            f"load average {prov['load_average_before'][0]:.1f} before and {prov['load_average_after'][0]:.1f} after")


def ci_text(ratio: Dict[str, float], digits: int = 3) -> str:
    """``median [low, high]`` of a :func:`ratio_summary`."""
    return f"{ratio['median']:.{digits}f} [{ratio['ci_low']:.{digits}f}, {ratio['ci_high']:.{digits}f}]"


def print_table(rows: List[dict], columns: List[str]) -> None:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for r in rows:
        print("  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns))
