"""The rendered Hangul confusable set: classes, font-disjoint split, determinism, jitter kernel."""
import hashlib
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
import yaml

from simaug.data import hangul
from simaug.data.hangul import (
    CONFUSABLE_GROUPS,
    FONT_PACKAGES,
    HANGUL_CLASSES,
    FontFace,
    dilate,
    find_korean_fonts,
    identity_glyph_params,
    render_hangul_confusable,
    sample_glyph_params,
    split_fonts,
    warp_glyphs,
)
from simaug.data.hgu1 import KSX1001_HANGUL

needs_fonts = pytest.mark.skipif(
    not find_korean_fonts(), reason=f"no Korean fonts installed: apt-get install -y {' '.join(FONT_PACKAGES)}"
)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(1)


def test_classes_are_confusable_ksx1001_groups():
    assert len(HANGUL_CLASSES) >= 40 and len(set(HANGUL_CLASSES)) == len(HANGUL_CLASSES)
    assert set(HANGUL_CLASSES) <= set(KSX1001_HANGUL)  # all are HanDB classes
    assert all(len(g) >= 2 for g in CONFUSABLE_GROUPS)
    groups = [set(g) for g in CONFUSABLE_GROUPS]
    assert any({"강", "감"} <= g for g in groups) and any({"귀", "키", "커"} <= g for g in groups)  # the paper's examples


def test_manifest_matches_the_module():
    path = Path(__file__).resolve().parents[1] / "data_manifests" / "hangul-confusable.yaml"
    m = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert m["classes"] == list(HANGUL_CLASSES) and m["groups"] == [list(g) for g in CONFUSABLE_GROUPS]
    assert m["image_size"] == [1, 64, 64] and set(m["fonts"]["packages"]) == set(FONT_PACKAGES)


# -- font split -----------------------------------------------------------------------------
def _face(design, kind="print", style="Regular"):
    return FontFace(f"/f/{design}-{style}.ttf", 0, design, style, design, kind)


def test_split_rule_on_a_synthetic_font_list():
    faces = [_face(d, "hand") for d in ["Pen", "Brush", "Chalk", "Ink"]] + [_face(d) for d in ["Sans", "Serif", "Mono"]]
    faces.append(_face("Sans", style="Bold"))
    sp = split_fonts(faces)
    # designs sorted by (kind, name): hand Brush, Chalk, Ink, Pen, then print Mono, Sans, Serif
    assert {f.design for f in sp["test"]} == {"Ink", "Sans"}  # positions 2 and 5
    assert [f.style for f in sp["test"] if f.design == "Sans"] == ["Regular", "Bold"]  # a design never straddles
    assert not {f.path for f in sp["train"]} & {f.path for f in sp["test"]}
    assert split_fonts(list(reversed(faces)))["test"] == list(reversed(sp["test"]))  # order-independent membership
    with pytest.raises(ValueError, match=">= 3 Korean font designs.*apt-get install"):
        split_fonts(faces[:2])


@needs_fonts
def test_installed_fonts_split_is_disjoint_and_mixed():
    faces = find_korean_fonts()
    sp = split_fonts(faces)
    train, test = sp["train"], sp["test"]
    assert train and test and len(train) + len(test) == len(faces)
    assert not {f.path for f in train} & {f.path for f in test}
    assert not {f.design for f in train} & {f.design for f in test}  # unseen designs at test time
    assert all("YetHangul" not in f.family and " Eco" not in f.family for f in faces)
    if len({f.design for f in faces if f.kind == "hand"}) >= 3:  # true with the Debian packages
        assert any(f.kind == "hand" for f in train) and any(f.kind == "hand" for f in test)


def test_missing_fonts_error_names_the_packages(monkeypatch):
    monkeypatch.setattr(hangul, "find_korean_fonts", lambda *a, **k: ())
    with pytest.raises(FileNotFoundError, match="apt-get install -y fonts-nanum"):
        render_hangul_confusable("train", 1)


