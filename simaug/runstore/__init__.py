"""The run store: every training run is a JSON spec, keyed by a hash of its canonical form,
and stored (metrics, history, small artefacts, provenance) once it has finished.

    from simaug.runstore import RunStore, RunResult, spec_key
    store = RunStore("results/runs")
    if not store.has(spec):
        store.write(spec, execute(spec))
    result = store.load(spec)

Layout: ``<root>/<study>/<key>/{spec.json, metrics.json, history.csv, artifacts.npz,
<table>.csv, provenance.json}``; entries are written atomically and only on success.
Checkpoints of unfinished runs live in an ignored work folder keyed by the same hash
(:func:`work_dir`), so an interrupted run resumes and a changed spec is a different run.
"""
from .result import RunResult
from .spec import SpecError, canonical, spec_key, unique_specs
from .store import RunStore, StoredRun, work_dir

__all__ = ["RunResult", "RunStore", "StoredRun", "SpecError", "canonical", "spec_key", "unique_specs", "work_dir"]
