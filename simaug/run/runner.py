"""Execute notebooks with papermill at a profile: ``python -m simaug run NOTEBOOK|all``.

Outputs go to ``results/<profile>/<notebook>.ipynb`` (the executed notebook the book renders)
and ``results/<profile>/<notebook>/`` (checkpoints, histories, ``provenance.json``). A killed
run restarted with the same command resumes from the notebooks' trainer checkpoints; the new
``provenance.json`` keeps the earlier runs' records (commit, wall time) under ``previous_runs``.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from ..data.paths import REPO_ROOT
from .params import ParameterError, read_parameters, validate
from .profiles import PROFILES, profile_params

RESULTS = REPO_ROOT / "results"


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


def run_notebook(notebook: Path, profile: str, overrides: Optional[Dict[str, Any]] = None,
                 results: Path = RESULTS, kernel_name: str = "python3") -> Path:
    import papermill as pm

    from .. import provenance

    params = plan(notebook, profile, overrides or {})
    out_dir = Path(results) / profile
    run_dir = out_dir / notebook.stem
    run_dir.mkdir(parents=True, exist_ok=True)
    out_nb = out_dir / notebook.name
    rec_path = run_dir / "provenance.json"
    previous = []  # a re-run resumes from checkpoints: keep what the earlier runs recorded
    if rec_path.exists():
        import json

        old = json.loads(rec_path.read_text())
        previous = old.pop("previous_runs", []) + [
            {k: old.get(k) for k in ("time_utc", "commit", "wall_time_s", "profile", "injected")}]
    env_before = {k: os.environ.get(k) for k in ("SIMAUG_RUN_DIR", "SIMAUG_PROFILE")}
    os.environ.update(SIMAUG_RUN_DIR=str(run_dir), SIMAUG_PROFILE=profile)
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(str(notebook), str(out_nb), parameters=params, cwd=str(notebook.parent),
                            kernel_name=kernel_name, progress_bar=False, report_mode=False)
    finally:
        for k, v in env_before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    wall = time.perf_counter() - t0
    inner = {}
    if rec_path.exists():
        import json

        inner = json.loads(rec_path.read_text())
    rec = dict(inner)  # the notebook's own record (seeds, results), then the runner's view
    rec.update(provenance.collect(params={**read_parameters(notebook), **params}, datasets=inner.get("datasets", []),
                             wall_time_s=wall, notebook=notebook.stem, profile=profile, injected=params,
                             executed_notebook=str(out_nb.relative_to(REPO_ROOT) if out_nb.is_relative_to(REPO_ROOT) else out_nb),
                               previous_runs=previous))
    if inner.get("device"):  # the kernel's view (its torch threads), not the runner process's
        rec["device"] = inner["device"]
    provenance.write(rec, rec_path)
    return out_nb
