"""Where data lives.

The data root is ``$SIMAUG_DATA`` if set, else ``~/.cache/simaug`` (``$XDG_CACHE_HOME/simaug``
when that is set). Below it::

    archives/<file>                 verified source archives (copied by ``data import``)
    cache/<name>/<source-id>/       decoded uint8 arrays (.npy) and meta.json
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def data_root() -> Path:
    env = os.environ.get("SIMAUG_DATA")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "simaug"


def archives_dir() -> Path:
    return data_root() / "archives"


def cache_dir(name: str, source_id: str) -> Path:
    return data_root() / "cache" / name / source_id


def manifests_dir() -> Path:
    """``$SIMAUG_MANIFESTS`` or the repository's ``data_manifests/`` (editable install)."""
    env = os.environ.get("SIMAUG_MANIFESTS")
    return Path(env) if env else REPO_ROOT / "data_manifests"
