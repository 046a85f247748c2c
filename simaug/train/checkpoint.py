"""Atomic checkpoints: write to a temporary file in the same folder, then ``os.replace``,
so a run killed mid-write never leaves a half-written ``checkpoint.pt``. The file gets the mode
the umask allows (``mkstemp`` alone would make it 0600, unreadable to a group sharing the runs)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Dict

import torch

from ..data.permissions import follow_umask


def save_checkpoint(state: Dict[str, Any], path: os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        follow_umask(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: os.PathLike) -> Dict[str, Any]:
    try:
        # our own files; they hold Python containers (history rows), hence weights_only=False
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:
        raise RuntimeError(f"cannot read checkpoint {path} ({e}); delete it to start the run afresh") from None
