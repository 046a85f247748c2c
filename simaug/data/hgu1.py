"""HanDB / PE92 / SERI95 handwritten Hangul in the HGU1 file format (In-Jung Kim,
Handong Global University; github.com/callee2006/HangulDB), and the CR paper's
preprocessing of it (Lim & Kim, 2021: "60x60, grayscale, zero padding to 1x64x64").

Layout (all fields unsigned bytes)::

    file   := "HGU1    " (8 bytes) record*
    record := code (2) width (1) height (1) reserved (2) pixels (width * height, row-major)

``code`` is the KS X 1001 (EUC-KR) code of the syllable, lead byte first — read as a
big-endian integer, 0xB0A1 is 가 (HanDB folders are named by it, e.g. ``b0a1``). The
reference reader calls the two reserved bytes ``type`` (0 = 8-bit grey) and ``reserved``;
they are read and ignored here and written as zeros. Images are at most 255 x 255.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F

HGU1_MAGIC = b"HGU1    "
_RECORD_HEADER = 6  # code 2 + width 1 + height 1 + reserved 2
# The 2,350 Hangul syllables of KS X 1001 (HanDB's classes), in code order 0xB0A1..0xC8FE.
KSX1001_HANGUL: Tuple[str, ...] = tuple(
    bytes([lead, trail]).decode("euc-kr") for lead in range(0xB0, 0xC9) for trail in range(0xA1, 0xFF)
)

PathLike = Union[str, os.PathLike]


def ks_code(syllable: str) -> int:
    """KS X 1001 code of a syllable as HGU1 stores it, e.g. ``ks_code("가") == 0xB0A1``."""
    try:
        raw = syllable.encode("euc-kr")
    except UnicodeEncodeError:
        raise ValueError(f"{syllable!r} is not in KS X 1001 (the 2,350 syllables of HanDB)") from None
    if len(raw) != 2:
        raise ValueError(f"{syllable!r} is not a single two-byte KS X 1001 character")
    return int.from_bytes(raw, "big")


def ks_char(code: int) -> str:
    """The syllable of a KS X 1001 code, e.g. ``ks_char(0xB0A1) == "가"``."""
    try:
        return int(code).to_bytes(2, "big").decode("euc-kr")
    except (UnicodeDecodeError, OverflowError):
        raise ValueError(f"0x{int(code):04X} is not a KS X 1001 character code") from None


def read_hgu1(path: PathLike) -> Tuple[List[torch.Tensor], torch.Tensor]:
    """Read every image of an HGU1 file.

    Returns:
        ``(images, codes)``: a list of uint8 tensors (H, W) (sizes differ per image) and
        the KS X 1001 codes (N,) int64.

    Raises ``ValueError`` naming the file and byte offset for a wrong header, a truncated
    record or a zero-sized image; ``FileNotFoundError`` for a missing file.

    Example:
        >>> images, codes = read_hgu1("PE92_train/b0a1.hgu1")  # doctest: +SKIP
        >>> ks_char(codes[0]), images[0].shape                  # doctest: +SKIP
        ('가', torch.Size([60, 57]))
    """
    path = Path(path)
    data = np.fromfile(path, dtype=np.uint8)  # whole file; HanDB files are tens of MB
    if data[:8].tobytes() != HGU1_MAGIC:
        raise ValueError(f"{path}: not an HGU1 file: the header at byte offset 0 is {data[:8].tobytes()!r}, expected {HGU1_MAGIC!r}")
    images, codes, offset, n = [], [], 8, len(data)
    while offset < n:
        index = len(images)
        if n - offset < _RECORD_HEADER:
            raise ValueError(f"{path}: truncated record {index} at byte offset {offset}: its header needs 6 bytes, {n - offset} left")
        code = (int(data[offset]) << 8) | int(data[offset + 1])
        w, h = int(data[offset + 2]), int(data[offset + 3])
        if w == 0 or h == 0:
            raise ValueError(f"{path}: record {index} at byte offset {offset} has a zero-sized image ({w}x{h}); the file is corrupt")
        start = offset + _RECORD_HEADER
        if n - start < w * h:
            raise ValueError(
                f"{path}: truncated record {index} at byte offset {offset}: a {w}x{h} image needs {w * h} "
                f"bytes from offset {start}, {n - start} left"
            )
        images.append(torch.from_numpy(data[start : start + w * h].reshape(h, w).copy()))
        codes.append(code)
        offset = start + w * h
    return images, torch.tensor(codes, dtype=torch.long)


def write_hgu1(path: PathLike, images: Sequence[torch.Tensor], codes: Sequence[int]) -> None:
    """Write images (H, W) uint8 with their KS X 1001 codes as an HGU1 file."""
    if len(images) != len(codes):
        raise ValueError(f"{len(images)} images but {len(codes)} codes")
    chunks = [HGU1_MAGIC]
    for i, (img, code) in enumerate(zip(images, codes)):
        img = torch.as_tensor(img)
        if img.dtype != torch.uint8 or img.ndim != 2 or not (0 < img.shape[0] <= 255 and 0 < img.shape[1] <= 255):
            raise ValueError(f"image {i} must be uint8 (H, W) with 1 <= H, W <= 255, got {img.dtype} {tuple(img.shape)}")
        if not 0 <= int(code) <= 0xFFFF:
            raise ValueError(f"code {i} = {code} does not fit in 2 bytes")
        h, w = img.shape
        chunks += [int(code).to_bytes(2, "big"), bytes([w, h, 0, 0]), img.contiguous().numpy().tobytes()]
    Path(path).write_bytes(b"".join(chunks))


def _hgu1_files(source) -> List[Path]:
    items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    files: List[Path] = []
    for item in map(Path, items):
        if item.is_dir():
            found = sorted(p for p in item.rglob("*") if p.suffix.lower() == ".hgu1")
            if not found:
                raise FileNotFoundError(f"no *.hgu1 files under {item}; HanDB ships as .hgu1 files (github.com/callee2006/HangulDB)")
            files += found
        elif item.is_file():
            files.append(item)
        else:
            raise FileNotFoundError(f"{item} does not exist; pass an HGU1 file, a list of them or a folder holding them")
    return files


def load_handb(
    source, size: int = 64, classes: Optional[Sequence[str]] = None, invert: Optional[bool] = None
) -> Tuple[torch.Tensor, torch.Tensor, List[str], dict]:
    """Load HGU1 files the way the CR paper feeds HanDB to its networks.

    Each image is resized to ``(size - 4) x (size - 4)`` (60 x 60 for the default) and
    zero-padded by 2 pixels on every side to ``size x size``, centred. Strokes end up
    bright on a black (0) background, like :mod:`simaug.data.hangul`.

    Args:
        source: an ``.hgu1`` file, a list of files, or a folder searched recursively.
        size: output side in pixels (>= 8).
        classes: label order; default :data:`KSX1001_HANGUL` (all 2,350 syllables), so
            train and test files share label indices. A code outside ``classes`` raises.
        invert: ``True`` / ``False`` to force; ``None`` inverts each image whose border
            median is above 127 (dark ink on a light page).

    Returns:
        ``(images uint8 (N, 1, size, size), labels int64 (N,), classes, meta)``.
    """
    if size < 8:
        raise ValueError(f"size must be >= 8 (the paper: 64), got {size}")
    classes = list(KSX1001_HANGUL if classes is None else classes)
    index = {ks_code(c): i for i, c in enumerate(classes)}
    files = _hgu1_files(source)
    raw, labels, per_file = [], [], []
    for f in files:
        imgs, codes = read_hgu1(f)
        for r, code in enumerate(codes.tolist()):
            if code not in index:
                raise ValueError(f"{f}: record {r} has code 0x{code:04X}, which is not among the {len(classes)} classes")
            labels.append(index[code])
        raw += imgs
        per_file.append({"file": str(f), "images": len(imgs)})
    inner = size - 4
    out = torch.zeros(len(raw), 1, size, size, dtype=torch.uint8)
    shapes = {}
    for i, img in enumerate(raw):  # batch the resize by source shape
        shapes.setdefault(tuple(img.shape), []).append(i)
    for shape, idx in shapes.items():
        x = torch.stack([raw[i] for i in idx]).float()[:, None]  # (n, 1, h, w)
        if invert is None:
            border = torch.cat([x[:, 0, 0], x[:, 0, -1], x[:, 0, :, 0], x[:, 0, :, -1]], dim=1)  # (n, 2w + 2h)
            flip = border.median(dim=1).values > 127
        else:
            flip = torch.full((len(idx),), bool(invert))
        x = torch.where(flip[:, None, None, None], 255.0 - x, x)
        x = F.interpolate(x, size=(inner, inner), mode="bilinear", antialias=True, align_corners=False)
        out[idx, :, 2 : 2 + inner, 2 : 2 + inner] = x.round().clamp(0, 255).to(torch.uint8)
    meta = {"name": "handb", "files": per_file, "size": size, "inner": inner, "invert": invert,
            "sha256": hashlib.sha256(out.numpy().tobytes()).hexdigest()}
    return out, torch.tensor(labels, dtype=torch.long), classes, meta
