"""The package's import order: a module may import only from its own layer or the ones below.

    helpers < data, models, metrics < kernels and losses < train < studies < run, plots, report, bench, cli

and no deferred (function-level) import of another simaug package, so the order is visible
at the top of every file.
"""
import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "simaug"

LAYERS = [
    {"_registry", "callback", "runstore", "precision", "memory_format", "_torch", "inference", "__init__", "__main__"},  # helpers (and the flat top-level API)
    {"data", "models", "metrics", "provenance"},
    {"augment", "cam", "losses", "stn", "shift", "calibration", "bayes", "generative"},  # kernels and losses
    {"train"},
    {"studies"},
    {"run", "plots", "report", "bench", "cli"},
]
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}


def _unit(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path):
    """(imported top-level simaug unit, line, deferred?) for every import of a simaug module."""
    tree = ast.parse(path.read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    pkg_parts = path.relative_to(PKG).parts[:-1]
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(pkg_parts[: len(pkg_parts) - (node.level - 1)])
                mod = base + (node.module.split(".") if node.module else [])
                targets = [mod + [a.name] if not node.module and not mod else mod for a in node.names] if mod else [[a.name] for a in node.names]
            elif node.module and node.module.split(".")[0] == "simaug":
                targets = [node.module.split(".")[1:] or [a.name for a in node.names][:1]]
        elif isinstance(node, ast.Import):
            targets = [a.name.split(".")[1:] for a in node.names if a.name.split(".")[0] == "simaug"]
        deferred = False
        p = parents.get(node)
        while p is not None:
            if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)):
                deferred = True
            p = parents.get(p)
        for t in targets:
            if t:
                yield t[0], node.lineno, deferred


def _files():
    return sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_unit_has_a_layer():
    units = {_unit(p) for p in _files()}
    assert units - set(LAYER) == set(), "add these to LAYERS in tests/test_layering.py"


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(PKG)))
def test_imports_respect_the_layers(path):
    me = _unit(path)
    bad = []
    for target, line, deferred in _imports(path):
        if target == me or target not in LAYER:
            continue
        if LAYER[target] > LAYER[me] and me not in ("__init__", "__main__"):
            bad.append(f"line {line}: {me} (layer {LAYER[me]}) imports {target} (layer {LAYER[target]})")
        if deferred and me not in ("__init__", "__main__"):
            bad.append(f"line {line}: deferred import of {target} inside a function; import it at the top")
    assert bad == []
