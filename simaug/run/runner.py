"""``python -m simaug run NOTEBOOK|all``: plan a study's runs, execute the missing ones, render.

1. The notebook's parameters for a profile (``simaug/run/profiles``) plus ``-p`` overrides are
   checked against its parameters cell (names, types) and its study's ``Config`` (values),
   before any run or kernel starts: a bad value is a :class:`ParameterError` (exit code 2).
2. ``plan(config)`` lists the runs; the store (``<results>/runs``) says which are missing;
   an executor (``local`` or ``ray``) runs them, storing each as it finishes.
3. Papermill renders the notebook from the store into a temporary file, which replaces
   ``<results>/<profile>/<notebook>.ipynb`` only when execution succeeded, so a failed or
   interrupted render never destroys a published page.
"""
from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from ..data.paths import REPO_ROOT
from ..runstore import RunStore, spec_key, work_dir
from ..studies import ConfigError, get_study
from .executors import EXECUTORS, Outcome, checkpoint_epochs, run_label, run_specs
from .params import ParameterError, read_parameters, validate
from .profiles import profile_params

RESULTS = REPO_ROOT / "results"


class RunFailed(RuntimeError):
    """Some runs failed; they are reported and left out of the store."""


def list_notebooks() -> List[str]:
    return sorted(p.stem for p in (REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def resolve_notebook(key: str) -> Path:
    """``04``, ``04_cifar10_cnn`` or a path -> the notebook's path."""
    p = Path(key)
    if p.suffix == ".ipynb" and p.exists():
        return p.resolve()
    matches = [n for n in list_notebooks() if n == key or n.split("_", 1)[0] == key]
    if len(matches) != 1:
        raise ParameterError(f"no single notebook matches {key!r}; choose one of {list_notebooks()} or 'all'")
    return REPO_ROOT / "notebooks" / f"{matches[0]}.ipynb"


def plan(notebook: Path, profile: str, overrides: Dict[str, Any]) -> Dict[str, Any]:
    """The validated parameters a run would inject (profile values, then overrides)."""
    defaults = read_parameters(notebook)
    params = profile_params(notebook.stem, profile)
    validate(notebook, params, defaults)
    validate(notebook, overrides, defaults)
    params.update(overrides)
    return params


@dataclass
class Prepared:
    notebook: Path
    profile: str
    params: Dict[str, Any]  # injected (profile + overrides)
    study: Any
    config: Any
    specs: List[Dict[str, Any]]


def prepare(notebook: Path, profile: str, overrides: Optional[Dict[str, Any]] = None) -> Prepared:
    """Validate everything and plan the runs; raises :class:`ParameterError` on bad input."""
    params = plan(notebook, profile, overrides or {})
    study = get_study(notebook.stem)
    try:
        config = study.Config.from_params({**read_parameters(notebook), **params})
    except ConfigError as e:
        raise ParameterError(f"{notebook.stem} at profile {profile}: {e}") from None
    return Prepared(notebook, profile, params, study, config, study.plan(config))


def check_threads(threads: Optional[int]) -> None:
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise ParameterError(f"--threads {threads!r}: give a whole number of torch threads >= 1 (or leave it out)")


def status(prep: Prepared, results: Path = RESULTS, work_root: Optional[os.PathLike] = None) -> Dict[str, Any]:
    """``planned``, ``stored`` and ``missing`` run counts, ``cpu_hours``: the stored runs'
    wall times times their torch threads, summed (runs without both numbers count 0), and
    ``in_progress``: the missing runs with checkpoints in their work folder (``work_root``, by
    default ``$SIMAUG_WORK`` or ``runs/work``), each with its key, label, the epochs its
    checkpoints completed (``{".": 58}``; sub-runs by their folder) and the epochs it trains
    (``of``, when its spec says); an unreadable checkpoint gives ``error`` instead. A run there
    resumes from those epochs when executed again."""
    store = RunStore(Path(results) / "runs")
    stored = sum(store.has(s) for s in prep.specs)
    cpu = sum(store.cpu_seconds(s) or 0.0 for s in prep.specs)
    in_progress = []
    for spec in store.missing(prep.specs):
        folder = work_dir(spec, work_root)
        if not folder.is_dir():
            continue
        entry = {"key": spec_key(spec), "label": run_label(spec), "of": (spec.get("train") or {}).get("epochs")}
        try:
            entry["epochs"], _ = checkpoint_epochs(folder)
        except RuntimeError as e:  # names the file and the fix (delete it to start the run afresh)
            in_progress.append({**entry, "epochs": {}, "error": str(e)})
            continue
        if entry["epochs"]:
            in_progress.append(entry)
    return {"planned": len(prep.specs), "stored": stored, "missing": len(prep.specs) - stored,
            "cpu_hours": cpu / 3600, "in_progress": in_progress}


def describe_progress(entry: Dict[str, Any]) -> str:
    """One line for an ``in_progress`` entry of :func:`status`."""
    if entry.get("error"):
        return f"{entry['label']}: {entry['error']}"
    total = f" of {entry['of']}" if entry.get("of") else ""
    where = ", ".join(f"epoch {e}{total}" if sub == "." else f"{sub}: epoch {e}" for sub, e in sorted(entry["epochs"].items()))
    return f"{entry['label']}: checkpoint at {where}"


def execute(prep: Prepared, results: Path = RESULTS, executor: str = "local", jobs: int = 1, address: Optional[str] = None,
            threads: Optional[int] = None, log: Callable[[str], None] = print) -> Outcome:
    """Print ``runs: N planned, K stored, M to execute`` and execute the missing runs."""
    if executor not in EXECUTORS:
        raise ParameterError(f"--executor {executor!r}: choose one of {EXECUTORS}")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ParameterError(f"--jobs {jobs!r}: give a whole number of concurrent runs >= 1")
    check_threads(threads)
    st = status(prep, results)
    log(f"runs: {st['planned']} planned, {st['stored']} stored, {st['missing']} to execute")
    return run_specs(prep.specs, RunStore(Path(results) / "runs"), executor=executor, jobs=jobs, address=address,
                     threads=threads, log=log)


def render(prep: Prepared, results: Path = RESULTS, threads: Optional[int] = None, kernel_name: str = "python3") -> Path:
    """Execute the notebook with papermill into a temporary file; replace the published one
    only on success."""
    import nbformat
    import papermill as pm

    check_threads(threads)
    out_dir = Path(results) / prep.profile
    out_dir.mkdir(parents=True, exist_ok=True)
    out_nb = out_dir / prep.notebook.name
    fd, tmp = tempfile.mkstemp(prefix=f".{prep.notebook.stem}.", suffix=".ipynb", dir=out_dir)
    os.close(fd)
    env = {"SIMAUG_RESULTS": str(Path(results).resolve()), "SIMAUG_PROFILE": prep.profile,
           "SIMAUG_RUN_DIR": str((out_dir / prep.notebook.stem).resolve())}
    if threads:
        env["SIMAUG_THREADS"] = str(threads)
    before = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        pm.execute_notebook(str(prep.notebook), tmp, parameters=prep.params, cwd=str(prep.notebook.parent),
                            kernel_name=kernel_name, progress_bar=False, report_mode=False)
        nb = nbformat.read(tmp, as_version=4)
        meta = nb.metadata.get("papermill", {})
        meta["input_path"] = _rel(prep.notebook)
        meta["output_path"] = _rel(out_nb)
        nbformat.write(nb, tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a page is an ordinary file
        os.replace(tmp, out_nb)
    finally:
        Path(tmp).unlink(missing_ok=True)
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return out_nb


def run_notebook(notebook: Path, profile: str, overrides: Optional[Dict[str, Any]] = None, results: Path = RESULTS,
                 executor: str = "local", jobs: int = 1, address: Optional[str] = None, threads: Optional[int] = None,
                 log: Callable[[str], None] = print, render_page: bool = True) -> Optional[Path]:
    """Plan, execute the missing runs, render (unless ``render_page`` is false: then None).
    Raises :class:`RunFailed` (nothing rendered) when a run failed."""
    prep = prepare(notebook, profile, overrides)
    check_threads(threads)
    t0 = time.perf_counter()
    out = execute(prep, results, executor=executor, jobs=jobs, address=address, threads=threads, log=log)
    if out.failed:
        raise RunFailed(f"{len(out.failed)} of {len(prep.specs)} runs failed (the others are stored); "
                        f"{prep.notebook.stem} was not rendered:\n" + "\n".join(f.describe() for f in out.failed))
    if out.executed:
        log(f"executed {len(out.executed)} runs in {time.perf_counter() - t0:.0f} s")
    if not render_page:
        return None
    return render(prep, results, threads=threads)


def _rel(p: Path) -> str:
    p = Path(p).resolve()
    return str(p.relative_to(REPO_ROOT)) if p.is_relative_to(REPO_ROOT) else p.name
