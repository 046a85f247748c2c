"""Claim files: each chapter writes ``<results>/claims/<chapter>.json``; ``collect_claims`` merges them.

Both files are JSON lists of claim dicts (:meth:`simaug.report.Claim.to_dict`), sorted by
``(chapter, id)``, strict JSON (no NaN: missing numbers are ``null``).

Example:
    >>> import tempfile, pathlib
    >>> from simaug.report import judge_check
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> c = judge_check("99_demo", "99-demo", "a demo claim", None, 1.0, True, "toy", "It holds at 1.0.")
    >>> write_claims([c], root / "claims" / "99_demo.json")
    >>> [d["status"] for d in collect_claims(root)]
    ['reproduced']
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Union

from .claims import Claim

__all__ = ["write_claims", "collect_claims", "read_claims"]


def _as_dicts(claims: Iterable[Union[Claim, dict]]) -> list[dict]:
    out = []
    for c in claims:
        if isinstance(c, Claim):
            out.append(c.to_dict())
        elif isinstance(c, dict):
            out.append(Claim.from_dict(c).to_dict())  # validates keys and status
        else:
            raise TypeError(f"claims must be Claim objects or dicts, got {type(c).__name__}")
    seen = set()
    for d in out:
        if d["id"] in seen:
            raise ValueError(f"duplicate claim id {d['id']!r}: ids must be unique across the book")
        seen.add(d["id"])
    return sorted(out, key=lambda d: (d["chapter"], d["id"]))


def _dump(dicts: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(dicts, indent=1, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def write_claims(claims: Iterable[Union[Claim, dict]], path: Union[str, Path]) -> None:
    """Write one chapter's claims (Claim objects or dicts) as a sorted JSON list to ``path``."""
    _dump(_as_dicts(claims), Path(path))


def read_claims(path: Union[str, Path]) -> list[dict]:
    """Read and validate one claims file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON ({err}); rewrite it with simaug.report.write_claims") from err
    if not isinstance(data, list):
        raise ValueError(f"{path} must hold a JSON list of claims, got {type(data).__name__}")
    try:
        return _as_dicts(data)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{path}: {err}") from err


def collect_claims(results_root: Union[str, Path]) -> list[dict]:
    """Merge ``<results_root>/claims/*.json`` into ``<results_root>/claims.json`` and return the list.

    Raises:
        FileNotFoundError: no ``claims`` folder under ``results_root``.
        ValueError: an invalid file, or the same id in two files.
    """
    root = Path(results_root)
    folder = root / "claims"
    if not folder.is_dir():
        raise FileNotFoundError(f"no claims folder at {folder}: each chapter's page writes its claims there when it "
                                "renders (python -m simaug run <notebook> --profile report)")
    merged, origin = [], {}
    for f in sorted(folder.glob("*.json")):
        for d in read_claims(f):
            if d["id"] in origin:
                raise ValueError(f"claim id {d['id']!r} appears in both {origin[d['id']].name} and {f.name}")
            origin[d["id"]] = f
            merged.append(d)
    merged = sorted(merged, key=lambda d: (d["chapter"], d["id"]))
    _dump(merged, root / "claims.json")
    return merged
