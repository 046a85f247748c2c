"""``make`` without the shared data folder: fail in a second, before the virtualenv install,
naming the absolute path looked at and the ``SHARED=`` override; carry on with a copy already
imported into the data root (issue 12, item 8). Only ``check-data`` runs for real; the order of
the other steps is read from ``make -n`` (which executes nothing)."""
import shutil
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


def _make(*args, env_root):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(env_root), "SIMAUG_DATA": str(env_root / "data")}
    return subprocess.run(["make", "--no-print-directory", "-C", str(REPO), *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_missing_shared_folder_fails_fast_with_the_absolute_path_and_the_override(tmp_path):
    t0 = time.perf_counter()
    r = _make("check-data", "SHARED=../no-such-shared", env_root=tmp_path)
    assert r.returncode != 0 and time.perf_counter() - t0 < 10
    looked_at = (REPO / ".." / "no-such-shared").resolve() / "datasets" / "cifar10-jpeg.zip"
    assert str(looked_at) in r.stderr and "SHARED=/path/to/shared" in r.stderr
    assert str(tmp_path / "data" / "archives") in r.stderr


def test_the_check_runs_before_the_virtualenv_install():
    r = subprocess.run(["make", "--no-print-directory", "-n", "-B", "-C", str(REPO), "test", "SHARED=/nonexistent"],
                       capture_output=True, text=True, timeout=60)
    lines = r.stdout.splitlines()
    check = next(i for i, line in enumerate(lines) if "CIFAR-10 not found" in line)
    install = next(i for i, line in enumerate(lines) if "pip install" in line)
    assert check < install


def test_an_already_imported_copy_is_used_without_the_shared_folder(tmp_path):
    (tmp_path / "data" / "archives").mkdir(parents=True)
    kept = tmp_path / "data" / "archives" / "cifar10-jpeg.zip"
    kept.write_bytes(b"verified later by `data import`")
    r = _make("check-data", "SHARED=/nonexistent", env_root=tmp_path)
    assert r.returncode == 0 and f"using the copy already imported, {kept}" in r.stdout
    r = _make("-n", "data", "SHARED=/nonexistent", env_root=tmp_path)  # the data step verifies that copy
    assert "simaug data import cifar10" in r.stdout and "/nonexistent/datasets/cifar10-jpeg.zip" in r.stdout
