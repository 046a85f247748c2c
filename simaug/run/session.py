"""The notebook's side of a study: plan, execute what is missing, read the stored runs.

Under the runner (``python -m simaug run``) every run is already in the store and the
notebook only renders; executed directly (Jupyter, nbval) it runs its missing runs
in-process into ``runs/scratch/`` so that nbval still exercises real training.

Example (the setup cell of a notebook)::

    session = StudySession("04_cifar10_cnn", globals())
    runs = session.runs()            # StoredRun objects in plan order
    ...
    session.finish()                 # provenance table, provenance.json
"""
from __future__ import annotations

import dataclasses
import html
import json
import os
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pandas as pd

from .. import provenance
from ..data.paths import REPO_ROOT
from ..runstore import RunStore, StoredRun
from ..studies import get_study
from .executors import run_specs
from .params import read_parameters

SCRATCH = REPO_ROOT / "runs" / "scratch"


def notebook_path(name: str) -> Path:
    return REPO_ROOT / "notebooks" / f"{name}.ipynb"


def relative(path: os.PathLike) -> str:
    """``path`` relative to the repository when inside it (no machine paths in outputs)."""
    p = Path(path).resolve()
    return str(p.relative_to(REPO_ROOT)) if p.is_relative_to(REPO_ROOT) else p.name


class StudySession:
    """Binds a notebook's parameters to its study, its store and its provenance."""

    def __init__(self, name: str, namespace: Dict[str, Any]):
        self.name = name
        self.study = get_study(name)
        keys = read_parameters(notebook_path(name))
        self.params = {k: namespace[k] for k in keys}
        self.config = self.study.Config.from_params(self.params)
        self.profile = os.environ.get("SIMAUG_PROFILE", "smoke (notebook defaults, executed directly)")
        self.results = Path(os.environ.get("SIMAUG_RESULTS") or SCRATCH)
        self.store = RunStore(self.results / "runs")
        self.dir = Path(os.environ.get("SIMAUG_RUN_DIR") or SCRATCH / name)
        threads = os.environ.get("SIMAUG_THREADS")
        if threads:
            import torch

            torch.set_num_threads(int(threads))
        self.specs = self.study.plan(self.config)
        self.t0 = time.perf_counter()
        self._runs: Optional[List[StoredRun]] = None

    def status(self) -> Dict[str, int]:
        stored = sum(self.store.has(s) for s in self.specs)
        return {"planned": len(self.specs), "stored": stored, "missing": len(self.specs) - stored}

    def runs(self) -> List[StoredRun]:
        """Every planned run, executing the missing ones here first (local executor)."""
        if self._runs is None:
            st = self.status()
            print(f"runs: {st['planned']} planned, {st['stored']} stored, {st['missing']} to execute")
            out = run_specs(self.specs, self.store, executor="local", log=lambda m: None)
            if out.failed:
                raise RuntimeError("\n".join(f.describe() for f in out.failed))
            self._runs = [self.store.load(s) for s in self.specs]
        return self._runs

    def earlier(self, **changes: Any) -> Tuple[Any, List[StoredRun]]:
        """An earlier execution of this design: its config (this one with ``changes``) and
        those of its planned runs that are in the store (nothing is executed). A design
        revised after a failed gate shows the gate's values at the earlier setting from here."""
        config = dataclasses.replace(self.config, **changes)
        specs = self.study.plan(config)
        return config, [self.store.load(s) for s in specs if self.store.has(s)]

    # -- claims and provenance -------------------------------------------------------------
    def write_claims(self, claims: Sequence[Any]) -> Path:
        """The chapter's claims, to ``<results>/claims/<notebook>.json`` (the ledger collects them)."""
        path = self.results / "claims" / f"{self.name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([c.to_dict() if hasattr(c, "to_dict") else c for c in claims], indent=1) + "\n")
        return path

    def record(self) -> Dict[str, Any]:
        runs = self.runs()
        provs = [r.result.provenance for r in runs]
        datasets: Dict[str, Dict[str, Any]] = {}
        for p in provs:
            for d in p.get("datasets", []):
                datasets.setdefault(f"{d.get('name')}/{d.get('split')}", d)
        commits = sorted({p.get("commit", "unknown") for p in provs})
        return provenance.collect(
            params=self.params, datasets=list(datasets.values()), notebook=self.name, profile=self.profile,
            runs=[{"key": r.key, "seed": r.spec.get("seed"), "commit": p.get("commit"), "wall_time_s": p.get("wall_time_s"),
                   "device": (p.get("device") or {}).get("cpu"), "threads": (p.get("device") or {}).get("torch_threads")}
                  for r, p in zip(runs, provs)],
            run_commits=commits, training_wall_time_s=round(sum(p.get("wall_time_s") or 0.0 for p in provs), 1),
            render_wall_time_s=round(time.perf_counter() - self.t0, 1),
            store=relative(self.store.root))

    def finish(self) -> None:
        """Write ``provenance.json`` and show a short table with the full record collapsed."""
        from IPython.display import HTML, display

        rec = self.record()
        path = provenance.write(rec, self.dir / "provenance.json")
        seeds = sorted({r["seed"] for r in rec["runs"] if r["seed"] is not None})
        v = rec["versions"]
        short = pd.DataFrame({"value": {
            "commit (render)": rec["commit"],
            "commit(s) of the runs": ", ".join(c[:12] + ("-dirty" if c.endswith("-dirty") else "") for c in rec["run_commits"]),
            "profile": rec["profile"],
            "runs (seeds)": f"{len(rec['runs'])} ({', '.join(map(str, seeds))})",
            "data (sha256 of the decoded images)": "; ".join(f"{k}: {d.get('images_sha256', d.get('sha256', '?'))[:16]}…"
                                                          for k, d in ((f"{d.get('name')}/{d.get('split')}", d) for d in rec["datasets"])),
            "versions": f"simaug {v.get('simaug')}, torch {v.get('torch')}, torchvision {v.get('torchvision')}, python {v.get('python')}",
            "device": f"{rec['device'].get('cpu')} ({rec['device'].get('cpu_count')} cores); runs: "
                      + ", ".join(sorted({f"{r['device']} × {r['threads']} threads" for r in rec["runs"]})),
            "wall time": f"{rec['training_wall_time_s'] / 60:.1f} min of training (sum over runs), {rec['render_wall_time_s']:.0f} s to render",
        }})
        display(short)
        full = html.escape(json.dumps(rec, indent=1))
        display(HTML(f"<details><summary>Full provenance record (<code>{relative(path)}</code>; "
                     f"each run's own record is in <code>{rec['store']}/&lt;study&gt;/&lt;key&gt;/provenance.json</code>)</summary>"
                     f"<pre style='max-height:30em;overflow:auto'>{full}</pre></details>"))