# -- rendering ------------------------------------------------------------------------------
@needs_fonts
def test_render_is_deterministic_font_disjoint_and_well_formed():
    x, y, classes, meta = render_hangul_confusable("test", 3, seed=5)
    x2, y2, _, meta2 = render_hangul_confusable("test", 3, seed=5)
    assert torch.equal(x, x2) and torch.equal(y, y2) and meta["sha256"] == meta2["sha256"]
    assert meta["sha256"] == hashlib.sha256(x.numpy().tobytes()).hexdigest()
    x3, *_ = render_hangul_confusable("test", 3, seed=6)
    assert not torch.equal(x, x3)
    k = len(HANGUL_CLASSES)
    assert x.shape == (3 * k, 1, 64, 64) and x.dtype == torch.uint8 and y.dtype == torch.int64
    assert classes == list(HANGUL_CLASSES) and torch.equal(torch.bincount(y), torch.full((k,), 3))
    # white strokes on black: the 2-pixel frame is almost empty and ink covers a minority
    frame = torch.ones(64, 64, dtype=torch.bool)
    frame[2:62, 2:62] = False
    assert x[:, 0][:, frame].float().mean() < 2.0 and x.float().mean() < 60 and x.max() > 200
    test_paths = {f["path"] for f in meta["fonts"]}
    assert test_paths == {f.path for f in hangul.hangul_fonts("test")}
    assert sum(f["images"] for f in meta["fonts"]) == len(x)
    xt, _, _, meta_train = render_hangul_confusable("train", 1, seed=5)
    assert not test_paths & {f["path"] for f in meta_train["fonts"]}
    assert not {f["design"] for f in meta["fonts"]} & {f["design"] for f in meta_train["fonts"]}
    _, _, _, meta_hand = render_hangul_confusable("test", 4, hand_fraction=1.0)
    assert all(f["kind"] == "hand" for f in meta_hand["fonts"] if f["images"])
    assert sum(f["images"] for f in meta_hand["fonts"] if f["kind"] == "hand") == 4 * len(HANGUL_CLASSES)


@needs_fonts
def test_reference_checksum_when_the_environment_matches_the_manifest():
    import PIL
    from PIL import features

    m = yaml.safe_load((Path(__file__).resolve().parents[1] / "data_manifests" / "hangul-confusable.yaml").read_text("utf-8"))
    x, _, _, meta = render_hangul_confusable("test", 100, seed=0)
    installed = {f["package"].split()[0]: f["package"].split()[1] for f in meta["fonts"] if f["package"]}
    same = (PIL.__version__, features.version("freetype2")) == ("13.0.0", "2.14.3") and all(
        m["fonts"]["packages"].get(k) == v for k, v in installed.items()) and len(meta["fonts"]) == m["splits"]["test"]["faces"]
    if not same:
        pytest.skip("fonts, Pillow or FreeType differ from the manifest's reference environment")
    from simaug.provenance import cpu_model

    ref = {**m["reference_checksums"], **m["reference_checksums"]["by_cpu"].get(cpu_model(), {})}
    assert meta["sha256"] == ref["test_n100_seed0"]


@needs_fonts
def test_clean_glyphs_differ_within_groups_and_explicit_fonts():
    face = hangul.hangul_fonts("train")[0]
    x, y, _, meta = render_hangul_confusable("train", 1, fonts=[face.path], jitter=False)
    assert [f["path"] for f in meta["fonts"]] == [face.path]
    glyph = {c: x[i, 0].float() for i, c in enumerate(HANGUL_CLASSES)}
    for group in CONFUSABLE_GROUPS:  # confusable, but never identical images
        for a in group:
            for b in group:
                if a < b:
                    assert (glyph[a] - glyph[b]).abs().sum() > 100
    # the clean glyph's ink box is centred and its longer side is the 48-pixel box
    for img in x[:, 0]:
        rows, cols = torch.nonzero(img > 0, as_tuple=True)
        r0, r1, c0, c1 = int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())
        assert abs((r0 + r1) / 2 - 31.5) <= 1.5 and abs((c0 + c1) / 2 - 31.5) <= 1.5
        assert 46 <= max(r1 - r0, c1 - c0) + 1 <= 50
    with pytest.raises(ValueError, match="not usable Korean fonts"):
        render_hangul_confusable("train", 1, fonts=[__file__])
    with pytest.raises(ValueError, match="n_per_class"):
        render_hangul_confusable("train", 0)
    with pytest.raises(ValueError, match="split"):
        render_hangul_confusable("val", 1)


