"""HGU1 (HanDB) and ANIMAL-10N readers on small files written in the same formats."""
import pytest
import torch
from PIL import Image

from simaug.data.animal10n import ANIMAL10N_CLASSES, ANIMAL10N_CONFUSABLE_PAIRS, parse_animal10n_name, read_animal10n
from simaug.data.hgu1 import HGU1_MAGIC, KSX1001_HANGUL, ks_char, ks_code, load_handb, read_hgu1, write_hgu1


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(1)


# -- KS X 1001 ---------------------------------------------------------------------------
def test_ksx1001_table():
    assert len(KSX1001_HANGUL) == 2350 and len(set(KSX1001_HANGUL)) == 2350  # HanDB's class count
    assert KSX1001_HANGUL[0] == "가" and KSX1001_HANGUL[-1] == "힝"
    assert ks_code("가") == 0xB0A1 and ks_char(0xB0A1) == "가"
    assert all(ks_char(ks_code(c)) == c for c in KSX1001_HANGUL[::97])
    assert list(KSX1001_HANGUL) == sorted(KSX1001_HANGUL)  # KS X 1001 order is dictionary order
    with pytest.raises(ValueError, match="KS X 1001"):
        ks_code("똠")  # a syllable outside the 2,350


# -- HGU1 ---------------------------------------------------------------------------------
def _images():
    return [torch.randint(0, 256, (h, w), dtype=torch.uint8) for h, w in [(60, 57), (3, 5), (60, 57), (255, 1)]]


def test_hgu1_round_trip_and_byte_layout(tmp_path):
    imgs, codes = _images(), [ks_code(c) for c in "강감귀키"]
    path = tmp_path / "a.hgu1"
    write_hgu1(path, imgs, codes)
    raw = path.read_bytes()
    # header, then record 0: code big-endian (0xB0AD = 강), width, height, 2 reserved, pixels row-major
    assert raw[:8] == b"HGU1    " == HGU1_MAGIC
    assert raw[8:14] == bytes([0xB0, 0xAD, 57, 60, 0, 0])
    assert raw[14 : 14 + 57] == imgs[0][0].numpy().tobytes()
    assert len(raw) == 8 + sum(6 + i.numel() for i in imgs)
    back, back_codes = read_hgu1(path)
    assert back_codes.tolist() == codes and [ks_char(c) for c in back_codes] == list("강감귀키")
    assert all(torch.equal(a, b) for a, b in zip(back, imgs))


def test_hgu1_malformed_files_name_file_and_offset(tmp_path):
    good = tmp_path / "good.hgu1"
    write_hgu1(good, _images()[:2], [0xB0A1, 0xB0A2])
    raw = good.read_bytes()
    bad = tmp_path / "bad.hgu1"
    bad.write_bytes(b"HGU2    " + raw[8:])
    with pytest.raises(ValueError, match=r"bad\.hgu1: not an HGU1 file: the header at byte offset 0"):
        read_hgu1(bad)
    bad.write_bytes(raw[:-1])  # record 1 (3x5 = 15 bytes) loses its last byte
    second = 8 + 6 + 60 * 57
    with pytest.raises(ValueError, match=rf"bad\.hgu1: truncated record 1 at byte offset {second}: a 5x3 image needs 15 bytes.*14 left"):
        read_hgu1(bad)
    bad.write_bytes(raw[: second + 4])  # record 1's header cut
    with pytest.raises(ValueError, match=rf"truncated record 1 at byte offset {second}: its header needs 6 bytes, 4 left"):
        read_hgu1(bad)
    bad.write_bytes(HGU1_MAGIC + bytes([0xB0, 0xA1, 0, 4, 0, 0]))
    with pytest.raises(ValueError, match="zero-sized"):
        read_hgu1(bad)
    bad.write_bytes(b"HG")
    with pytest.raises(ValueError, match="header at byte offset 0"):
        read_hgu1(bad)
    with pytest.raises(FileNotFoundError):
        read_hgu1(tmp_path / "missing.hgu1")
    empty = tmp_path / "empty.hgu1"
    empty.write_bytes(HGU1_MAGIC)  # a header and no records is a valid, empty file
    images, codes = read_hgu1(empty)
    assert images == [] and codes.shape == (0,)


def test_write_hgu1_rejects_bad_images(tmp_path):
    with pytest.raises(ValueError, match="uint8"):
        write_hgu1(tmp_path / "x.hgu1", [torch.zeros(300, 10, dtype=torch.uint8)], [0xB0A1])
    with pytest.raises(ValueError, match="2 bytes"):
        write_hgu1(tmp_path / "x.hgu1", [torch.zeros(3, 3, dtype=torch.uint8)], [70000])
    with pytest.raises(ValueError, match="codes"):
        write_hgu1(tmp_path / "x.hgu1", [torch.zeros(3, 3, dtype=torch.uint8)], [])


