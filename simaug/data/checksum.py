"""File and tensor hashing, and verification against a manifest source entry."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Dict

from .errors import ChecksumError


def tensor_digest(t, algorithm: str = "sha256") -> str:
    """Hex digest of a tensor's raw bytes in C order (its dtype and shape are recorded
    separately): the identity of decoded images and labels in manifests and provenance.

    Example:
        >>> import torch
        >>> tensor_digest(torch.zeros(2, dtype=torch.uint8)) == hashlib.sha256(bytes(2)).hexdigest()
        True
    """
    h = hashlib.new(algorithm)
    h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def file_digest(path: Path, algorithm: str = "sha256", chunk: int = 1 << 20) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def verify_file(path: Path, source: Dict[str, Any]) -> str:
    """Check ``path`` against the ``sha256`` (preferred) or ``md5`` of a manifest source.

    Returns the file's sha256. Raises :class:`ChecksumError` naming the file, both digests
    and the fix; the file is never replaced or deleted.
    """
    path = Path(path)
    sha = file_digest(path, "sha256")
    for algo in ("sha256", "md5"):
        expected = source.get(algo)
        if expected is None:
            continue
        actual = sha if algo == "sha256" else file_digest(path, "md5")
        if actual != expected:
            raise ChecksumError(
                f"{path}: {algo} is {actual}, the manifest expects {expected} for source "
                f"{source.get('id')!r} ({source.get('file')}). The file is corrupt, truncated or a "
                f"different release: get a fresh copy and import it again "
                f"(`python -m simaug data import NAME PATH`); nothing was replaced."
            )
        return sha
    raise ChecksumError(f"manifest source {source.get('id')!r} has no sha256 or md5 to verify {path} against")