# -- jitter kernel --------------------------------------------------------------------------
def _glyph_batch(n=6):
    x = torch.zeros(n, 1, 64, 64)
    for i in range(n):
        x[i, 0, 16 + i : 40 + i, 20:26] = 1.0  # a vertical bar
        x[i, 0, 30:34, 14:50] = 0.8  # a horizontal bar
    return x


def test_identity_params_return_the_input_and_input_is_untouched():
    x = _glyph_batch()
    before = x.clone()
    out = warp_glyphs(x, identity_glyph_params(len(x)))
    assert torch.allclose(out, x, atol=1e-5)
    assert torch.equal(x, before)


def test_integer_translation_shifts_content():
    x = _glyph_batch(2)
    p = identity_glyph_params(2)
    p["tx"], p["ty"] = torch.tensor([3.0, 0.0]), torch.tensor([0.0, -2.0])
    out = warp_glyphs(x, p)
    assert torch.allclose(out[0, 0, :, 3:], x[0, 0, :, :-3], atol=1e-5)  # +tx moves right
    assert torch.allclose(out[1, 0, :-2, :], x[1, 0, 2:, :], atol=1e-5)  # -ty moves up


def test_grid_matches_affine_grid_plus_bicubic_reference():
    x = _glyph_batch()
    g = torch.Generator().manual_seed(1)
    p = sample_glyph_params(len(x), g)
    p["stroke"] = torch.zeros(len(x))
    n = len(x)
    a = torch.deg2rad(p["angle"])
    sx, sy = p["scale"] * p["aspect"].sqrt(), p["scale"] / p["aspect"].sqrt()
    rows = []
    for i in range(n):  # the forward map, one image at a time, independently of the kernel
        c, s, sh = math.cos(a[i]), math.sin(a[i]), float(p["shear"][i])
        A = torch.tensor([[c, -s, 0], [s, c, 0], [0, 0, 1.0]]) @ torch.tensor([[1, sh, 0], [0, 1, 0], [0, 0, 1.0]])
        A = A @ torch.diag(torch.tensor([float(sx[i]), float(sy[i]), 1.0]))
        A[0, 2], A[1, 2] = p["tx"][i] * 2 / 64, p["ty"][i] * 2 / 64
        rows.append(torch.linalg.inv(A)[:2])
    grid = F.affine_grid(torch.stack(rows), [n, 1, 64, 64], align_corners=False)
    grid = grid + F.interpolate(p["elastic"], size=(64, 64), mode="bicubic", align_corners=True).permute(0, 2, 3, 1)
    ref = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False) * p["ink"].view(n, 1, 1, 1)
    out = warp_glyphs(x, p)
    assert torch.allclose(out, ref.clamp(0, 1), atol=1e-4)
    one_by_one = torch.cat([warp_glyphs(x[i : i + 1], {k: v[i : i + 1] for k, v in p.items()}) for i in range(n)])
    assert torch.allclose(out, one_by_one, atol=1e-5)  # batched equals one-by-one


def test_stroke_jitter_thickens_and_thins():
    x = _glyph_batch(3)
    assert torch.equal(dilate(x), F.max_pool2d(x, 3, 1, 1))
    p = identity_glyph_params(3)
    p["stroke"] = torch.tensor([-0.6, 0.0, 1.0])
    out = warp_glyphs(x, p)
    ink = out.sum((1, 2, 3)) / x.sum((1, 2, 3))
    assert ink[0] < 0.8 and ink[1] == pytest.approx(1.0, abs=1e-4) and ink[2] > 1.2
