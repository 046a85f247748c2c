"""Provenance of a result: parameters, seeds, commit, package versions, data checksums,
device and wall time (airbench saves the script with its accuracies; nanoGPT puts the config
into the checkpoint). Every table the book shows is printed next to one of these records.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, Iterable, Optional

import torch

from .data.paths import REPO_ROOT
from .precision import bf16_support

PACKAGES = ("simaug", "torch", "torchvision", "numpy", "pandas", "matplotlib", "seaborn", "papermill")


OUTPUT_DIRS = ("results", "runs")  # what the code writes: changes there leave the code clean


def git_commit(root: Path = REPO_ROOT) -> str:
    """The checkout's commit, with ``-dirty`` when tracked files other than outputs
    (``OUTPUT_DIRS``: stored runs, benchmark and report results) differ from it: a
    benchmark that rewrote ``results/bench/augment.json`` a minute earlier still runs the
    committed code."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        exclude = [f":(exclude){d}" for d in OUTPUT_DIRS]
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", *exclude],
                               cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"


_CODE_COMMIT = git_commit()  # taken when simaug is imported: the code this process runs


def code_commit() -> str:
    """The commit of the code this process imported (``git_commit()`` at import time). A run
    that ends after the checkout moved on records the code it ran, not the new HEAD; a
    long-lived Ray worker keeps the commit of its import."""
    return _CODE_COMMIT


def package_versions(names: Iterable[str] = PACKAGES) -> Dict[str, str]:
    out = {"python": platform.python_version()}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = "not installed"
    return out


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def utc_time(timestamp: float) -> str:
    """A POSIX timestamp as UTC, ISO 8601 to the second."""
    return _dt.datetime.fromtimestamp(timestamp, _dt.timezone.utc).isoformat(timespec="seconds")


def cpu_model(path: str = "/proc/cpuinfo") -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (e.g. "AMD EPYC"; floats of the same run
    can differ between CPU types), or the platform's processor string where that is unreadable."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_info() -> Dict[str, Any]:
    """Platform, CPU, threads, and whether the CPU (and the GPU, if any) computes bf16 natively."""
    cpu_bf16 = bf16_support("cpu")
    info: Dict[str, Any] = {"platform": platform.platform(), "cpu": platform.processor() or platform.machine(),
                            "cpu_model": cpu_model(),
                            "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                            "cpu_native_bf16": cpu_bf16["native_bf16"], "cpu_bf16_flags": cpu_bf16["bf16_cpu_flags"]}
    if torch.cuda.is_available():
        info["cuda"] = torch.cuda.get_device_name(0)
        info["cuda_native_bf16"] = bf16_support("cuda")["native_bf16"]
    return info


def find_precision(params: Any) -> Optional[str]:
    """The ``precision`` named in run parameters: a top-level ``"precision"`` key, else the
    first one found in nested dicts (e.g. a ``TrainConfig.to_dict()`` under ``"train"``)."""
    if isinstance(params, dict):
        if isinstance(params.get("precision"), str):
            return params["precision"]
        for v in params.values():
            found = find_precision(v)
            if found is not None:
                return found
    elif isinstance(params, (list, tuple)):
        for v in params:
            found = find_precision(v)
            if found is not None:
                return found
    return None


def dataset_record(meta: Dict[str, Any]) -> Dict[str, Any]:
    """The checksum-bearing part of an ``ImageSet.meta``."""
    keep = ("name", "split", "source_id", "source_sha256", "images_sha256", "subset", "sha256", "options")
    rec = {k: meta[k] for k in keep if k in meta}
    if "label_noise" in meta:
        rec["label_noise"] = {k: v for k, v in meta["label_noise"].items() if k != "clean_labels"}
    return rec


def collect(params: Optional[Dict[str, Any]] = None, datasets: Iterable[Dict[str, Any]] = (),
            wall_time_s: Optional[float] = None, precision: Optional[str] = None, **extra: Any) -> Dict[str, Any]:
    """One provenance record (JSON-serialisable).

    ``precision`` (``"fp32"`` | ``"bf16"``, see :mod:`simaug.precision`) is recorded as given,
    else as named in ``params`` (:func:`find_precision`), else as ``"fp32"``, the
    ``TrainConfig`` default; ``precision_source`` says which (``argument`` | ``params`` |
    ``default``). ``device`` carries ``cpu_native_bf16`` (and ``cuda_native_bf16``).
    """
    source = "argument" if precision is not None else "params"
    if precision is None:
        precision = find_precision(params or {})
    if precision is None:
        precision, source = "fp32", "default"
    rec = {
        "time_utc": utc_now(),
        "commit": code_commit(),
        "params": params or {},
        "datasets": [dataset_record(d) for d in datasets],
        "versions": package_versions(),
        "device": device_info(),
        "precision": precision,
        "precision_source": source,
    }
    if wall_time_s is not None:
        rec["wall_time_s"] = round(float(wall_time_s), 1)
    rec.update(extra)
    return json.loads(json.dumps(rec, default=str))


def write(record: Dict[str, Any], path: os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, default=str))
    return path


def as_frame(record: Dict[str, Any]):
    """A two-column table for display in a notebook."""
    import pandas as pd

    rows = []

    def walk(prefix: str, v: Any):
        if isinstance(v, dict):
            for k, w in v.items():
                walk(f"{prefix}.{k}" if prefix else k, w)
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            for i, w in enumerate(v):
                walk(f"{prefix}[{i}]", w)
        else:
            rows.append((prefix, v if isinstance(v, (str, int, float, bool)) or v is None else json.dumps(v)))

    walk("", record)
    return pd.DataFrame(rows, columns=["field", "value"]).set_index("field")
