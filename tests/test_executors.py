"""Executors and the runner over a real study (chapter 04 at a tiny scale)."""
import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from simaug.run import prepare, resolve_notebook, run_specs
from simaug.run.verify import diff_metrics, machine_differences
from simaug.runstore import RunResult, RunStore, spec_key
from simaug.studies import get_study

TINY = {"train_subset": 200, "test_subset": 100, "epochs": 1, "seeds": [0, 1], "device": "cpu"}


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.setenv("SIMAUG_WORK", str(tmp_path / "work"))
    return tmp_path


def tiny_specs(**kw):
    study = get_study("04_cifar10_cnn")
    return study.plan(study.Config.from_params({**TINY, **kw}))


def test_plan_has_one_run_per_seed_and_parameters_change_keys():
    specs = tiny_specs()
    assert [s["seed"] for s in specs] == [0, 1] and len({spec_key(s) for s in specs}) == 2
    assert {spec_key(s) for s in tiny_specs(lr=0.002)}.isdisjoint(spec_key(s) for s in specs)
    assert {spec_key(s) for s in tiny_specs(epochs=2)}.isdisjoint(spec_key(s) for s in specs)
    assert {spec_key(s) for s in tiny_specs(precision="bf16")}.isdisjoint(spec_key(s) for s in specs)


def test_local_executor_stores_each_run_and_skips_stored_ones(work):
    store = RunStore(work / "runs")
    specs = tiny_specs()
    out = run_specs(specs, store, log=lambda m: None)
    assert out.failed == [] and sorted(out.executed) == sorted(spec_key(s) for s in specs)
    run = store.load(specs[0])
    assert 0 <= run.metrics["test_acc"] <= 1 and run.metrics["n_train"] == 200 and len(run.history) == 1
    assert run.result.provenance["commit"] and run.result.provenance["wall_time_s"] > 0
    assert not (work / "work" / "04_cifar10_cnn" / spec_key(specs[0])).exists()  # checkpoints removed once stored
    again = run_specs(specs, store, log=lambda m: None)
    assert again.executed == [] and again.failed == []


def test_local_executor_skips_a_run_another_process_stored_meanwhile(work, monkeypatch):
    """Two commands on one store (e.g. two chunks of a campaign) never train the same run twice."""
    from simaug.run import executors

    store, specs = RunStore(work / "runs"), tiny_specs()
    other = RunStore(work / "runs")
    real = executors.execute_spec

    def first_run_then_the_other_process_stores_the_second(spec, **kw):
        result = real(spec, **kw)
        if spec_key(spec) == spec_key(specs[0]):
            other.write(specs[1], real(specs[1], **kw))  # "another process" finishes seed 1 meanwhile
        return result

    monkeypatch.setattr(executors, "execute_spec", first_run_then_the_other_process_stores_the_second)
    logs = []
    out = run_specs(specs, store, log=logs.append)
    assert out.executed == [spec_key(specs[0])] and store.has(specs[1])
    assert any("stored meanwhile, skipped" in m for m in logs)


@pytest.mark.slow
def test_ray_gives_the_same_stored_metrics_as_local_and_survives_a_failing_run(work):
    pytest.importorskip("ray")
    specs = tiny_specs()
    local, remote = RunStore(work / "local"), RunStore(work / "ray")
    run_specs(specs, local, log=lambda m: None, threads=1)
    broken = {**specs[0], "model": "no_such_model"}
    out = run_specs(specs + [broken], remote, executor="ray", jobs=2, threads=1, log=lambda m: None)
    assert [f.spec for f in out.failed] == [broken] and "no_such_model" in out.failed[0].error
    assert not remote.has(broken)
    for s in specs:
        assert diff_metrics(local.load(s).metrics, remote.load(s).metrics) == []
        assert local.load(s).history.equals(remote.load(s).history)


def _wait_for(path, timeout=120):
    t0 = time.time()
    while not path.exists():
        if time.time() - t0 > timeout:
            raise TimeoutError(path)
        time.sleep(0.05)