def test_load_handb_resize_pad_invert_and_labels(tmp_path):
    page = torch.full((60, 60), 255, dtype=torch.uint8)  # dark ink on a white page
    page[20:40, 28:32] = 0
    dark = 255 - page  # the same glyph already bright on black
    small = torch.zeros(30, 30, dtype=torch.uint8)
    small[10:20, 10:20] = 200
    (tmp_path / "train").mkdir()
    write_hgu1(tmp_path / "train" / "a.hgu1", [page, dark], [ks_code("강"), ks_code("감")])
    write_hgu1(tmp_path / "train" / "b.hgu1", [small], [ks_code("가")])
    x, y, classes, meta = load_handb(tmp_path / "train")
    assert x.shape == (3, 1, 64, 64) and x.dtype == torch.uint8
    assert [classes[i] for i in y] == ["강", "감", "가"] and len(classes) == 2350
    # the frame of 2 pixels is zero padding, the 60x60 inside is the (inverted) image
    frame = torch.ones(64, 64, dtype=torch.bool)
    frame[2:62, 2:62] = False
    assert torch.all(x[:, 0][:, frame] == 0)
    assert torch.equal(x[0, 0, 2:62, 2:62], dark) and torch.equal(x[1, 0, 2:62, 2:62], dark)  # auto-invert
    up = x[2, 0, 2:62, 2:62].float()  # 30x30 -> 60x60: the bright square doubles to rows/cols 20..39
    assert up[22:38, 22:38].min() == 200 and up[:18].max() == 0
    forced, *_ = load_handb(tmp_path / "train", invert=False)
    assert torch.equal(forced[0, 0, 2:62, 2:62], page)
    sub, ysub, cls, _ = load_handb(tmp_path / "train" / "b.hgu1", size=32, classes=["가", "각"])
    assert sub.shape == (1, 1, 32, 32) and ysub.tolist() == [0] and cls == ["가", "각"]
    with pytest.raises(ValueError, match="0xB0AD, which is not among the 2 classes"):
        load_handb(tmp_path / "train" / "a.hgu1", classes=["가", "각"])
    (tmp_path / "nothing").mkdir()
    with pytest.raises(FileNotFoundError, match="no \\*.hgu1 files"):
        load_handb(tmp_path / "nothing")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_handb(tmp_path / "nope.hgu1")


# -- ANIMAL-10N -----------------------------------------------------------------------------
def _write(folder, name, img, png=False):
    folder.mkdir(parents=True, exist_ok=True)
    arr = img.permute(1, 2, 0).numpy()  # (H, W, C)
    Image.fromarray(arr[..., 0] if arr.shape[2] == 1 else arr).save(folder / name, format="PNG" if png else "JPEG", quality=95)


def test_animal10n_classes_and_pairs():
    assert len(ANIMAL10N_CLASSES) == 10
    named = {frozenset(ANIMAL10N_CLASSES[i] for i in p) for p in ANIMAL10N_CONFUSABLE_PAIRS}
    assert frozenset({"chimpanzee", "orangutan"}) in named and frozenset({"wolf", "coyote"}) in named
    assert parse_animal10n_name("3_01234.jpg") == 3 and parse_animal10n_name("9_1_x.jpg") == 9


def test_read_animal10n(tmp_path):
    imgs = {name: torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8) for name in ["7_00002.png", "3_00001.png", "0_10000.png"]}
    for name, img in imgs.items():
        _write(tmp_path / "testing", name, img, png=True)  # lossless, so pixels compare exactly
    _write(tmp_path / "testing", "5_00003.jpg", torch.full((1, 64, 64), 128, dtype=torch.uint8))  # grey JPEG
    (tmp_path / "testing" / "README.txt").write_text("ignored")
    x, y, classes, meta = read_animal10n(tmp_path, "test")
    assert x.shape == (4, 3, 64, 64) and x.dtype == torch.uint8
    assert y.tolist() == [0, 3, 5, 7]  # sorted by file name
    assert torch.equal(x[0], imgs["0_10000.png"]) and torch.equal(x[3], imgs["7_00002.png"])
    assert (x[2].float() - 128).abs().max() <= 2 and torch.equal(x[2, 0], x[2, 1])  # grey -> RGB
    assert classes[y[1]] == "coyote" and meta["files"] == 4
    assert torch.equal(read_animal10n(tmp_path, "testing")[0], x)


def test_read_animal10n_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="training/\\*.jpg"):
        read_animal10n(tmp_path, "train")
    with pytest.raises(ValueError, match="split"):
        read_animal10n(tmp_path, "val")
    train = tmp_path / "training"
    train.mkdir()
    with pytest.raises(FileNotFoundError, match="no .jpg"):
        read_animal10n(tmp_path, "train")
    _write(train, "cat_001.jpg", torch.zeros(3, 64, 64, dtype=torch.uint8))
    with pytest.raises(ValueError, match="'cat_001.jpg' is not an ANIMAL-10N file name.*3_01234.jpg"):
        read_animal10n(tmp_path, "train")
    (train / "cat_001.jpg").unlink()
    _write(train, "12_001.jpg", torch.zeros(3, 64, 64, dtype=torch.uint8))
    with pytest.raises(ValueError, match="label 12"):
        read_animal10n(tmp_path, "train")
    (train / "12_001.jpg").unlink()
    _write(train, "1_001.jpg", torch.zeros(3, 32, 32, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"1_001\.jpg: image is \(32, 32\), expected \(64, 64\)"):
        read_animal10n(tmp_path, "train")
    (train / "1_001.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match=r"1_001\.jpg: cannot decode"):
        read_animal10n(tmp_path, "train")
