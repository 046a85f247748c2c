"""Importing, fetching, verifying and caching archived data sets.

An archive enters the data root only through :func:`import_archive` (a local copy) or
:func:`fetch` (a download); both verify it against the manifest before anything is written
under its final name. The first load decodes it once into ``.npy`` arrays; later loads
memory-map those (CIFAR-10 loads in well under a second), after checking that they are
the files that were written. Nothing is ever silently re-downloaded or replaced: a mismatch
is an error that says what to do, and only a verified archive replaces a damaged one.
Files and folders get the modes the umask allows (a data root may be shared by a group).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any, Dict, Tuple

import numpy as np

from .cifar10 import DECODERS
from .checksum import file_digest, verify_file
from .errors import ChecksumError, DataError
from .manifest import load_manifest
from .paths import archives_dir, cache_dir
from .permissions import follow_umask

CACHE_VERSION = 1


def _sources(name: str):
    manifest = load_manifest(name)
    sources = manifest.get("sources") or []
    if not sources:
        importable = []
        from .registry import list_datasets

        for other in list_datasets():
            try:
                if load_manifest(other).get("sources"):
                    importable.append(other)
            except DataError:
                pass
        how = manifest.get("how_to_use") or f"load it with simaug.load({name!r}, split, ...)"
        raise DataError(
            f"data set {name!r} has no archive to import or fetch (only {importable} do). {how.strip()}"
        )
    return manifest, sources


def _copy_in(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest`` atomically (a temporary file in ``dest``'s folder, then rename)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as f:
            shutil.copyfileobj(f, out, 1 << 20)
        follow_umask(tmp)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _is_intact(path: Path, source: Dict[str, Any]) -> bool:
    try:
        verify_file(path, source)
        return True
    except ChecksumError:
        return False


def import_archive(name: str, path: os.PathLike) -> Path:
    """Verify a local archive against the manifest of ``name`` and copy it into the data root.

    A verified copy already in the data root is kept; a damaged one (wrong checksum) is
    replaced by the new file, which has just been verified. A file that fails verification
    is never copied and replaces nothing.
    """
    path = Path(path).expanduser()
    manifest, sources = _sources(name)
    if not path.is_file():
        raise DataError(f"{path} does not exist or is not a file; give the path of a local copy of the archive "
                        f"(`python -m simaug data import {name} PATH`)")
    errors = []
    for source in sources:
        try:
            verify_file(path, source)
        except ChecksumError as e:
            errors.append(str(e))
            continue
        dest = archives_dir() / source["file"]
        if dest.exists():
            if dest.resolve() == path.resolve() or _is_intact(dest, source):
                return dest
            print(f"{dest} in the data root is damaged (checksum mismatch); replacing it with the verified {path}",
                  file=sys.stderr)
        _copy_in(path, dest)
        return dest
    hint = ""
    if path.resolve().parent == archives_dir().resolve():
        hint = (f"\n{path} is the data root's own copy and it is damaged: import a good copy "
                f"(`python -m simaug data import {name} PATH`, it replaces this file) or delete {path}.")
    raise ChecksumError(f"{path} matches none of the sources of {name!r}:\n  " + "\n  ".join(errors) + hint)


def fetch(name: str, timeout: float = 30.0) -> Path:
    """Download the first source with a URL, verify it, and keep it in the data root.

    A verified copy already there is kept; a damaged one is replaced once the download verifies.
    """
    from tqdm import tqdm

    manifest, sources = _sources(name)
    source = next((s for s in sources if s.get("url")), None)
    if source is None:
        raise DataError(f"{name!r} has no downloadable source; import a local copy instead")
    dest = archives_dir() / source["file"]
    if dest.exists() and _is_intact(dest, source):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_suffix(dest.suffix + ".part")
    offline = [s.get("offline_copy") for s in sources if s.get("offline_copy")]
    try:
        with urllib.request.urlopen(source["url"], timeout=timeout) as r, open(part, "wb") as f:
            total = int(r.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=source["file"]) as bar:
                while block := r.read(1 << 20):
                    f.write(block)
                    bar.update(len(block))
    except OSError as e:
        part.unlink(missing_ok=True)
        hint = f" (on these machines: {offline[0]})" if offline else ""
        raise DataError(
            f"cannot download {source['url']} ({e}). Offline? Import a local copy instead: "
            f"`python -m simaug data import {name} PATH`{hint}"
        ) from None
    try:
        verify_file(part, source)
    except ChecksumError:
        raise ChecksumError(f"the download of {source['url']} does not match its checksum; kept as {part} for inspection") from None
    os.replace(part, dest)
    return dest


def find_archive(name: str) -> Tuple[Dict[str, Any], Path]:
    manifest, sources = _sources(name)
    for source in sources:
        p = archives_dir() / source["file"]
        if p.exists():
            return source, p
    hints = [f"`python -m simaug data import {name} {s['offline_copy']}`" for s in sources if s.get("offline_copy")]
    raise DataError(
        f"data set {name!r} is not in the data root {archives_dir().parent} (set SIMAUG_DATA to change it). "
        f"Import a local copy with `python -m simaug data import {name} PATH`"
        + (f", e.g. {hints[0]}" if hints else "")
        + f", or download it with `python -m simaug data fetch {name}`."
    )


def _verify_kept(name: str, archive: Path, source: Dict[str, Any]) -> str:
    """sha256 of the archive kept in the data root; a damaged one gets a message that ends the loop."""
    try:
        return verify_file(archive, source)
    except ChecksumError as e:
        raise ChecksumError(
            f"{archive} in the data root is damaged: {str(e).split('. ')[0]}. Import a good copy with "
            f"`python -m simaug data import {name} PATH` (it is verified, then replaces the damaged file), "
            f"or delete {archive}."
        ) from None


def _cache_meta_path(folder: Path) -> Path:
    return folder / "meta.json"


def _stat(path: Path) -> Dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _rebuild_hint(name: str, archive: Path, folder: Path) -> str:
    return (f"rebuild the cache from the verified archive with `python -m simaug data import {name} {archive}` "
            f"(or delete {folder})")


def _write_meta(folder: Path, meta: Dict[str, Any]) -> None:
    path = _cache_meta_path(folder)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".meta.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(meta, indent=1))
        follow_umask(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _checked_meta(name: str, folder: Path, archive: Path, source: Dict[str, Any], manifest: Dict[str, Any],
                  full: bool = False) -> Dict[str, Any]:
    """The cache's meta record, after checking that the arrays are those it describes.

    Every array's size and modification time are compared with the record; an array whose
    stat changed (or every array when ``full``) is hashed again and must match its recorded
    sha256. Raises :class:`DataError` naming the file and the fix.
    """
    hint = _rebuild_hint(name, archive, folder)
    meta_path = _cache_meta_path(folder)
    try:
        meta = json.loads(meta_path.read_text())
        if not isinstance(meta, dict) or not isinstance(meta.get("arrays"), dict):
            raise ValueError("it is not a cache record (no 'arrays')")
    except (OSError, ValueError) as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise DataError(f"cache record {meta_path} is unreadable ({e}); {hint}") from None
    if meta.get("version") != CACHE_VERSION or meta.get("source_sha256") != source.get("sha256", meta.get("source_sha256")):
        raise DataError(f"cache {folder} was made from another source or cache version; {hint}")
    changed = False
    for split in manifest["splits"]:
        rec = meta["arrays"].get(split)
        if not isinstance(rec, dict):
            raise DataError(f"cache record {meta_path} has no split {split!r}; {hint}")
        stats = rec.setdefault("stat", {})
        for kind in ("images", "labels"):
            f = folder / f"{split}_{kind}.npy"
            if not f.is_file():
                raise DataError(f"cached array {f} is missing; {hint}")
            now = _stat(f)
            if full or stats.get(kind) != now:
                digest = file_digest(f)
                if digest != rec.get(f"{kind}_sha256"):
                    raise DataError(f"cached array {f} was altered or truncated after it was written "
                                    f"(sha256 {digest}, recorded {rec.get(f'{kind}_sha256')}); {hint}")
                if stats.get(kind) != now:
                    stats[kind], changed = now, True
    if changed:  # remember the verified stat, so the next load need not hash again
        try:
            _write_meta(folder, meta)
        except OSError:
            pass  # a read-only data root: hash again next time
    return meta


def _build_cache(name: str, folder: Path, archive: Path, source: Dict[str, Any], manifest: Dict[str, Any],
                 progress: bool) -> Dict[str, Any]:
    sha = _verify_kept(name, archive, source)
    arrays = DECODERS[source["format"]](archive, manifest, progress=progress)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".tmp-"))
    try:
        follow_umask(tmp, directory=True)
        meta = {"version": CACHE_VERSION, "name": name, "source_id": source["id"], "source_file": source["file"],
                "source_sha256": sha, "arrays": {}}
        for split, (x, y) in arrays.items():
            rec = meta["arrays"][split] = {"n": int(len(y)), "stat": {}}
            for kind, arr in (("images", x), ("labels", y)):
                f = tmp / f"{split}_{kind}.npy"
                np.save(f, arr)
                rec[f"{kind}_sha256"] = file_digest(f)
                rec["stat"][kind] = _stat(f)
        _write_meta(tmp, meta)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return meta


def cached_arrays(name: str, progress: bool = True, repair: bool = False
                  ) -> Tuple[Dict[str, Tuple[np.ndarray, np.ndarray]], Dict[str, Any]]:
    """Decoded arrays of every split (images memory-mapped) and the cache's meta record.

    The first call verifies the archive's checksum and decodes it into ``.npy`` files. Every
    call checks the cached files against the record (size and modification time; the full
    sha256 of any file whose stat changed), so ``meta['arrays'][split]['images_sha256']`` is
    the hash of what is returned. A damaged cache raises :class:`DataError` naming the file;
    with ``repair=True`` (what ``python -m simaug data import`` does) every file is hashed
    and a damaged or outdated cache is rebuilt from the verified archive instead.
    """
    source, archive = find_archive(name)
    folder = cache_dir(name, source["id"])
    manifest = load_manifest(name)
    if not _cache_meta_path(folder).exists() and not folder.exists():
        meta = _build_cache(name, folder, archive, source, manifest, progress)
    else:
        try:
            meta = _checked_meta(name, folder, archive, source, manifest, full=repair)
        except DataError as e:
            if not repair:
                raise
            print(f"{e}\n-> rebuilding {folder} from {archive}", file=sys.stderr)
            meta = _build_cache(name, folder, archive, source, manifest, progress)
    out = {}
    for split in manifest["splits"]:
        arrays = []
        for kind, mmap in (("images", "r"), ("labels", None)):
            f = folder / f"{split}_{kind}.npy"
            try:
                arrays.append(np.load(f, mmap_mode=mmap))
            except (OSError, ValueError, EOFError) as e:
                raise DataError(f"cannot read cached array {f} ({e}); {_rebuild_hint(name, archive, folder)}") from None
        out[split] = tuple(arrays)
    return out, meta


def verify(name: str) -> Dict[str, Any]:
    """Re-hash the archive and the cached arrays of ``name``; raise on any mismatch."""
    source, archive = find_archive(name)
    report: Dict[str, Any] = {"archive": str(archive), "archive_sha256": _verify_kept(name, archive, source)}
    folder = cache_dir(name, source["id"])
    if folder.exists():
        _checked_meta(name, folder, archive, source, load_manifest(name), full=True)
        report["cache"] = str(folder)
    return report
