"""Remove the machine's absolute paths from committed results (notebook outputs and metadata,
provenance records), rewriting them relative to the repository.

Rules, applied to every string:

1. the repository root itself (``/work/main/results/x`` → ``results/x``; the bare root → ``.``);
2. any other absolute path under ``/work``, ``/root``, ``/home`` or ``/tmp``: under the
   repository's parent folder → relative to the repository (``/work/shared/x`` → ``../shared/x``);
   a home folder → ``~/…``; a temporary one → ``$TMPDIR/…``.

Notebook *sources* are left alone (only ``metadata`` and ``outputs`` are scrubbed), nothing is
re-executed, and a file is rewritten only when a string changed.

Example:
    >>> scrub_paths({"run": "run folder: /work/main/results/report/01"}, "/work/main")
    {'run': 'run folder: results/report/01'}
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Union

__all__ = ["scrub_paths", "scrub_notebook", "scrub_json_file", "scrub_tree", "ABSOLUTE_PATH"]

#: what counts as a leaked machine path (the pattern the release check greps for)
ABSOLUTE_PATH = re.compile(r"/(work|root|home|tmp)/")
_PATH_CHARS = r"[^\s\"'<>|:;,()\[\]{}`*?\\]"
_CANDIDATE = re.compile(r"(?<![\w.~\-/])/(?:work|root|home|tmp)(?:/" + _PATH_CHARS + r"*)?")
_TEXT_SUFFIXES = {".yaml", ".yml", ".csv", ".txt", ".md", ".html"}


def _rewrite(path: str, root: str) -> str:
    parent = os.path.dirname(root)
    if parent not in ("", "/") and (path == parent or path.startswith(parent + "/")):
        return os.path.relpath(path, root)
    m = re.match(r"^/(?:home/[^/]+|root)(/.*)?$", path)
    if m:
        return "~" + (m.group(1) or "")
    if path == "/tmp" or path.startswith("/tmp/"):
        return "$TMPDIR" + path[len("/tmp"):]
    return os.path.relpath(path, root)


def _scrub_text(text: str, roots: list[str]) -> str:
    for root in roots:
        text = re.sub(re.escape(root) + r"(/|(?![\w.\-]))", lambda m: "" if m.group(1) == "/" else ".", text)
    return _CANDIDATE.sub(lambda m: _rewrite(m.group(0), roots[0]), text)


def _roots(repo_root: Union[str, Path]) -> list[str]:
    given = os.path.abspath(str(repo_root)).rstrip("/") or "/"
    if given == "/":
        raise ValueError("repo_root is '/': pass the repository folder (e.g. Path(simaug.__file__).parents[1])")
    real = os.path.realpath(given)
    return [given] + ([real] if real != given else [])


def scrub_paths(obj: Any, repo_root: Union[str, Path]) -> Any:
    """Copy of ``obj`` (a string, or lists/dicts of them, as loaded from JSON) with absolute paths
    rewritten relative to ``repo_root``; other values pass through unchanged."""
    roots = _roots(repo_root)

    def walk(x):
        if isinstance(x, str):
            return _scrub_text(x, roots)
        if isinstance(x, list):
            return [walk(e) for e in x]
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items()}
        return x

    return walk(obj)


def _dump_like(data: Any, original: str) -> str:
    """JSON text in the layout of ``original`` (indent, trailing newline; nbformat uses indent 1)."""
    m = re.match(r"[\[{]\n( +)", original)
    indent = len(m.group(1)) if m else None
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    return text + ("\n" if original.endswith("\n") else "")


def scrub_notebook(path: Union[str, Path], repo_root: Union[str, Path]) -> bool:
    """Scrub a notebook's metadata and cell outputs in place; True when the file changed."""
    path = Path(path)
    original = path.read_text(encoding="utf-8")
    nb = json.loads(original)
    if "cells" not in nb:
        raise ValueError(f"{path} is not a Jupyter notebook (no 'cells')")
    nb["metadata"] = scrub_paths(nb.get("metadata", {}), repo_root)
    for cell in nb["cells"]:
        if "metadata" in cell:
            cell["metadata"] = scrub_paths(cell["metadata"], repo_root)
        if "outputs" in cell:
            cell["outputs"] = scrub_paths(cell["outputs"], repo_root)
    text = _dump_like(nb, original)
    if text == original:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def scrub_json_file(path: Union[str, Path], repo_root: Union[str, Path]) -> bool:
    """Scrub every string of a JSON file (a provenance record) in place; True when it changed."""
    path = Path(path)
    original = path.read_text(encoding="utf-8")
    data = json.loads(original)
    cleaned = scrub_paths(data, repo_root)
    if cleaned == data:
        return False
    path.write_text(_dump_like(cleaned, original), encoding="utf-8")
    return True


def scrub_tree(folder: Union[str, Path], repo_root: Union[str, Path]) -> list[Path]:
    """Scrub every notebook, JSON and text record under ``folder``; returns the changed files."""
    changed = []
    for f in sorted(Path(folder).rglob("*")):
        if not f.is_file():
            continue
        if f.suffix == ".ipynb":
            hit = scrub_notebook(f, repo_root)
        elif f.suffix == ".json":
            hit = scrub_json_file(f, repo_root)
        elif f.suffix in _TEXT_SUFFIXES:
            text = f.read_text(encoding="utf-8")
            new = scrub_paths(text, repo_root)
            hit = new != text
            if hit:
                f.write_text(new, encoding="utf-8")
        else:
            continue
        if hit:
            changed.append(f)
    return changed
