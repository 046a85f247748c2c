"""Runner: parameters are validated against the notebook's parameters cell."""
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from simaug.run import ParameterError, PROFILES, plan, read_parameters, resolve_notebook, validate
from simaug.run.params import parse_value


@pytest.fixture
def nb(tmp_path):
    book = new_notebook()
    params = new_code_cell('epochs = 3  # comment\nlr = 0.1\nmodel = "resnet20"\nseeds = [0]\nflag = False\nlimit = None')
    params.metadata["tags"] = ["parameters"]
    book.cells = [new_markdown_cell("# t"), params, new_code_cell("print(epochs * lr, model, seeds)")]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "99_test.ipynb"
    nbformat.write(book, path)
    return path


def test_read_parameters(nb):
    assert read_parameters(nb) == {"epochs": 3, "lr": 0.1, "model": "resnet20", "seeds": [0], "flag": False, "limit": None}


def test_validate_accepts_matching_types(nb):
    assert validate(nb, {"epochs": 10, "lr": 1, "model": "cutout", "seeds": [0, 1], "flag": True, "limit": 5})


@pytest.mark.parametrize("bad,match", [
    ({"epoch": 3}, "no parameter 'epoch'. Accepted parameters: epochs: int = 3"),
    ({"epochs": 2.5}, "'epochs' takes a int"),
    ({"epochs": "ten"}, "'epochs' takes a int"),
    ({"flag": 1}, "'flag' takes a bool"),
    ({"seeds": 0}, "'seeds' takes a list"),
])
def test_validate_refuses(nb, bad, match):
    with pytest.raises(ParameterError, match=match):
        validate(nb, bad)


def test_non_literal_parameters_cell_is_refused(tmp_path):
    book = new_notebook()
    c = new_code_cell("import os\nx = os.getcwd()")
    c.metadata["tags"] = ["parameters"]
    book.cells = [c]
    nbformat.write(book, tmp_path / "bad.ipynb")
    with pytest.raises(ParameterError, match="only hold `name = literal`"):
        read_parameters(tmp_path / "bad.ipynb")


def test_parse_value():
    assert parse_value("3", 1) == 3 and parse_value("[0, 1]", [0]) == [0, 1]
    assert parse_value("cutout", "none") == "cutout" and parse_value("'x'", "none") == "x"
    assert parse_value("True", False) is True


def test_every_profile_of_every_notebook_is_valid():
    for name, profiles in PROFILES.items():
        path = resolve_notebook(name)
        for profile in profiles:
            plan(path, profile, {})


def test_cli_refuses_unknown_parameter_with_the_accepted_list():
    r = subprocess.run([sys.executable, "-m", "simaug", "run", "04", "-p", "epoch", "3"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "no parameter 'epoch'" in r.stderr and "epochs: int" in r.stderr
    r = subprocess.run([sys.executable, "-m", "simaug", "run", "04", "-p", "epochs", "many"], capture_output=True, text=True)
    assert r.returncode == 2 and "'epochs' takes a int" in r.stderr
    r = subprocess.run([sys.executable, "-m", "simaug", "run", "77"], capture_output=True, text=True)
    assert r.returncode == 2 and "no single notebook matches '77'" in r.stderr


def test_papermill_reads_every_parameters_cell_whole():
    """papermill's own inspection sees every parameter (a comment such as ``besides k = 0`` made it
    skip a line with a warning at every render)."""
    from papermill.translators import PythonTranslator

    from simaug.run import list_notebooks

    for name in list_notebooks():
        path = resolve_notebook(name)
        cell = next(c for c in nbformat.read(str(path), as_version=4).cells if "parameters" in c.metadata.get("tags", []))
        assert [p.name for p in PythonTranslator.inspect(cell)] == list(read_parameters(path)), name


def test_chapter02_campaign_chunks_cover_exactly_its_design():
    """The chunks chapter 02's campaign is run in (two seeds of the main arms at a time, then the
    secondary arms, then the sweep; README and reproducibility page) hold only specs of the full
    report design, and together all of them: a chunk stores runs the final render will use."""
    from simaug.run import prepare
    from simaug.runstore import spec_key

    nb = resolve_notebook("02")
    full = {spec_key(s) for s in prepare(nb, "report", {}).specs}
    none = {"secondary_seeds": [], "sweep_seeds": []}
    chunks = [{"seeds": [a, a + 1], **none} for a in (0, 2, 4, 6)]
    chunks += [{"seeds": [0, 1, 2], "sweep_seeds": []}, {"seeds": [0], "secondary_seeds": []}]
    covered = set()
    for over in chunks:
        keys = {spec_key(s) for s in prepare(nb, "report", over).specs}
        assert keys <= full, over
        covered |= keys
    assert covered == full and len(full) == 47
