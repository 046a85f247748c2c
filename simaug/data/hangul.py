"""Hangul confusable glyphs: a HanDB stand-in rendered from the Korean fonts of Debian.

HanDB (SERI95 + PE92 handwriting, 2,350 classes; Lim & Kim, 2021) cannot be obtained
here. This set keeps what the CR paper relies on — groups of syllables that differ by one
stroke or jamo (강/감, 귀/키/커) — at 45 classes, rendered from installed fonts with
stroke-width, affine and elastic jitter. Train and test use *disjoint font designs*, so
the test measures generalisation to unseen letterforms, as HanDB's test writers are
unseen.

Images are 1 x 64 x 64 uint8, **white strokes on a black (0) background** (the polarity
of :func:`simaug.data.hgu1.load_handb`, whose zero padding is black), the glyph fitted to a
48-pixel box before jitter. The font split: faces are grouped into designs (weights and
near-copies of one typeface are one design), designs sorted by (kind, name), and every
third design (positions 2, 5, 8, ...) goes to test — with the Debian fonts this puts
handwriting designs on both sides. Everything is deterministic from ``seed`` given the
installed fonts, Pillow and FreeType; ``meta`` records all three and a sha256.
"""
from __future__ import annotations

import hashlib
import subprocess
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import PIL
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont, features

CONFUSABLE_GROUPS: Tuple[Tuple[str, ...], ...] = (
    ("갈", "감", "강", "각"), ("귀", "키", "커", "거"), ("밤", "범", "봄"), ("을", "올", "울"),
    ("대", "데", "태", "때"), ("뱀", "벰", "밴"), ("활", "횔", "할"), ("곰", "공", "골"),
    ("말", "발", "팔"), ("왜", "웨", "외"), ("낮", "낯", "낫"), ("빛", "빚", "빗"),
    ("흘", "훌", "홀"), ("쉬", "쥐", "취"),
)
HANGUL_CLASSES: Tuple[str, ...] = tuple(c for group in CONFUSABLE_GROUPS for c in group)
FONT_PACKAGES = ("fonts-nanum", "fonts-nanum-extra", "fonts-unfonts-core", "fonts-unfonts-extra", "fonts-baekmuk",
                 "fonts-alee", "fonts-lexi-gulim", "fonts-lexi-saebom", "fonts-noto-cjk")
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
HANDWRITING = {"Nanum Brush Script", "Nanum Pen Script", "UnGungseo", "UnPen", "UnPenheulim", "UnPilgi"}
# near-copies of one typeface count as one design, so they never straddle the split
DESIGN_ALIASES = {"NanumSquare_ac": "NanumSquare", "NanumGothicCoding": "NanumGothic", "UnPilgia": "UnPilgi",
                  "Eunjin Nakseo": "Eunjin"}
# YetHangul repeats its base design (plus archaic jamo); Eco faces punch holes in the strokes
EXCLUDE = ("YetHangul", " Eco")
_BASIC = ImageFont.Layout.BASIC  # no shaping engine: identical output with or without raqm


@dataclass(frozen=True)
class FontFace:
    path: str
    index: int  # face index inside a .ttc collection
    family: str
    style: str
    design: str
    kind: str  # "hand" or "print"


def _font(path: str, index: int, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, px, index=index, layout_engine=_BASIC)


def _has_hangul(font: ImageFont.FreeTypeFont) -> bool:
    missing = bytes(font.getmask("\ue000"))  # a private-use code point: the .notdef glyph
    return all(len(m) and m != missing for m in (bytes(font.getmask(c)) for c in ("갈", "감")))


def font_face(path) -> Optional[FontFace]:
    """The face of a font file to render Hangul with (a .ttc's Korean face), or ``None``
    if the file cannot be opened, has no Hangul or is in :data:`EXCLUDE`."""
    path = Path(path).resolve()
    candidates = []
    for index in range(32 if path.suffix.lower() == ".ttc" else 1):
        try:
            candidates.append((index, _font(str(path), index, 32)))
        except OSError:
            break
    korean = [c for c in candidates if "KR" in c[1].getname()[0].split()] or candidates[:1]
    if not korean or not _has_hangul(korean[0][1]):
        return None
    index, font = korean[0]
    family, style = font.getname()
    if any(x in family for x in EXCLUDE):
        return None
    design = DESIGN_ALIASES.get(family, family)
    return FontFace(str(path), index, family, style, design, "hand" if design in HANDWRITING else "print")


@lru_cache(maxsize=8)
def find_korean_fonts(dirs: Tuple[str, ...] = FONT_DIRS) -> Tuple[FontFace, ...]:
    """Installed faces that render Hangul, one per file, sorted by path."""
    files = sorted(p for d in dirs if Path(d).expanduser().is_dir() for p in Path(d).expanduser().rglob("*")
                   if p.suffix.lower() in (".ttf", ".otf", ".ttc"))
    return tuple(f for f in map(font_face, files) if f is not None)


