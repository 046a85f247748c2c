"""Importing, fetching, verifying and caching archived data sets.

An archive enters the data root only through :func:`import_archive` (a local copy) or
:func:`fetch` (a download); both verify it against the manifest before anything is written
under its final name. The first load decodes it once into ``.npy`` arrays; later loads
memory-map those (CIFAR-10 loads in well under a second). Nothing is ever silently
re-downloaded or replaced: a mismatch is an error that says what to do.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import numpy as np

from .cifar10 import DECODERS
from .checksum import file_digest, verify_file
from .errors import ChecksumError, DataError
from .manifest import load_manifest
from .paths import archives_dir, cache_dir

CACHE_VERSION = 1


def _sources(name: str):
    manifest = load_manifest(name)
    sources = manifest.get("sources") or []
    if not sources:
        raise DataError(f"data set {name!r} has no archive sources in its manifest; it is built, not imported")
    return manifest, sources


def import_archive(name: str, path: os.PathLike) -> Path:
    """Verify a local archive against the manifest of ``name`` and copy it into the data root."""
    path = Path(path).expanduser()
    manifest, sources = _sources(name)
    if not path.is_file():
        raise DataError(f"{path} does not exist or is not a file")
    errors = []
    for source in sources:
        try:
            verify_file(path, source)
        except ChecksumError as e:
            errors.append(str(e))
            continue
        dest = archives_dir() / source["file"]
        if dest.exists():
            verify_file(dest, source)  # an existing copy must itself be intact
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=dest.parent, delete=False, suffix=".part") as tmp:
            shutil.copyfile(path, tmp.name)
        os.replace(tmp.name, dest)
        return dest
    raise ChecksumError(
        f"{path} matches none of the sources of {name!r}:\n  " + "\n  ".join(errors)
    )


def fetch(name: str, timeout: float = 30.0) -> Path:
    """Download the first source with a URL, verify it, and keep it in the data root."""
    from tqdm import tqdm

    manifest, sources = _sources(name)
    source = next((s for s in sources if s.get("url")), None)
    if source is None:
        raise DataError(f"{name!r} has no downloadable source; import a local copy instead")
    dest = archives_dir() / source["file"]
    if dest.exists():
        verify_file(dest, source)
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


def _cache_meta_path(folder: Path) -> Path:
    return folder / "meta.json"


def cached_arrays(name: str, progress: bool = True) -> Tuple[Dict[str, Tuple[np.ndarray, np.ndarray]], Dict[str, Any]]:
    """Decoded arrays of every split (memory-mapped) and the cache's meta record.

    Decodes the archive on first use after verifying its checksum.
    """
    source, archive = find_archive(name)
    folder = cache_dir(name, source["id"])
    meta_path = _cache_meta_path(folder)
    manifest = load_manifest(name)
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("version") != CACHE_VERSION or meta.get("source_sha256") != source.get("sha256", meta.get("source_sha256")):
            raise DataError(f"cache {folder} was made from another source or version; delete that folder to rebuild it")
    else:
        sha = verify_file(archive, source)
        arrays = DECODERS[source["format"]](archive, manifest, progress=progress)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".tmp-"))
        meta = {"version": CACHE_VERSION, "name": name, "source_id": source["id"], "source_file": source["file"],
                "source_sha256": sha, "arrays": {}}
        for split, (x, y) in arrays.items():
            np.save(tmp / f"{split}_images.npy", x)
            np.save(tmp / f"{split}_labels.npy", y)
            meta["arrays"][split] = {"images_sha256": file_digest(tmp / f"{split}_images.npy"),
                                     "labels_sha256": file_digest(tmp / f"{split}_labels.npy"), "n": int(len(y))}
        _cache_meta_path(tmp).write_text(json.dumps(meta, indent=1))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    out = {}
    for split in manifest["splits"]:
        x = np.load(folder / f"{split}_images.npy", mmap_mode="r")
        y = np.load(folder / f"{split}_labels.npy")
        out[split] = (x, y)
    return out, meta


def verify(name: str) -> Dict[str, Any]:
    """Re-hash the archive and the cached arrays of ``name``; raise on any mismatch."""
    source, archive = find_archive(name)
    report: Dict[str, Any] = {"archive": str(archive), "archive_sha256": verify_file(archive, source)}
    folder = cache_dir(name, source["id"])
    if _cache_meta_path(folder).exists():
        meta = json.loads(_cache_meta_path(folder).read_text())
        for split, rec in meta["arrays"].items():
            for kind in ("images", "labels"):
                f = folder / f"{split}_{kind}.npy"
                if not f.exists() or file_digest(f) != rec[f"{kind}_sha256"]:
                    raise ChecksumError(f"cached array {f} is missing or altered; delete {folder} to decode it again")
        report["cache"] = str(folder)
    return report
