"""What a notebook knows about the run executing it.

The runner sets ``SIMAUG_RUN_DIR`` (where checkpoints, histories and ``provenance.json`` go),
``SIMAUG_PROFILE`` and optionally ``SIMAUG_THREADS`` (torch threads); run by hand or by nbval, a notebook writes to ``runs/scratch/<name>``.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from .. import provenance
from ..data.paths import REPO_ROOT
from .params import read_parameters


def notebook_path(name: str) -> Path:
    return REPO_ROOT / "notebooks" / f"{name}.ipynb"


class NotebookRun:
    """Captures a notebook's parameters, its data checksums and its wall time.

    Example (the setup cell of a notebook)::

        run = NotebookRun("04_cifar10_cnn", globals())
        ...
        run.add_dataset(train.meta)
        run.finish(seeds=seeds)          # writes provenance.json, returns a display table
    """

    def __init__(self, name: str, namespace: Dict[str, Any]):
        self.name = name
        names = read_parameters(notebook_path(name))
        self.params = {k: namespace[k] for k in names}
        self.profile = os.environ.get("SIMAUG_PROFILE", "smoke (notebook defaults, not run by the runner)")
        self.dir = Path(os.environ.get("SIMAUG_RUN_DIR") or REPO_ROOT / "runs" / "scratch" / name)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.datasets: List[Dict[str, Any]] = []
        threads = os.environ.get("SIMAUG_THREADS")
        if threads:  # the runner's --threads: run two notebooks side by side without oversubscription
            import torch

            torch.set_num_threads(int(threads))
        self.t0 = time.perf_counter()

    def path(self, *parts: str) -> Path:
        p = self.dir.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def add_dataset(self, meta: Dict[str, Any]) -> None:
        self.datasets.append(meta)

    def record(self, **extra: Any) -> Dict[str, Any]:
        return provenance.collect(params=self.params, datasets=self.datasets,
                                  wall_time_s=time.perf_counter() - self.t0,
                                  notebook=self.name, profile=self.profile, **extra)

    def finish(self, **extra: Any) -> None:
        """Write ``provenance.json`` and display the whole record as a table."""
        import pandas as pd
        from IPython.display import display

        rec = self.record(**extra)
        provenance.write(rec, self.dir / "provenance.json")
        with pd.option_context("display.max_rows", None, "display.max_colwidth", 120):
            display(provenance.as_frame(rec))
