"""Absolute machine paths → repository-relative ones, in text, JSON records and notebooks."""
import json
import re
import subprocess
from pathlib import Path

from simaug.report import scrub_json_file, scrub_notebook, scrub_paths, scrub_tree
from simaug.report.scrub import ABSOLUTE_PATH

ROOT = "/work/main"


def test_strings():
    assert scrub_paths("run folder: /work/main/results/report/01_stn_augment\n", ROOT) == "run folder: results/report/01_stn_augment\n"
    assert scrub_paths("<td>/work/main/results/x.pt</td>", ROOT) == "<td>results/x.pt</td>"
    assert scrub_paths("/work/main/.venv/lib/python3.11/site-packages/tqdm/auto.py:21: TqdmWarning", ROOT) == \
        ".venv/lib/python3.11/site-packages/tqdm/auto.py:21: TqdmWarning"
    assert scrub_paths("cd /work/main && make", ROOT) == "cd . && make"
    assert scrub_paths("data in /work/shared/datasets/cifar10-jpeg.zip", ROOT) == "data in ../shared/datasets/cifar10-jpeg.zip"
    assert scrub_paths("/work/main2/x", ROOT) == "../main2/x"  # a sibling, not the repository itself
    assert scrub_paths("cache /root/.cache/torch and /home/ann/x.py", ROOT) == "cache ~/.cache/torch and ~/x.py"
    assert scrub_paths("tmp /tmp/pytest-1/a.csv", ROOT) == "tmp $TMPDIR/pytest-1/a.csv"
    assert scrub_paths("relative results/x and a url https://example.org/work/x", ROOT) == \
        "relative results/x and a url https://example.org/work/x"


def test_nested_objects_keep_non_strings():
    obj = {"a": ["/work/main/x", 3, None, {"b": "/tmp/y"}], "n": 1.5}
    assert scrub_paths(obj, ROOT) == {"a": ["x", 3, None, {"b": "$TMPDIR/y"}], "n": 1.5}


def _notebook(tmp_path: Path) -> Path:
    nb = {"cells": [{"cell_type": "code", "source": ["print('/work/main/keep-in-source')"], "metadata": {},
                     "execution_count": 1,
                     "outputs": [{"output_type": "stream", "name": "stdout", "text": ["folder /work/main/results/r\n"]}]}],
          "metadata": {"papermill": {"input_path": "/work/main/notebooks/n.ipynb", "output_path": "/work/main/results/n.ipynb"}},
          "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return path


def test_notebook_outputs_and_metadata_only(tmp_path):
    path = _notebook(tmp_path)
    assert scrub_notebook(path, ROOT)
    nb = json.loads(path.read_text())
    assert nb["metadata"]["papermill"] == {"input_path": "notebooks/n.ipynb", "output_path": "results/n.ipynb"}
    assert nb["cells"][0]["outputs"][0]["text"] == ["folder results/r\n"]
    assert nb["cells"][0]["source"] == ["print('/work/main/keep-in-source')"]  # sources are not touched
    before = path.read_bytes()
    assert not scrub_notebook(path, ROOT) and path.read_bytes() == before  # idempotent, layout kept


def test_json_and_tree(tmp_path):
    rec = tmp_path / "provenance.json"
    rec.write_text(json.dumps({"generator_checkpoint": "/work/main/results/g/checkpoint.pt", "n": 3}, indent=1) + "\n")
    (tmp_path / "table.csv").write_text("path\n/work/main/results/a\n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG /work/main/")  # binary files are skipped
    _notebook(tmp_path)
    changed = scrub_tree(tmp_path, ROOT)
    assert sorted(p.name for p in changed) == ["n.ipynb", "provenance.json", "table.csv"]
    assert json.loads(rec.read_text())["generator_checkpoint"] == "results/g/checkpoint.pt"
    assert rec.read_text().startswith('{\n "generator_checkpoint"')  # indent 1 kept
    assert not scrub_json_file(rec, ROOT)


def test_committed_results_hold_no_machine_paths():
    repo = Path(__file__).resolve().parents[1]
    tracked = subprocess.run(["git", "ls-files", "results"], cwd=repo, capture_output=True, text=True).stdout.split()
    leaks = []
    for name in tracked:
        f = repo / name
        if f.suffix in {".ipynb", ".json", ".yaml", ".csv", ".md"} and f.is_file():
            leaks += [f"{name}: {m.group(0)}" for m in ABSOLUTE_PATH.finditer(f.read_text(encoding="utf-8", errors="replace"))]
    assert not leaks, "absolute paths in committed results (run python -m simaug.report scrub): " + "; ".join(leaks[:5])
    assert re.compile(r"/(work|root|home|tmp)/").pattern == ABSOLUTE_PATH.pattern
