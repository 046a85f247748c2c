"""Executors: run the missing specs of a study and write each finished run to the store.

``local`` runs them one after another in this process. ``ray`` submits each as a Ray task
(``num_cpus`` per run, ``num_gpus=1`` when the spec asks for CUDA) to a local Ray instance
or an existing cluster, and this process (the driver) alone writes results to the store as
tasks finish. A failed run leaves no entry, is reported with its spec, and does not stop
the others. Ray is the engine; there is no queue or lock file of our own.
"""
from __future__ import annotations

import json
import os
import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .. import provenance
from ..runstore import RunResult, RunStore, canonical, spec_key, work_dir
from ..studies import get_study
from ..train.allocator import retain_freed_memory
from ..train.checkpoint import load_checkpoint

EXECUTORS = ("local", "ray")


@dataclass
class Failure:
    spec: Dict[str, Any]
    error: str

    def describe(self) -> str:
        return f"run {spec_key(self.spec)} failed: {self.error}\n  spec: {canonical(self.spec)}"


@dataclass
class Outcome:
    executed: List[str] = field(default_factory=list)  # keys written to the store
    failed: List[Failure] = field(default_factory=list)
    wall_time_s: float = 0.0


def execute_spec(spec: Dict[str, Any], threads: Optional[int] = None, keep_work: bool = False) -> RunResult:
    """Run one spec here (any process): the study's ``execute`` with its checkpoints in the
    spec's work folder, plus this process's provenance. The work folder is removed after a
    successful run unless ``keep_work``."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    retain_freed_memory()  # every study's training loop, not only Trainer's, steps without page faults
    study = get_study(spec["study"])
    folder = work_dir(spec)
    resumed = folder.exists() and any(folder.rglob("checkpoint.pt"))
    saved = checkpoint_threads(folder) if resumed else set()
    saved_threads = None
    if len(saved) == 1 and saved != {torch.get_num_threads()}:
        # resume at the thread count the checkpoint was trained with: float sums depend on it,
        # and the stored run must equal an uninterrupted one (and ``runs verify``)
        n, saved_threads = saved.pop(), torch.get_num_threads()
        print(f"resuming {spec_key(spec)} at {n} torch threads, the count its checkpoint was trained with "
              f"(asked for {torch.get_num_threads()})", flush=True)
        torch.set_num_threads(n)
    elif len(saved) > 1:
        raise RuntimeError(f"the checkpoints in {folder} were trained at different thread counts {sorted(saved)}; "
                           f"their runs cannot be resumed exactly: delete {folder} to start afresh")
    sittings = record_sitting(folder)
    t0 = time.perf_counter()
    try:
        result = study.execute(spec, folder)
        wall = time.perf_counter() - t0
        own = dict(result.provenance)
        datasets = own.pop("datasets", [])
        result.provenance = provenance.collect(params=spec, datasets=datasets, wall_time_s=wall, run_key=spec_key(spec),
                                               resumed_from_checkpoint=bool(resumed), sittings=sittings, **own)
    finally:
        if saved_threads is not None:
            torch.set_num_threads(saved_threads)  # the worker's next run starts at its own count
    if not keep_work:
        shutil.rmtree(folder, ignore_errors=True)
    return result


SITTINGS = "sittings.json"  # in a run's work folder: one record per process that trained it


def record_sitting(folder) -> List[Dict[str, Any]]:
    """Append this process's sitting to ``folder/sittings.json`` and return them all: when it
    started, on which CPU model, and the epoch of each checkpoint it starts from (empty for a
    fresh run); the previous sitting gets the time of its last checkpoint (``last_checkpoint_utc``).
    A run resumed on another machine trained its epochs on two CPU types, whose floats differ;
    its provenance says so, and ``RunStore.cpu_seconds`` adds the earlier sittings' time."""
    path = Path(folder) / SITTINGS
    done = json.loads(path.read_text()) if path.is_file() else []
    epochs, last = checkpoint_epochs(folder)
    if done and last is not None:  # the previous sitting's last saved progress: how long it trained usefully
        done[-1]["last_checkpoint_utc"] = provenance.utc_time(last)
    done.append({"time_utc": provenance.utc_now(), "cpu_model": provenance.cpu_model(), "checkpoint_epochs": epochs})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(done, indent=1))
    return done