def split_fonts(faces: Sequence[FontFace]) -> Dict[str, List[FontFace]]:
    """Deterministic font-disjoint split: designs sorted by (kind, name), every third to test."""
    designs = sorted({(f.kind, f.design) for f in faces}, key=lambda d: (d[0], d[1].casefold()))
    if len(designs) < 3:
        raise ValueError(f"a font-disjoint split needs >= 3 Korean font designs, found {len(designs)}; "
                         f"install more: apt-get install -y {' '.join(FONT_PACKAGES)}")
    test = {d for i, d in enumerate(designs) if i % 3 == 2}
    return {"train": [f for f in faces if (f.kind, f.design) not in test],
            "test": [f for f in faces if (f.kind, f.design) in test]}


def hangul_fonts(split: str) -> List[FontFace]:
    """The installed faces of ``split`` (``"train"`` or ``"test"``)."""
    faces = find_korean_fonts()
    if not faces:
        raise FileNotFoundError(f"no Korean fonts found under {', '.join(FONT_DIRS)}; install them with "
                                f"`apt-get install -y {' '.join(FONT_PACKAGES)}`")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return split_fonts(faces)[split]


@lru_cache(maxsize=256)
def _glyphs(path: str, index: int, chars: Tuple[str, ...], box: int, size: int) -> torch.Tensor:
    """Clean glyphs of one face, (K, size, size) float in [0, 1], each fitted to ``box`` px."""
    font = _font(path, index, 2 * box)  # 2x supersampling, then a Lanczos reduction to the box

    def draw(ch: str) -> Optional[Image.Image]:  # the glyph cropped to its ink, None if blank
        img = Image.new("L", (8 * box, 8 * box), 0)
        ImageDraw.Draw(img).text((4 * box, 4 * box), ch, font=font, fill=255, anchor="mm")
        bbox = img.getbbox()
        return img.crop(bbox) if bbox else None

    missing = draw("\ue000")  # .notdef: what the font draws for a glyph it lacks
    out = torch.zeros(len(chars), size, size)
    for k, ch in enumerate(chars):
        img = draw(ch)
        if img is None or (missing is not None and img.size == missing.size and img.tobytes() == missing.tobytes()):
            raise ValueError(f"font {path} has no glyph for {ch!r}; pass other fonts")
        s = box / max(img.size)
        w, h = max(1, round(img.size[0] * s)), max(1, round(img.size[1] * s))
        glyph = torch.from_numpy(np.asarray(img.resize((w, h), Image.Resampling.LANCZOS), dtype=np.float32) / 255.0)
        top, left = (size - h) // 2, (size - w) // 2
        out[k, top : top + h, left : left + w] = glyph
    return out


def sample_glyph_params(n: int, generator: torch.Generator, size: int = 64) -> Dict[str, torch.Tensor]:
    """Per-image jitter, each a (n,) tensor (``elastic``: (n, 2, 4, 4), normalised units)."""
    def u(lo, hi, *shape):
        return lo + (hi - lo) * torch.rand(n, *shape, generator=generator)

    return {
        "angle": u(-10.0, 10.0),  # degrees
        "shear": u(-0.2, 0.2),  # x += shear * y
        "scale": u(0.85, 1.1), "aspect": u(0.9, 1.1),  # isotropic size, then width / height
        "tx": u(-3.0, 3.0), "ty": u(-3.0, 3.0),  # pixels
        "stroke": u(-0.6, 1.0),  # < 0 blend towards a 3x3 erosion, > 0 towards a 3x3 dilation
        "elastic": torch.randn(n, 2, 4, 4, generator=generator) * (1.5 * 2 / size),  # ~1.5 px smooth field
        "ink": u(0.75, 1.0),  # stroke brightness
    }


def identity_glyph_params(n: int) -> Dict[str, torch.Tensor]:
    """Parameters under which :func:`warp_glyphs` returns its input unchanged."""
    z, o = torch.zeros(n), torch.ones(n)
    return {"angle": z, "shear": z, "scale": o, "aspect": o, "tx": z, "ty": z, "stroke": z,
            "elastic": torch.zeros(n, 2, 4, 4), "ink": o}


def dilate(x: torch.Tensor) -> torch.Tensor:
    """3x3 grey dilation (= ``max_pool2d(x, 3, 1, 1)``, 2-3x faster on CPU), (..., H, W)."""
    h, w = x.shape[-2:]
    p = F.pad(x, (1, 1, 1, 1), value=float("-inf"))
    r = torch.maximum(torch.maximum(p[..., :, :w], p[..., :, 1 : w + 1]), p[..., :, 2:])  # (..., H + 2, W)
    return torch.maximum(torch.maximum(r[..., :h, :], r[..., 1 : h + 1, :]), r[..., 2:, :])