@pytest.mark.slow
def test_a_run_killed_mid_way_leaves_no_entry_and_resumes_from_its_checkpoint(work):
    spec = tiny_specs(epochs=3, train_subset=600, seeds=[0])[0]
    store = RunStore(work / "runs")
    code = ("import json, sys, torch; torch.set_num_threads(1); from simaug.run import run_specs; from simaug.runstore import RunStore; "
            f"run_specs([json.loads(sys.argv[1])], RunStore({str(work / 'runs')!r}), log=lambda m: None)")
    env = {**os.environ, "SIMAUG_WORK": str(work / "work")}
    proc = subprocess.Popen([sys.executable, "-c", code, json.dumps(spec)], env=env)
    ckpt = work / "work" / "04_cifar10_cnn" / spec_key(spec) / "checkpoint.pt"
    try:
        _wait_for(ckpt)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not store.has(spec) and ckpt.exists()
    assert [p for p in (work / "runs").rglob("*") if p.is_dir() and p.name.endswith(".tmp")] == []
    # asked for 2 threads, the run resumes at the 1 its checkpoint was trained with (float sums
    # depend on the count), so it equals an uninterrupted 1-thread run exactly
    import torch

    before = torch.get_num_threads()
    try:
        run_specs([spec], store, log=lambda m: None, threads=2)
    finally:
        torch.set_num_threads(before)
    resumed = store.load(spec)
    assert resumed.result.provenance["resumed_from_checkpoint"] is True
    first, second = resumed.result.provenance["sittings"]  # the killed process, then the one that finished it
    assert first["checkpoint_epochs"] == {} and second["checkpoint_epochs"]["."] >= 1
    assert first["time_utc"] <= first["last_checkpoint_utc"] <= second["time_utc"]  # its useful time counts too
    prov = resumed.result.provenance
    assert store.cpu_seconds(spec) >= prov["wall_time_s"] * prov["device"]["torch_threads"]
    assert first["cpu_model"] == second["cpu_model"] == resumed.result.provenance["device"]["cpu_model"]
    assert resumed.result.provenance["device"]["torch_threads"] == 1
    fresh = RunStore(work / "fresh")
    run_specs([spec], fresh, log=lambda m: None, threads=1)
    assert diff_metrics(fresh.load(spec).metrics, resumed.metrics) == []


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "simaug", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def test_runs_status_and_verify(work):
    res = work / "results"
    p = ["-p", "train_subset", "200", "-p", "test_subset", "100", "-p", "epochs", "1", "-p", "seeds", "[0]", "-p", "device", "cpu"]
    env = {"SIMAUG_WORK": str(work / "work")}
    r = _cli("runs", "status", "04", "--results", str(res), "--json", *p, env=env)
    assert r.returncode == 0 and json.loads(r.stdout) == {"planned": 1, "stored": 0, "missing": 1, "cpu_hours": 0.0,
                                                          "in_progress": []}
    nb = resolve_notebook("04")
    prep = prepare(nb, "smoke", {"train_subset": 200, "test_subset": 100, "epochs": 1, "seeds": [0], "device": "cpu"})
    run_specs(prep.specs, RunStore(res / "runs"), log=lambda m: None)
    r = _cli("runs", "status", "04", "--results", str(res), *p, env=env)
    assert r.returncode == 0 and "1 planned, 1 stored, 0 missing" in r.stdout and "CPU-hours" in r.stdout
    # the CPU time is the stored run's wall time times its threads, read from its provenance
    store = RunStore(res / "runs")
    prov = store.load(prep.specs[0]).result.provenance
    assert store.cpu_seconds(prep.specs[0]) == pytest.approx(prov["wall_time_s"] * prov["device"]["torch_threads"])
    st = json.loads(_cli("runs", "status", "04", "--results", str(res), "--json", *p, env=env).stdout)
    assert st["cpu_hours"] == pytest.approx(store.cpu_seconds(prep.specs[0]) / 3600) and st["cpu_hours"] > 0
    r = _cli("runs", "verify", "04", "--results", str(res), "--sample", "1", *p, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all match" in r.stdout
    # a tampered entry is caught, with the metric named
    mpath = RunStore(res / "runs").path(prep.specs[0]) / "metrics.json"
    m = json.loads(mpath.read_text())
    m["test_acc"] += 0.01
    mpath.write_text(json.dumps(m))
    r = _cli("runs", "verify", "04", "--results", str(res), "--sample", "1", *p, env=env)
    assert r.returncode == 1 and "test_acc: stored" in r.stdout


def test_runs_status_lists_the_missing_runs_with_checkpoints_and_their_epochs(work):
    """A campaign's unfinished runs, read from their work folders: which, and how far they got."""
    import torch

    from simaug.runstore import work_dir

    res = work / "results"
    p = ["-p", "train_subset", "200", "-p", "test_subset", "100", "-p", "epochs", "3", "-p", "seeds", "[0, 1, 2]", "-p", "device", "cpu"]
    env = {"SIMAUG_WORK": str(work / "work")}
    prep = prepare(resolve_notebook("04"), "smoke", {"train_subset": 200, "test_subset": 100, "epochs": 3, "seeds": [0, 1, 2], "device": "cpu"})
    first, second, third = prep.specs
    for spec, epoch in [(first, 2), (second, 1)]:  # seed 0 has a checkpoint after 2 of 3 epochs, seed 1 after 1
        folder = work_dir(spec)
        folder.mkdir(parents=True)
        torch.save({"epoch": epoch, "model": {}}, folder / "checkpoint.pt")
    work_dir(third).mkdir(parents=True)  # a work folder without a checkpoint is not progress
    (work_dir(first) / "sub").mkdir()
    torch.save({"epoch": 3}, work_dir(first) / "sub" / "checkpoint.pt")
    st = json.loads(_cli("runs", "status", "04", "--results", str(res), "--json", *p, env=env).stdout)
    assert st["missing"] == 3
    assert [(e["key"], e["epochs"], e["of"]) for e in st["in_progress"]] == [
        (spec_key(first), {".": 2, "sub": 3}, 3), (spec_key(second), {".": 1}, 3)]
    r = _cli("runs", "status", "04", "--results", str(res), *p, env=env)
    assert r.returncode == 0 and "in progress (2 of the missing" in r.stdout
    assert f"{spec_key(second)} " in r.stdout and "seed=1: checkpoint at epoch 1 of 3" in r.stdout
    assert "seed=0: checkpoint at epoch 2 of 3, sub: epoch 3" in r.stdout
    (work_dir(second) / "checkpoint.pt").write_bytes(b"not a checkpoint")  # unreadable: named, with the fix
    r = _cli("runs", "status", "04", "--results", str(res), *p, env=env)
    assert r.returncode == 0 and "cannot read checkpoint" in r.stdout and "delete it to start the run afresh" in r.stdout
    # once stored, a run is no longer in progress even if its work folder is still there
    RunStore(res / "runs").write(first, RunResult(metrics={"test_acc": 0.5}))
    st = json.loads(_cli("runs", "status", "04", "--results", str(res), "--json", *p, env=env).stdout)
    assert st["stored"] == 1 and [e["key"] for e in st["in_progress"]] == [spec_key(second)]


def test_run_no_render_stores_the_runs_and_leaves_the_page(work):
    res = work / "results"
    p = ["-p", "train_subset", "200", "-p", "test_subset", "100", "-p", "epochs", "1", "-p", "seeds", "[0]", "-p", "device", "cpu"]
    env = {"SIMAUG_WORK": str(work / "work")}
    r = _cli("run", "04", "--results", str(res), "--no-render", "--threads", "1", *p, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "runs: 1 planned, 0 stored, 1 to execute" in r.stdout and "page not rendered (--no-render)" in r.stdout
    assert not any(res.rglob("*.ipynb"))
    r = _cli("runs", "status", "04", "--results", str(res), "--json", *p, env=env)
    st = json.loads(r.stdout)
    assert {k: st[k] for k in ("planned", "stored", "missing")} == {"planned": 1, "stored": 1, "missing": 0}


@pytest.mark.parametrize("args,needle", [
    (["-p", "epochs", "-1"], "epochs=-1"),
    (["-p", "device", "tpu"], "device='tpu'"),
    (["--threads", "0"], "--threads 0"),
    (["--jobs", "0"], "--jobs 0"),
    (["--executor", "slurm"], "--executor 'slurm'"),
    (["-p", "seeds", "[]"], "seeds=[]"),
])
def test_runner_refuses_bad_parameters_before_any_kernel_starts(work, args, needle):
    res = work / "results"
    r = _cli("run", "04", "--results", str(res), *args)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr
    assert not res.exists() or not any(res.rglob("*.ipynb"))


def test_a_failed_render_never_replaces_the_published_notebook(work, monkeypatch):
    from simaug.run import runner

    nb_path = work / "99_fails.ipynb"
    book = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("x = 1")
    params.metadata["tags"] = ["parameters"]
    book.cells = [params, nbformat.v4.new_code_cell("raise RuntimeError('kernel failed')")]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(book, nb_path)
    published = work / "results" / "report" / "99_fails.ipynb"
    published.parent.mkdir(parents=True)
    published.write_text("the committed page")
    prep = runner.Prepared(nb_path, "report", {"x": 2}, None, None, [])
    with pytest.raises(Exception, match="kernel failed"):
        runner.render(prep, work / "results")
    assert published.read_text() == "the committed page"
    assert sorted(p.name for p in published.parent.iterdir()) == ["99_fails.ipynb"]


def test_verify_names_what_differs_between_the_machines():
    """A re-execution on another CPU need not match bit for bit; verify says which part of the
    machine differs, from what both provenance records hold (older ones lack the CPU model)."""
    old = {"device": {"cpu": "x86_64", "cpu_bf16_flags": ["amx_bf16", "avx512_bf16"]}, "versions": {"torch": "2.14.1"}}
    amd = {"device": {"cpu": "x86_64", "cpu_model": "AMD EPYC", "cpu_bf16_flags": ["avx512_bf16"]}, "versions": {"torch": "2.14.1"}}
    assert machine_differences(old, amd) == ["bf16 CPU flags amx_bf16+avx512_bf16 then, avx512_bf16 now"]
    assert machine_differences(amd, amd) == [] and machine_differences(old, old) == []
    intel = {"device": {**amd["device"], "cpu_model": "Intel Xeon"}, "versions": {"torch": "2.15.0"}}
    assert machine_differences(intel, amd) == ["CPU Intel Xeon then, AMD EPYC now", "torch 2.15.0 then, 2.14.1 now"]
    # stored on this CPU, but resumed from epochs trained on another one
    mixed = {**amd, "sittings": [{"cpu_model": "Intel Xeon"}, {"cpu_model": "AMD EPYC"}]}
    assert machine_differences(mixed, amd) == ["sittings on Intel Xeon, AMD EPYC now"]
    assert machine_differences({**amd, "sittings": [{"cpu_model": "AMD EPYC"}]}, amd) == []
