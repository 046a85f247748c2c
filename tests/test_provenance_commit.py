"""Provenance records: the commit is the code the process imported, not the HEAD at the moment the
record is written (a campaign's runs can end after the checkout moved on); the CPU model is recorded."""
import subprocess

import pytest

from simaug import provenance


def test_commit_is_taken_at_import_not_when_the_record_is_written(monkeypatch):
    at_import = provenance.code_commit()
    monkeypatch.setattr(provenance, "git_commit", lambda *a, **k: "f" * 40 + " (HEAD moved on)")
    record = provenance.collect(params={"seed": 0}, wall_time_s=1.0)
    assert record["commit"] == at_import


def test_code_commit_names_a_commit_of_this_checkout():
    sha = provenance.code_commit().split("-")[0]
    if sha.startswith("unknown"):
        pytest.skip("not a git checkout")
    kind = subprocess.run(["git", "cat-file", "-t", sha], cwd=provenance.REPO_ROOT, capture_output=True, text=True)
    assert kind.stdout.strip() == "commit"


def test_cpu_model_is_read_from_cpuinfo(tmp_path):
    from simaug.provenance import cpu_model, device_info

    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9R14\nflags\t\t: fpu avx512_bf16\n")
    assert cpu_model(str(info)) == "AMD EPYC 9R14"
    assert cpu_model(str(tmp_path / "absent")) != ""  # falls back to the platform's processor string
    assert device_info()["cpu_model"] == cpu_model()


def test_dirty_means_the_code_changed_not_the_outputs(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    for rel in ("simaug/core.py", "results/bench/augment.json", "runs/store.json"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("a\n")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init")
    assert not provenance.git_commit(tmp_path).endswith("-dirty")
    (tmp_path / "results/bench/augment.json").write_text("b\n")  # a benchmark rewrote its output
    (tmp_path / "runs/store.json").write_text("b\n")
    (tmp_path / "new_untracked.py").write_text("b\n")
    assert not provenance.git_commit(tmp_path).endswith("-dirty")
    (tmp_path / "simaug/core.py").write_text("b\n")  # the code itself
    assert provenance.git_commit(tmp_path).endswith("-dirty")