def checkpoint_epochs(folder) -> Tuple[Dict[str, int], Optional[float]]:
    """The epochs the trainer checkpoints under ``folder`` have completed, keyed by their folder
    relative to it (``"."`` for the run's own), and the newest checkpoint's modification time
    (``None`` without checkpoints). An unreadable checkpoint raises ``RuntimeError`` naming it."""
    epochs, last = {}, None
    for ckpt in sorted(Path(folder).rglob("checkpoint.pt")):
        state = load_checkpoint(ckpt)
        if isinstance(state, dict) and "epoch" in state:
            epochs[str(ckpt.parent.relative_to(folder))] = int(state["epoch"])
        last = max(last or 0.0, ckpt.stat().st_mtime)
    return epochs, last


def checkpoint_threads(folder) -> set:
    """The torch thread counts recorded in the trainer checkpoints under ``folder`` (empty
    for checkpoints written before the count was recorded, or none)."""
    counts = set()
    for path in sorted(folder.rglob("checkpoint.pt")):
        state = load_checkpoint(path)
        if isinstance(state, dict) and state.get("threads"):
            counts.add(int(state["threads"]))
    return counts


def run_specs(specs: Sequence[Dict[str, Any]], store: RunStore, executor: str = "local", jobs: int = 1,
              address: Optional[str] = None, threads: Optional[int] = None,
              log: Callable[[str], None] = print) -> Outcome:
    """Execute every spec not yet in ``store`` and store each as it finishes."""
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; choose one of {EXECUTORS}")
    todo = store.missing(specs)
    out = Outcome()
    t0 = time.perf_counter()
    if todo:
        (_run_local if executor == "local" else _run_ray)(todo, store, out, jobs=jobs, address=address, threads=threads, log=log)
    out.wall_time_s = time.perf_counter() - t0
    return out


def run_label(spec: Dict[str, Any]) -> str:
    brief = {k: v for k, v in spec.items() if k not in ("study", "version", "data", "train") and not isinstance(v, (dict, list))}
    return f"{spec['study']}/{spec_key(spec)} " + " ".join(f"{k}={v}" for k, v in brief.items())


def _run_local(todo, store, out, *, jobs, address, threads, log):
    for i, spec in enumerate(todo, 1):
        if store.has(spec):  # stored meanwhile by another process working on the same store
            log(f"[{i}/{len(todo)}] {run_label(spec)}: stored meanwhile, skipped")
            continue
        log(f"[{i}/{len(todo)}] {run_label(spec)}")
        try:
            result = execute_spec(spec, threads=threads)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as e:  # noqa: BLE001 - reported with its spec, the others go on
            out.failed.append(Failure(spec, f"{type(e).__name__}: {e}"))
            log(out.failed[-1].describe())
            continue
        store.write(spec, result)
        out.executed.append(spec_key(spec))


def _run_ray(todo, store, out, *, jobs, address, threads, log):
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, log_to_driver=False, include_dashboard=False)
        else:
            ray.init(num_cpus=max(1, jobs * (threads or 1)), log_to_driver=False, include_dashboard=False)
    try:
        cpus = threads or max(1, int(ray.cluster_resources().get("CPU", 1)) // max(1, jobs))
        remote = ray.remote(_ray_task)
        pending = {}
        for spec in todo:
            gpus = 1 if str(spec.get("train", {}).get("device", spec.get("device", ""))).startswith("cuda") else 0
            ref = remote.options(num_cpus=cpus, num_gpus=gpus, max_retries=0).remote(spec, cpus)
            pending[ref] = spec
            log(f"submitted {run_label(spec)} ({cpus} CPU{'s' if cpus > 1 else ''}{', 1 GPU' if gpus else ''})")
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            ref = done[0]
            spec = pending.pop(ref)
            try:
                result = ray.get(ref)
            except Exception as e:  # noqa: BLE001 - RayTaskError wraps the run's exception
                cause = getattr(e, "cause", None) or e
                out.failed.append(Failure(spec, f"{type(cause).__name__}: {cause}"))
                log(out.failed[-1].describe())
                continue
            store.write(spec, result)
            out.executed.append(spec_key(spec))
            log(f"stored {run_label(spec)} ({len(out.executed)} done, {len(pending)} running or queued)")
    finally:
        if started_here:
            ray.shutdown()


def _ray_task(spec: Dict[str, Any], threads: int) -> RunResult:
    return execute_spec(spec, threads=threads)
