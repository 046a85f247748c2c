"""Data-set manifests (``data_manifests/<name>.yaml``): classes, splits, sources, citation."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict

import yaml

from .errors import DataError
from .paths import manifests_dir

REQUIRED_KEYS = ("name", "classes", "image_size", "splits", "citation", "licence")


@lru_cache(maxsize=None)
def _read(path: Path) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        manifest = yaml.safe_load(f)
    missing = [k for k in REQUIRED_KEYS if k not in (manifest or {})]
    if missing:
        raise DataError(f"manifest {path} lacks the keys {missing}; add them (see data_manifests/cifar10.yaml)")
    return manifest


def load_manifest(name: str) -> Dict[str, Any]:
    path = manifests_dir() / f"{name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in manifests_dir().glob("*.yaml"))
        raise DataError(f"no manifest {path} for data set {name!r}; known manifests: {known}")
    return dict(_read(path))
