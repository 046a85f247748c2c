"""Corruptions against reference implementations (PIL, scipy, colorsys) and invariants;
OOD scores and a rank-based AUROC against brute-force pair counting."""
import colorsys
import io
import math

import numpy as np
import pytest
import torch
from PIL import Image
from scipy import ndimage
from scipy.stats import rankdata

from simaug.shift import (
    HIGHER_IS_OOD,
    auroc,
    average_ranks,
    brightness,
    contrast,
    corrupt,
    defocus_blur,
    gaussian_blur,
    gaussian_noise,
    impulse_noise,
    jpeg_compression,
    list_corruptions,
    ood_auroc,
    ood_scores,
    pixelate,
    shot_noise,
)

DETERMINISTIC = ["brightness", "contrast", "defocus_blur", "gaussian_blur", "jpeg_compression", "pixelate"]
RANDOM = ["gaussian_noise", "impulse_noise", "shot_noise", "speckle_noise"]


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(1)


def natural_images(n=6, size=32, seed=0):
    """Smooth random colour fields plus mild texture: blur and compression act like on photos."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(n, 3, 4, 4, generator=g)
    smooth = torch.nn.functional.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=False)
    x = smooth * 0.8 + 0.1 + 0.05 * torch.randn(n, 3, size, size, generator=g)
    return (x.clamp(0, 1) * 255).round().to(torch.uint8)


def truncate(x):  # the reference script's np.uint8(clip(x, 0, 1) * 255)
    return np.uint8(np.clip(x, 0, 1) * 255 + 1e-3)


def test_registry_lists_the_required_corruptions():
    assert set(DETERMINISTIC + RANDOM) == set(list_corruptions())


@pytest.mark.parametrize("name", DETERMINISTIC + RANDOM)
def test_shape_dtype_range_and_input_untouched(name):
    x = natural_images(3)
    before = x.clone()
    for s in range(1, 6):
        y = corrupt(x, name, s, seed=0)
        assert y.shape == x.shape and y.dtype == torch.uint8 and y.device == x.device
    assert torch.equal(x, before)


@pytest.mark.parametrize("name", DETERMINISTIC + RANDOM)
def test_distortion_grows_with_severity(name):
    x = natural_images(8)
    err = [(corrupt(x, name, s, seed=1).float() - x.float()).pow(2).mean().item() for s in range(1, 6)]
    assert all(a < b for a, b in zip(err, err[1:])), err


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_deterministic_batched_equals_one_by_one(name):
    x = natural_images(4)
    batched = corrupt(x, name, 3, seed=0)
    single = torch.cat([corrupt(x[i : i + 1], name, 3, seed=5) for i in range(4)])
    assert torch.equal(batched, single)


@pytest.mark.parametrize("name", RANDOM)
def test_seed_reproducible_and_different_seeds_differ(name):
    x = natural_images(2)
    assert torch.equal(corrupt(x, name, 4, seed=3), corrupt(x, name, 4, seed=3))
    assert not torch.equal(corrupt(x, name, 4, seed=3), corrupt(x, name, 4, seed=4))


@pytest.mark.parametrize("severity,c", list(enumerate([0.95, 0.9, 0.85, 0.75, 0.65], start=1)))
def test_pixelate_matches_pil_box(severity, c):
    x = natural_images(4)
    ref = []
    for im in x:
        p = Image.fromarray(im.permute(1, 2, 0).numpy())
        p = p.resize((int(32 * c), int(32 * c)), Image.BOX).resize((32, 32), Image.BOX)
        ref.append(torch.from_numpy(np.array(p)).permute(2, 0, 1))
    diff = (pixelate(x, severity).int() - torch.stack(ref).int()).abs()
    assert diff.max() <= 1 and (diff > 0).float().mean() < 0.01  # PIL rounds in fixed point


@pytest.mark.parametrize("severity,quality", list(enumerate([80, 65, 58, 50, 40], start=1)))
def test_jpeg_matches_pil_round_trip(severity, quality):
    x = natural_images(3)
    ref = []
    for im in x:
        buf = io.BytesIO()
        Image.fromarray(im.permute(1, 2, 0).numpy()).save(buf, "JPEG", quality=quality)
        ref.append(torch.from_numpy(np.array(Image.open(buf))).permute(2, 0, 1))
    diff = (jpeg_compression(x, severity).int() - torch.stack(ref).int()).abs()
    assert diff.max() == 0  # same codec (PIL) and settings as the reference script


@pytest.mark.parametrize("severity,sigma", list(enumerate([0.4, 0.6, 0.7, 0.8, 1.0], start=1)))
def test_gaussian_blur_matches_scipy(severity, sigma):
    x = natural_images(2)
    ref = ndimage.gaussian_filter(x.double().numpy() / 255, sigma=(0, 0, sigma, sigma), mode="nearest", truncate=4.0)
    diff = (gaussian_blur(x, severity).int() - torch.from_numpy(truncate(ref)).int()).abs()
    assert diff.max() <= 1 and (diff > 0).float().mean() < 0.01


def reference_disk(radius, alias_blur):
    t = np.arange(-8, 9)
    xx, yy = np.meshgrid(t, t)
    disk = ((xx**2 + yy**2) <= radius**2).astype(float)
    disk /= disk.sum()
    g = np.exp(-0.5 * (np.arange(-1, 2) / alias_blur) ** 2)
    g /= g.sum()
    return ndimage.correlate(disk, np.outer(g, g), mode="mirror")  # cv2 BORDER_REFLECT_101


@pytest.mark.parametrize("severity,c", list(enumerate([(0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1)], start=1)))
def test_defocus_blur_matches_scipy(severity, c):
    x = natural_images(2)
    kernel = reference_disk(*c)
    ref = np.stack([np.stack([ndimage.correlate(ch, kernel, mode="mirror") for ch in im])
                    for im in x.double().numpy() / 255])
    diff = (defocus_blur(x, severity).int() - torch.from_numpy(truncate(ref)).int()).abs()
    assert diff.max() <= 1 and (diff > 0).float().mean() < 0.01


def test_contrast_matches_formula():
    x = natural_images(3)
    a = x.double().numpy() / 255
    for severity, c in enumerate([0.75, 0.5, 0.4, 0.3, 0.15], start=1):
        mean = a.mean(axis=(2, 3), keepdims=True)
        ref = torch.from_numpy(truncate((a - mean) * c + mean))
        assert (contrast(x, severity).int() - ref.int()).abs().max() <= 1


def test_brightness_matches_hsv_round_trip():
    x = natural_images(2, size=8)
    x[0, :, 0, 0] = 0  # a black pixel (V = 0, hue undefined)
    x[0, :, 0, 1] = torch.tensor([255, 10, 10], dtype=torch.uint8)  # saturated red (V at 1)
    for severity, c in enumerate([0.05, 0.1, 0.15, 0.2, 0.3], start=1):
        out = brightness(x, severity)
        ref = np.empty(x.shape)
        for n, i, j in np.ndindex(x.shape[0], 8, 8):
            h, s, v = colorsys.rgb_to_hsv(*(x[n, :, i, j].double().numpy() / 255))
            ref[n, :, i, j] = colorsys.hsv_to_rgb(h, s, min(v + c, 1.0))
        assert (out.int() - torch.from_numpy(truncate(ref)).int()).abs().max() <= 1


def test_gaussian_and_shot_noise_statistics():
    x = torch.full((4, 3, 32, 32), 128, dtype=torch.uint8)  # mid grey: no clipping
    for severity, c in enumerate([0.04, 0.06, 0.08, 0.09, 0.10], start=1):
        resid = gaussian_noise(x, severity, torch.Generator().manual_seed(0)).double() - 128
        assert resid.std().item() == pytest.approx(255 * c, rel=0.05)
        # truncation bias of -1/2 grey level, up to 4 standard errors of the mean
        assert resid.mean().item() == pytest.approx(-0.5, abs=4 * 255 * c / math.sqrt(resid.numel()))
    for severity, photons in enumerate([500, 250, 100, 75, 50], start=1):
        out = shot_noise(x, severity, torch.Generator().manual_seed(0)).double() / 255
        # Poisson(x c) / c has variance x / c
        assert out.var().item() == pytest.approx((128 / 255) / photons, rel=0.1)


def test_impulse_noise_sets_only_extremes_at_the_right_rate():
    x = torch.full((8, 3, 32, 32), 100, dtype=torch.uint8)
    for severity, amount in enumerate([0.01, 0.02, 0.03, 0.05, 0.07], start=1):
        out = impulse_noise(x, severity, torch.Generator().manual_seed(severity))
        changed = out != x
        assert set(out[changed].unique().tolist()) <= {0, 255}
        rate = changed.double().mean().item()
        assert rate == pytest.approx(amount, abs=4 * math.sqrt(amount / changed.numel()))
        assert (out[changed] == 255).double().mean().item() == pytest.approx(0.5, abs=0.12)


def test_bad_inputs_raise_clear_errors():
    x = natural_images(1)
    with pytest.raises(TypeError, match="uint8"):
        corrupt(x.float(), "contrast", 1)
    with pytest.raises(ValueError, match="N, C, H, W"):
        corrupt(x[0], "contrast", 1)
    for bad in (0, 6, 2.0, True):
        with pytest.raises(ValueError, match="severity"):
            corrupt(x, "contrast", bad)
    with pytest.raises(KeyError, match="gaussian_noise"):
        corrupt(x, "gaussian_nois", 1)
    with pytest.raises(ValueError, match="larger than"):
        corrupt(x[..., :8, :8], "defocus_blur", 1)


def brute_force_auroc(s_in, s_out):
    wins = sum((b > a) + 0.5 * (b == a) for a in s_in.tolist() for b in s_out.tolist())
    return wins / (len(s_in) * len(s_out))


def test_auroc_matches_pairwise_count_with_ties():
    s_in = torch.randint(0, 6, (40,)).double()  # many ties
    s_out = torch.randint(2, 9, (30,)).double()
    assert auroc(s_in, s_out) == pytest.approx(brute_force_auroc(s_in, s_out), abs=1e-12)
    assert auroc(s_in, s_out, higher_is_ood=False) == pytest.approx(1 - brute_force_auroc(s_in, s_out), abs=1e-12)
    a, b = torch.rand(50), torch.rand(60) + 0.2
    assert auroc(a, b) == pytest.approx(brute_force_auroc(a, b), abs=1e-12)
    assert auroc(torch.zeros(3), torch.ones(4)) == 1.0
    assert auroc(torch.ones(3), torch.zeros(4)) == 0.0
    assert auroc(torch.ones(3), torch.ones(4)) == 0.5
    with pytest.raises(ValueError):
        auroc(torch.tensor([]), torch.ones(2))
    with pytest.raises(ValueError, match="NaN"):
        auroc(torch.tensor([float("nan")]), torch.ones(2))


def test_average_ranks_match_scipy():
    x = torch.randint(0, 10, (100,)).double()
    assert np.allclose(average_ranks(x).numpy(), rankdata(x.numpy()))


def test_ood_scores_values_and_orientation():
    probs = torch.tensor([[0.5, 0.5], [1.0, 0.0], [0.9, 0.1]])
    s = ood_scores(probs)
    assert set(s) == set(HIGHER_IS_OOD)
    assert torch.allclose(s["max_softmax"], torch.tensor([0.5, 1.0, 0.9]))
    assert torch.allclose(s["entropy"], torch.tensor([math.log(2), 0.0, -(0.9 * math.log(0.9) + 0.1 * math.log(0.1))]))
    assert torch.equal(s["mutual_information"], torch.zeros(3))
    # confident in-distribution vs flat, disagreeing OOD samples: every score separates them
    p_in = torch.tensor([[0.97, 0.01, 0.02]]).expand(4, 20, 3)
    p_out = torch.distributions.Dirichlet(torch.full((3,), 0.3)).sample((4, 20))
    result = ood_auroc(p_in, p_out)
    assert set(result) == set(HIGHER_IS_OOD) and all(v > 0.9 for v in result.values())
