"""A content-addressed store of finished runs (see the package docstring for the layout)."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional

import numpy as np
import pandas as pd

from .result import RunResult
from .spec import canonical, spec_key

REPO_ROOT = Path(__file__).resolve().parents[2]
RESERVED = {"spec", "metrics", "history", "provenance", "artifacts"}


def work_dir(spec: Dict[str, Any], root: Optional[os.PathLike] = None) -> Path:
    """The (git-ignored) folder for the checkpoints of an unfinished run: ``$SIMAUG_WORK`` or
    ``<repo>/runs/work``, then ``<study>/<key>``."""
    base = Path(root or os.environ.get("SIMAUG_WORK") or REPO_ROOT / "runs" / "work")
    return base / spec["study"] / spec_key(spec)


@dataclass
class StoredRun:
    """A stored run, read back: its spec and everything :class:`RunResult` held."""

    key: str
    spec: Dict[str, Any]
    result: RunResult
    path: Path

    @property
    def metrics(self) -> Dict[str, Any]:
        return self.result.metrics

    @property
    def history(self) -> Optional[pd.DataFrame]:
        return self.result.history


class RunStore:
    """Finished runs under ``root/<study>/<key>/``.

    Example:
        >>> store = RunStore("results/runs")                      # doctest: +SKIP
        >>> store.write(spec, RunResult(metrics={"test_acc": 0.7}))  # doctest: +SKIP
        >>> store.load(spec).metrics["test_acc"]                  # doctest: +SKIP
        0.7
    """

    def __init__(self, root: os.PathLike):
        self.root = Path(root)

    def path(self, spec: Dict[str, Any]) -> Path:
        return self.root / spec["study"] / spec_key(spec)

    def has(self, spec: Dict[str, Any]) -> bool:
        """True when a complete entry for exactly this spec exists."""
        p = self.path(spec)
        return (p / "metrics.json").is_file() and (p / "spec.json").is_file()

    def missing(self, specs: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
        return [s for s in specs if not self.has(s)]

    def cpu_seconds(self, spec: Dict[str, Any]) -> Optional[float]:
        """CPU time a stored run took: its wall time times the torch threads it ran with (from its
        provenance, without reading its arrays), plus, for a run resumed from checkpoints, each
        earlier sitting's time from its start to its last checkpoint (at the same thread count:
        a resume keeps it); None when the run is not stored or its provenance lacks either number."""
        f = self.path(spec) / "provenance.json"
        if not self.has(spec) or not f.is_file():
            return None
        prov = json.loads(f.read_text())
        wall, threads = prov.get("wall_time_s"), (prov.get("device") or {}).get("torch_threads")
        if wall is None or threads is None:
            return None
        earlier = sum(_seconds_between(s["time_utc"], s["last_checkpoint_utc"])
                      for s in prov.get("sittings", [])[:-1] if "last_checkpoint_utc" in s)
        return (float(wall) + earlier) * int(threads)

    # -- writing ------------------------------------------------------------------------
    def write(self, spec: Dict[str, Any], result: RunResult) -> Path:
        """Write an entry atomically: everything goes to a temporary folder beside the
        destination, which is then renamed into place. An existing entry is kept."""
        dest = self.path(spec)
        if self.has(spec):
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        clash = sorted(RESERVED & set(result.tables))
        if clash:
            raise ValueError(f"table names {clash} are reserved for the store's own files; rename them")
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
        try:
            (tmp / "spec.json").write_text(json.dumps(json.loads(canonical(spec)), indent=1, sort_keys=True) + "\n")
            (tmp / "metrics.json").write_text(json.dumps(_jsonable(result.metrics), indent=1, sort_keys=True, allow_nan=True) + "\n")
            if result.history is not None:
                result.history.to_csv(tmp / "history.csv", index=False)
            for name, table in result.tables.items():
                table.to_csv(tmp / f"{name}.csv", index=True)
            if result.arrays:
                np.savez_compressed(tmp / "artifacts.npz", **{k: np.asarray(v) for k, v in result.arrays.items()})
            if result.provenance:
                (tmp / "provenance.json").write_text(json.dumps(_jsonable(result.provenance), indent=1) + "\n")
            os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; follow the umask like any folder
            try:
                os.rename(tmp, dest)
            except OSError:
                if not self.has(spec):  # not a concurrent writer of the same run: a real failure
                    raise
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return dest

    # -- reading ------------------------------------------------------------------------
    def load(self, spec: Dict[str, Any]) -> StoredRun:
        p = self.path(spec)
        if not self.has(spec):
            raise KeyError(f"run {spec_key(spec)} of study {spec['study']!r} is not in the store {self.root}")
        return self._read(p)

    def _read(self, p: Path) -> StoredRun:
        spec = json.loads((p / "spec.json").read_text())
        metrics = json.loads((p / "metrics.json").read_text())
        history = pd.read_csv(p / "history.csv") if (p / "history.csv").is_file() else None
        arrays: Dict[str, np.ndarray] = {}
        if (p / "artifacts.npz").is_file():
            with np.load(p / "artifacts.npz", allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        tables = {f.stem: pd.read_csv(f, index_col=0) for f in sorted(p.glob("*.csv")) if f.stem not in RESERVED}
        prov = json.loads((p / "provenance.json").read_text()) if (p / "provenance.json").is_file() else {}
        return StoredRun(p.name, spec, RunResult(metrics, history, arrays, tables, prov), p)

    def entries(self, study: str) -> Iterator[StoredRun]:
        """Every complete entry of ``study`` (any version)."""
        folder = self.root / study
        if not folder.is_dir():
            return
        for p in sorted(folder.iterdir()):
            if not p.name.startswith(".") and (p / "metrics.json").is_file():
                yield self._read(p)

    def stale(self, study: str, version: Any) -> List[StoredRun]:
        """Entries written by another version of the study: kept on disk, never used."""
        return [e for e in self.entries(study) if e.spec.get("version") != version]


def _seconds_between(start: str, end: str) -> float:
    """Seconds from one ISO 8601 time to another (0 if the end is not later)."""
    return max(0.0, (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if hasattr(v, "item") and callable(v.item) and getattr(v, "ndim", 1) == 0:  # 0-d torch tensors
        return v.item()
    return v
