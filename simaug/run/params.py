"""A notebook's parameters cell: parse it, and validate overrides against it.

The parameters cell (tagged ``parameters``) holds one literal assignment per line; its
values are the smoke defaults and their types are the accepted types.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any, Dict

import nbformat


class ParameterError(ValueError):
    pass


def read_parameters(notebook: Path) -> Dict[str, Any]:
    nb = nbformat.read(str(notebook), as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(f"{notebook} must have exactly one cell tagged 'parameters', found {len(cells)}")
    params: Dict[str, Any] = {}
    for node in ast.parse(cells[0].source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise ParameterError(f"{notebook}: the parameters cell may only hold `name = literal` lines; got {ast.unparse(node)!r}")
        try:
            params[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            raise ParameterError(f"{notebook}: parameter {node.targets[0].id} is not a literal: {ast.unparse(node.value)!r}") from None
    return params


def _type_ok(default: Any, value: Any) -> bool:
    if default is None or value is None:
        return True  # None defaults accept anything; None overrides any (documented as 'off')
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    return isinstance(value, type(default))


def parse_value(text: str, default: Any) -> Any:
    """A command-line string -> a Python value (a literal, or the string itself for str params)."""
    if isinstance(default, str):
        try:
            v = ast.literal_eval(text)
            return v if isinstance(v, str) else text
        except (ValueError, SyntaxError):
            return text
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        try:
            return json.loads(text)
        except ValueError:
            return text


def validate(notebook: Path, overrides: Dict[str, Any], defaults: Dict[str, Any] | None = None) -> Dict[str, Any]:
    """Check names and types of ``overrides`` against the notebook's parameters cell."""
    defaults = read_parameters(notebook) if defaults is None else defaults
    accepted = ", ".join(f"{k}: {type(v).__name__} = {v!r}" for k, v in defaults.items())
    for key, value in overrides.items():
        if key not in defaults:
            raise ParameterError(f"{notebook.name} has no parameter {key!r}. Accepted parameters: {accepted}")
        if not _type_ok(defaults[key], value):
            raise ParameterError(
                f"{notebook.name}: parameter {key!r} takes a {type(defaults[key]).__name__} "
                f"(default {defaults[key]!r}), got {value!r} ({type(value).__name__}). Accepted parameters: {accepted}"
            )
    return dict(overrides)
