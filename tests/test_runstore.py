"""Run store: spec hashing, atomic entries, staleness."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from simaug.runstore import RunResult, RunStore, SpecError, canonical, spec_key, work_dir

SPEC = {"study": "99_toy", "version": 1, "data": {"name": "cifar10", "train_subset": 200, "subset_seed": 0},
        "model": "simple_cnn", "train": {"lr": 0.01, "epochs": 2, "milestones": [1, 2], "flip": True}, "seed": 3}


def _leaves(d, path=()):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _leaves(v, path + (k,))
        else:
            yield path + (k,), v


def _set(d, path, value):
    d = json.loads(json.dumps(d))
    cur = d
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value
    return d


def test_key_is_stable_across_processes_and_key_order():
    code = f"import json; from simaug.runstore import spec_key; print(spec_key(json.loads({json.dumps(json.dumps(SPEC))})))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert other == spec_key(SPEC)
    reordered = {k: SPEC[k] for k in reversed(list(SPEC))}
    reordered["train"] = {k: SPEC["train"][k] for k in reversed(list(SPEC["train"]))}
    assert spec_key(reordered) == spec_key(SPEC) and len(spec_key(SPEC)) == 16


def test_any_change_of_any_field_changes_the_key():
    keys = {spec_key(SPEC)}
    for path, value in _leaves(SPEC):
        changed = {int: lambda v: v + 1, float: lambda v: v * 1.5, str: lambda v: v + "x", bool: lambda v: not v,
                   list: lambda v: v + [9]}[type(value)](value)
        keys.add(spec_key(_set(SPEC, path, changed)))
    assert len(keys) == 1 + len(list(_leaves(SPEC)))
    # a new field, and int vs float of the same number, are changes too
    assert spec_key({**SPEC, "extra": None}) != spec_key(SPEC)
    assert spec_key(_set(SPEC, ("seed",), 3.0)) != spec_key(SPEC)


@pytest.mark.parametrize("bad,match", [
    ({"version": 1}, "no 'study' field"),
    ({**SPEC, "lr": float("nan")}, "finite numbers"),
    ({**SPEC, "t": (1, object())}, "JSON values only"),
    ({**SPEC, "d": {1: 2}}, "non-string key"),
])
def test_bad_specs_are_refused_with_the_field_named(bad, match):
    with pytest.raises(SpecError, match=match):
        spec_key(bad)


def _result():
    return RunResult(metrics={"train_acc": 0.5, "test_acc": np.float32(0.25), "cm_total": 7},
                     history=pd.DataFrame({"epoch": [1, 2], "test_acc": [0.1, 0.25]}),
                     arrays={"test_cm": np.eye(3, dtype=np.int64)}, tables={"per_class": pd.DataFrame({"acc": [0.1, 0.2]}, index=["a", "b"])},
                     provenance={"commit": "abc", "wall_time_s": 1.0})


def test_write_then_load_round_trips(tmp_path):
    store = RunStore(tmp_path / "runs")
    assert not store.has(SPEC) and store.missing([SPEC]) == [SPEC]
    path = store.write(SPEC, _result())
    assert path == tmp_path / "runs" / "99_toy" / spec_key(SPEC)
    assert sorted(p.name for p in path.iterdir()) == ["artifacts.npz", "history.csv", "metrics.json", "per_class.csv", "provenance.json", "spec.json"]
    run = store.load(SPEC)
    assert run.spec == json.loads(canonical(SPEC)) and run.metrics == {"train_acc": 0.5, "test_acc": 0.25, "cm_total": 7}
    assert run.history.test_acc.tolist() == [0.1, 0.25] and (run.result.arrays["test_cm"] == np.eye(3)).all()
    assert run.result.tables["per_class"].loc["b", "acc"] == 0.2 and run.result.provenance["commit"] == "abc"
    assert [e.key for e in store.entries("99_toy")] == [spec_key(SPEC)]


def test_cpu_seconds_are_wall_time_times_threads(tmp_path):
    store = RunStore(tmp_path / "runs")
    assert store.cpu_seconds(SPEC) is None  # not stored
    store.write(SPEC, _result())
    assert store.cpu_seconds(SPEC) is None  # the provenance names no thread count
    r = _result()
    r.provenance["device"] = {"torch_threads": 2}
    other = {**SPEC, "seed": 12345}
    store.write(other, r)
    assert store.cpu_seconds(other) == 2.0  # 1.0 s of wall time on 2 threads


def test_a_failed_write_leaves_no_entry_and_no_temporary_folder(tmp_path, monkeypatch):
    store = RunStore(tmp_path / "runs")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", boom)
    with pytest.raises(OSError, match="disk full"):
        store.write(SPEC, _result())
    assert not store.has(SPEC)
    assert list((tmp_path / "runs" / "99_toy").iterdir()) == []


def test_entries_follow_the_umask(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        path = RunStore(tmp_path / "runs").write(SPEC, _result())
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o755


def test_other_versions_are_stale_not_stored(tmp_path):
    store = RunStore(tmp_path / "runs")
    store.write(SPEC, _result())
    newer = {**SPEC, "version": 2}
    assert not store.has(newer) and store.has(SPEC)
    assert [e.spec["version"] for e in store.stale("99_toy", 2)] == [1]


def test_work_dir_is_keyed_by_the_spec(tmp_path, monkeypatch):
    monkeypatch.setenv("SIMAUG_WORK", str(tmp_path / "work"))
    assert work_dir(SPEC) == tmp_path / "work" / "99_toy" / spec_key(SPEC)
    assert work_dir({**SPEC, "seed": 4}) != work_dir(SPEC)


def test_cpu_seconds_add_the_earlier_sittings_of_a_resumed_run(tmp_path):
    store = RunStore(tmp_path / "runs")
    r = _result()  # 1.0 s of wall time in its last sitting
    r.provenance["device"] = {"torch_threads": 2}
    r.provenance["sittings"] = [
        {"time_utc": "2026-12-02T10:00:00+00:00", "last_checkpoint_utc": "2026-12-02T10:30:00+00:00"},  # 1,800 s
        {"time_utc": "2026-12-03T09:00:00+00:00", "last_checkpoint_utc": "2026-12-03T09:00:10+00:00"},  # 10 s
        {"time_utc": "2026-12-04T09:00:00+00:00"},  # the sitting that finished it: its wall time
    ]
    store.write(SPEC, r)
    assert store.cpu_seconds(SPEC) == (1800 + 10 + 1.0) * 2
