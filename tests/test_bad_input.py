"""Bad input through the command line: every case exits with code 2 and a message that names
the input (issue 12). The data root and the manifests are redirected to tmp folders, so the
real cache is never touched; no case executes a notebook (execution is stubbed to fail)."""
import sys
import zipfile
from pathlib import Path

import pytest

from simaug.cli import main
from simaug.train import TrainConfig


@pytest.fixture
def root(tmp_path, monkeypatch):
    """An empty data root, the repository's manifests, and a few files to feed the CLI."""
    monkeypatch.setenv("SIMAUG_DATA", str(tmp_path / "root"))
    monkeypatch.delenv("SIMAUG_MANIFESTS", raising=False)
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04 not really a zip")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr("train/cat/0000.jpg", b"x")
    (tmp_path / "folder").mkdir()
    return tmp_path


def _cli(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's own errors (unknown choice, bad int)
        code = e.code
    out = capsys.readouterr()
    return code, out.err + out.out


DATA_CASES = [
    # (argv with {tmp} for the tmp folder, text the message must contain)
    (["data", "import", "cifar100", "{tmp}/junk.zip"], "unknown data set 'cifar100'"),
    (["data", "verify", "cifar100"], "unknown data set 'cifar100'"),
    (["data", "frobnicate"], "'frobnicate'"),
    (["data", "import"], "needs a data-set name"),
    (["data", "verify"], "`python -m simaug data verify NAME`"),
    (["data", "import", "cifar10"], "`python -m simaug data import cifar10 PATH`"),
    (["data", "import", "cifar10", "{tmp}/missing.zip"], "{tmp}/missing.zip does not exist"),
    (["data", "import", "cifar10", "{tmp}/folder"], "{tmp}/folder does not exist or is not a file"),
    (["data", "import", "cifar10", "{tmp}/junk.zip"], "{tmp}/junk.zip matches none of the sources of 'cifar10'"),
    (["data", "import", "cifar10", "{tmp}/other.zip"], "{tmp}/other.zip matches none of the sources of 'cifar10'"),
    (["data", "verify", "cifar10"], "python -m simaug data import cifar10"),
    (["data", "import", "animal10n", "{tmp}/folder"], "SIMAUG_ANIMAL10N"),
    (["data", "import", "handb", "{tmp}/folder"], "SIMAUG_HANDB"),
    (["data", "fetch", "hangul-confusable"], "'hangul-confusable' has no archive to import or fetch"),
]


@pytest.mark.parametrize("argv,expected", DATA_CASES, ids=[" ".join(a) for a, _ in DATA_CASES])
def test_data_commands(argv, expected, root, capsys):
    fill = lambda s: s.replace("{tmp}", str(root))  # noqa: E731
    code, msg = _cli([fill(a) for a in argv], capsys)
    assert code == 2 and fill(expected) in msg, msg
    assert "Traceback" not in msg
    assert not (root / "root" / "archives").exists() or not any((root / "root" / "archives").iterdir())


def test_a_damaged_cache_through_the_cli(root, capsys, monkeypatch):
    sys.path.insert(0, str(Path(__file__).parent))
    from test_data import make_tiny_set

    (root / "set").mkdir()
    archive, _ = make_tiny_set(root / "set", monkeypatch, "cifar10")
    assert _cli(["data", "import", "cifar10", str(archive)], capsys)[0] == 0
    npy = root / "set" / "root" / "cache" / "cifar10" / "jpeg-zip" / "train_images.npy"
    npy.write_bytes(npy.read_bytes()[:100])
    code, msg = _cli(["data", "verify", "cifar10"], capsys)
    assert code == 2 and str(npy) in msg and "data import cifar10" in msg


# -- bench ---------------------------------------------------------------------------------

def _bench(argv, capsys):
    from simaug.bench.__main__ import main as bench_main

    try:
        code = bench_main(argv)
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.err + out.out


@pytest.mark.parametrize("argv,expected", [
    (["frobnicate"], "unknown benchmark 'frobnicate'"),
    ([], "no benchmark given"),
    (["train", "--threads", "many"], "--threads"),
    (["augment", "--rounds", "0"], "--rounds"),
])
def test_bench_commands(argv, expected, capsys):
    code, msg = _bench(argv, capsys)
    assert code == 2 and expected in msg, msg


def test_bench_help_is_complete_and_exits_0(capsys):
    """(``python -m simaug`` exiting 2 is tested in test_data.py; this stays in-process.)"""
    code, msg = _bench(["--help"], capsys)
    assert code == 0, msg
    for text in ("train", "augment", "python -m simaug.bench train --help", "--threads", "--steps", "--rounds"):
        assert text in msg


def test_bench_train_accepts_threads_1(capsys):
    code, msg = _bench(["train", "--threads", "1", "--help"], capsys)  # parsed, then help: nothing is timed
    assert code == 0 and "--threads" in msg


# -- trainer settings (what `run -p` and the notebooks pass on) ------------------------------

CONFIG_CASES = [
    ({"epochs": -1}, "epochs=-1"), ({"epochs": 2.5}, "epochs=2.5"), ({"epochs": "3"}, "epochs='3'"),
    ({"epochs": True}, "epochs=True"), ({"lr": float("inf")}, "lr=inf"), ({"lr": -0.1}, "lr=-0.1"),
    ({"eval_every": 0}, "eval_every=0"), ({"batch_size": 1}, "batch_size=1"), ({"optimizer": "rmsprop"}, "optimizer='rmsprop'"),
    ({"schedule": "linear"}, "schedule='linear'"), ({"lerning_rate": 0.1}, "lerning_rate"),
]


@pytest.mark.parametrize("values,expected", CONFIG_CASES, ids=[str(v) for v, _ in CONFIG_CASES])
def test_trainer_settings(values, expected):
    with pytest.raises((ValueError, KeyError)) as e:
        TrainConfig.from_dict(values)
    assert expected in str(e.value)


# -- run: validated by the runner before any run or kernel starts ---------------------------------

RUN_CASES = [
    (["run", "04", "-p", "epochs", "-1"], "epochs"),
    (["run", "04", "--threads", "0"], "--threads"),
    (["run", "04", "-p", "device", "tpu"], "tpu"),
]


@pytest.mark.parametrize("argv,expected", RUN_CASES, ids=[" ".join(a) for a, _ in RUN_CASES])
def test_run_commands(argv, expected, tmp_path, monkeypatch, capsys):
    import papermill

    import simaug.run.executors as executors

    def refuse(*a, **k):
        raise AssertionError("bad input reached execution")

    monkeypatch.setattr(papermill, "execute_notebook", refuse)
    monkeypatch.setattr(executors, "execute_spec", refuse)
    monkeypatch.chdir(tmp_path)
    code, msg = _cli(argv + ["--results", str(tmp_path / "results")], capsys)
    assert code == 2 and expected in msg, msg