@lru_cache(maxsize=16)
def _grid_basis(h: int, w: int, cells: Tuple[int, ...], device, dtype) -> torch.Tensor:
    """Columns: x, y, 1 at the pixel centres (``affine_grid``, align_corners=False), then
    the bicubic (align_corners=True) upsampling of each coarse cell's unit impulse."""
    base = F.affine_grid(torch.eye(2, 3, dtype=torch.float64)[None], [1, 1, h, w], align_corners=False)  # (1, H, W, 2)
    ones = torch.ones(h * w, 1, dtype=torch.float64)
    k = cells[0] * cells[1]
    impulses = torch.eye(k, dtype=torch.float64).view(k, 1, *cells)
    up = F.interpolate(impulses, size=(h, w), mode="bicubic", align_corners=True).view(k, h * w).T  # (H*W, cells)
    return torch.cat([base.view(h * w, 2), ones, up], 1).to(device, dtype)


def warp_glyphs(x: torch.Tensor, params: Dict[str, torch.Tensor], dilated: Optional[torch.Tensor] = None,
                eroded: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Stroke-width, affine and elastic jitter of a batch, one ``grid_sample`` call.

    ``dilated`` / ``eroded`` may pass ``dilate(x)`` / ``-dilate(-x)`` precomputed (the
    renderer keeps them per glyph instead of per image).

    Shape: x (N, 1, H, W) float in [0, 1], bright strokes -> (N, 1, H, W) float in [0, 1].
    """
    n, _, h, w = x.shape
    p = {k: v.to(x.device, x.dtype) for k, v in params.items()}
    s = p["stroke"].view(n, 1, 1, 1)
    dil = dilate(x) if dilated is None else dilated
    ero = -dilate(-x) if eroded is None else eroded
    x = x + s.clamp_min(0) * (dil - x) + s.clamp_max(0) * (x - ero)  # s < 0 thins, s > 0 thickens
    # forward map A (input -> output, normalised coords): translate . rotate . shear . scale
    a = torch.deg2rad(p["angle"])
    cos, sin = torch.cos(a), torch.sin(a)
    sx, sy = p["scale"] * p["aspect"].sqrt(), p["scale"] / p["aspect"].sqrt()
    m00, m01 = cos * sx, (cos * p["shear"] - sin) * sy
    m10, m11 = sin * sx, (sin * p["shear"] + cos) * sy
    A = torch.stack([torch.stack([m00, m01, p["tx"] * 2 / w], 1), torch.stack([m10, m11, p["ty"] * 2 / h], 1),
                     torch.tensor([0.0, 0.0, 1.0], device=x.device, dtype=x.dtype).expand(n, 3)], 1)  # (N, 3, 3)
    theta = torch.linalg.inv(A)[:, :2]  # (N, 2, 3): the sampling grid maps output pixels back to input
    # grid = affine_grid(theta) + bicubic upsampling of the coarse elastic field; both are
    # linear in their parameters, so one (H*W, 3 + cells) x (3 + cells, 2N) product does both
    coeff = torch.cat([theta.transpose(1, 2), p["elastic"].flatten(2).transpose(1, 2)], 1)  # (N, 3 + cells, 2)
    basis = _grid_basis(h, w, p["elastic"].shape[-2:], x.device, x.dtype)  # (H*W, 3 + cells)
    grid = (basis @ coeff.permute(1, 0, 2).reshape(-1, 2 * n)).view(h, w, n, 2)  # one GEMM for the batch
    grid = grid.permute(2, 0, 1, 3).contiguous()  # (N, H, W, 2); grid_sample is 2-3x slower on a strided grid
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return (out * p["ink"].view(n, 1, 1, 1)).clamp(0.0, 1.0)


def _packages(paths: Sequence[str]) -> Dict[str, str]:
    """``{path: "package version"}`` from dpkg; empty where dpkg is unavailable."""
    try:
        owners = subprocess.run(["dpkg-query", "-S", *paths], capture_output=True, text=True, timeout=60).stdout
        found = {line.split(": ", 1)[1]: line.split(": ", 1)[0] for line in owners.splitlines() if ": /" in line}
        pkgs = sorted(set(found.values()))
        vers = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\t${Version}\n", *pkgs],
                              capture_output=True, text=True, timeout=60).stdout if pkgs else ""
    except (OSError, subprocess.SubprocessError):
        return {}
    version = dict(line.split("\t", 1) for line in vers.splitlines() if "\t" in line)
    return {p: f"{pkg} {version.get(pkg, '?')}" for p, pkg in found.items()}


def _face_weights(faces: Sequence[FontFace], hand_fraction: float) -> torch.Tensor:
    """P(face) = P(kind) / designs of the kind / faces of the design, (F,) float64."""
    kinds = {f.kind for f in faces}
    p_kind = {"hand": hand_fraction, "print": 1.0 - hand_fraction} if len(kinds) == 2 else {kind: 1.0 for kind in kinds}
    designs = {kind: len({f.design for f in faces if f.kind == kind}) for kind in kinds}
    sizes = {d: sum(f.design == d for f in faces) for d in {f.design for f in faces}}
    return torch.tensor([p_kind[f.kind] / designs[f.kind] / sizes[f.design] for f in faces], dtype=torch.float64)


def render_hangul_confusable(
    split: str, n_per_class: int, seed: int = 0, fonts: Optional[Sequence[str]] = None,
    size: int = 64, box: int = 48, hand_fraction: float = 0.5, jitter: bool = True,
) -> Tuple[torch.Tensor, torch.Tensor, List[str], dict]:
    """Render ``n_per_class`` jittered images of each of the 45 confusable syllables.

    Args:
        split: ``"train"`` or ``"test"``; picks the font designs and the random stream.
        n_per_class: images per class (> 0).
        seed: base seed (train and test use different streams of it).
        fonts: font files to use instead of the split's installed faces (a .ttc gives its
            Korean face); the caller then owns the train/test disjointness.
        size, box: image side and the glyph's fitted box, pixels.
        hand_fraction: share of images drawn from handwriting designs (if the split has
            both kinds); within a kind designs are uniform, then faces within a design.
        jitter: ``False`` renders clean, centred glyphs (figures, tests).

    Returns:
        ``(images uint8 (N, 1, size, size), labels int64 (N,), classes, meta)`` with
        ``N = 45 * n_per_class``, labels cycling 0..44.

    Example:
        >>> x, y, classes, meta = render_hangul_confusable("train", 2)  # doctest: +SKIP
        >>> x.shape, classes[:4], meta["sha256"][:8]                     # doctest: +SKIP
        (torch.Size([90, 1, 64, 64]), ['갈', '감', '강', '각'], '...')
    """
    if int(n_per_class) < 1:
        raise ValueError(f"n_per_class must be >= 1, got {n_per_class}")
    if fonts is None:
        faces = hangul_fonts(split)
    else:
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        faces = [font_face(p) for p in fonts]
        bad = [str(p) for p, f in zip(fonts, faces) if f is None]
        if bad or not faces:
            raise ValueError(f"not usable Korean fonts (missing, no Hangul glyphs, or excluded): {bad or 'an empty list'}")
    if not 0.0 <= hand_fraction <= 1.0 or not 16 <= size or not 8 <= box <= size:
        raise ValueError(f"need 0 <= hand_fraction <= 1, size >= 16, 8 <= box <= size; got {hand_fraction}, {size}, {box}")
    k = len(HANGUL_CLASSES)
    n = k * int(n_per_class)
    g = torch.Generator().manual_seed(int(seed) * 2 + (split == "test"))
    face_idx = torch.multinomial(_face_weights(faces, hand_fraction), n, replacement=True, generator=g)  # (N,)
    labels = torch.arange(k).repeat(int(n_per_class))  # (N,)
    params = sample_glyph_params(n, g, size) if jitter else identity_glyph_params(n)
    bank = torch.stack([_glyphs(f.path, f.index, HANGUL_CLASSES, box, size) for f in faces])  # (F, K, S, S)
    dil, ero = dilate(bank), -dilate(-bank)  # per glyph, not per image
    images = torch.empty(n, 1, size, size, dtype=torch.uint8)
    for lo in range(0, n, 2048):  # chunks bound the memory of the grids
        sl = slice(lo, lo + 2048)
        pick = (face_idx[sl], labels[sl])
        x = warp_glyphs(bank[pick].unsqueeze(1), {key: v[sl] for key, v in params.items()},  # (b, 1, S, S)
                        dilated=dil[pick].unsqueeze(1), eroded=ero[pick].unsqueeze(1))
        images[sl] = (x * 255.0).round().to(torch.uint8)
    pk = _packages([f.path for f in faces])
    counts = torch.bincount(face_idx, minlength=len(faces)).tolist()
    meta = {
        "name": "hangul-confusable", "split": split, "seed": int(seed), "n_per_class": int(n_per_class),
        "size": size, "box": box, "jitter": jitter, "hand_fraction": hand_fraction,
        "polarity": "white strokes (255) on black (0)", "groups": [list(gr) for gr in CONFUSABLE_GROUPS],
        "fonts": [dict(asdict(f), images=c, package=pk.get(f.path)) for f, c in zip(faces, counts)],
        "pillow": PIL.__version__, "freetype": features.version("freetype2"),
        "sha256": hashlib.sha256(images.numpy().tobytes()).hexdigest(),
    }
    return images, labels, list(HANGUL_CLASSES), meta
