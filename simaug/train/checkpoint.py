"""Atomic checkpoints: write to a temporary file in the same folder, then ``os.replace``,
so a run killed mid-write never leaves a half-written ``checkpoint.pt``. The file gets the mode
the umask allows (``mkstemp`` alone would make it 0600, unreadable to a group sharing the runs)."""
from __future__ import annotations

import hashlib
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


def weights_digest(state_dict: Dict[str, torch.Tensor]) -> str:
    """SHA-256 of a model's weights: every tensor's name, dtype, shape and values in logical
    (row-major) order, keys sorted, so the digest does not depend on the memory format
    (channels_last or not) or the device. Two checkpoints with the same digest hold the same
    model; floats differ across CPU types, so a re-trained run need not match a stored one.

    Example:
        >>> weights_digest({"w": torch.zeros(2)}) == weights_digest({"w": torch.zeros(2).contiguous()})
        True
    """
    h = hashlib.sha256()
    for name in sorted(state_dict):
        t = state_dict[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()
