"""Safe archive handling: no member may escape the target folder (zip-slip, tar-slip)."""
from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from .errors import DataError


def _check_member(archive: Path, member: str, target: Path) -> Path:
    p = PurePosixPath(member)
    dest = (target / member).resolve()
    if p.is_absolute() or ".." in p.parts or not dest.is_relative_to(target.resolve()):
        raise DataError(
            f"{archive}: member {member!r} would be written outside {target}; refusing to extract "
            f"(the archive is malformed or malicious — get it from its official source)"
        )
    return dest


def safe_extract(archive: Path, target: Path) -> Path:
    """Extract a zip or tar archive into ``target``, refusing members that escape it."""
    archive, target = Path(archive), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                _check_member(archive, info.filename, target)
            zf.extractall(target)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            for m in tf.getmembers():
                _check_member(archive, m.name, target)
                if m.issym() or m.islnk():
                    raise DataError(f"{archive}: member {m.name!r} is a link; refusing to extract")
            tf.extractall(target, filter="data")
    else:
        raise DataError(f"{archive} is neither a zip nor a tar archive (truncated or wrong file?)")
    return target
