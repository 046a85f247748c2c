"""Tests of the erasing kernels of simaug.augment: erasing invariants (the erased region is
exactly the mask, fills, per-image regions), the closed-form erase-ratio distributions, an
independent port of the official Random Erasing loop (run over every registered transform
with Random Erasing's box law), CAM-erasing geometry and bad parameters. The invariants
every transform shares are in test_transforms.py, the callback in test_augment_callback.py."""
import dataclasses
import math
import random
from collections import Counter

import pytest
import torch

from simaug.augment import (
    AUGMENTS,
    CIFAR10_MEAN,
    Erasing,
    cam_peaks,
    create_augment,
    erase_ratios,
    list_augments,
)

ALL = [n for n in list_augments() if issubclass(AUGMENTS.get(n), Erasing)]  # the erasing kernels
ERASING = [n for n in ALL if n != "none"]
# Transforms drawing Random Erasing's box (area ~ U[scale], aspect ~ U[ratio], first fit of
# ``attempts``): the official loop's law is checked on each of them.
RE_LAW = [n for n in ERASING if {"scale", "ratio", "attempts"} <= {f.name for f in dataclasses.fields(AUGMENTS.get(n))}]


@pytest.fixture(autouse=True)
def _seed_and_one_thread():
    # One thread: these tensors are small, and on a shared 2-core machine torch's
    # default thread pool spins against other processes (10x slower tests).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    random.seed(0)
    yield
    torch.set_num_threads(threads)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def inputs_for(name, x):
    """Extra sampler inputs: a random CAM for cam_erasing."""
    if name == "cam_erasing":
        return {"cam": torch.rand(x.shape[0], 8, 8, generator=gen(99))}
    return {}


def make(name, **params):
    if name != "none":
        params.setdefault("p", 1.0)
    return create_augment(name, **params)


def batch(B=16, C=3, H=32, W=32, dtype=torch.float32):
    if dtype == torch.uint8:
        return torch.randint(1, 256, (B, C, H, W), dtype=dtype)
    return torch.rand(B, C, H, W, dtype=dtype) + 1.0  # > 0, so zero fill is visible


# ---------------------------------------------------------------- erasing invariants
def test_registry_names():
    assert {"random_erasing", "cutout", "hide_and_seek", "cam_erasing", "none"} <= set(ALL)
    assert set(RE_LAW) == {"random_erasing", "cam_erasing"}


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("dtype", [torch.float64, torch.int32])
def test_other_dtypes_kept(name, dtype):
    aug = make(name)
    x = batch(dtype=dtype) if dtype.is_floating_point else torch.randint(1, 1000, (16, 3, 32, 32), dtype=dtype)
    x0 = x.clone()
    out = aug(x, gen(), **inputs_for(name, x))
    assert torch.equal(x, x0) and out.dtype == x.dtype and out.shape == x.shape


@pytest.mark.parametrize("name", ALL)
def test_replay_with_random_fill(name):
    aug = make(name, fill="random")
    x = batch()
    params = aug.sample(x, gen(3), **inputs_for(name, x))
    a, b = aug.apply(x, params), aug.apply(x, params)
    assert torch.equal(a, b)
    assert torch.equal(aug(x, gen(3), **inputs_for(name, x)), a)  # call == sample + apply


@pytest.mark.parametrize("name", ALL)
def test_output_differs_exactly_on_mask_and_fraction_matches(name):
    aug = make(name)
    x = batch()
    params = aug.sample(x, gen(1), **inputs_for(name, x))
    out = aug.apply(x, params)
    mask = aug.mask(params, (32, 32))
    assert torch.equal((out != x).any(1), mask)  # zero fill on x >= 1
    assert torch.all(out[mask[:, None].expand_as(x)] == 0)
    frac = aug.erased_fraction(params, (32, 32))
    torch.testing.assert_close(frac, mask.flatten(1).float().mean(1))


@pytest.mark.parametrize("name", ERASING)
def test_each_image_gets_its_own_region(name):
    aug = make(name)
    x = batch(B=16)
    masks = aug.mask(aug.sample(x, gen(4), **inputs_for(name, x)), (32, 32)).flatten(1)
    distinct = {tuple(m.tolist()) for m in masks}
    assert len(distinct) >= 12  # torchvision's batched RandomErasing would give 1


def test_probability_is_per_image():
    for name, p in [("random_erasing", 0.3), ("cutout", 0.6), ("hide_and_seek", 0.5), ("cam_erasing", 0.2)]:
        aug = create_augment(name, p=p)
        inputs = {"points": torch.full((20000, 2), 16)} if name == "cam_erasing" else {}
        rate = aug.sample((20000, 1, 32, 32), gen(5), **inputs)["apply"].float().mean().item()
        assert abs(rate - p) < 5 * math.sqrt(p * (1 - p) / 20000) + 1e-3, name


def test_shape_only_sampling_and_device():
    aug = make("cutout")
    params = aug.sample((4, 3, 32, 32), gen())
    assert all(v.device.type == "cpu" and v.shape[0] == 4 for v in params.values())
    x = batch(B=4)
    assert torch.equal(aug.apply(x, params), aug.apply(x, {k: v.clone() for k, v in params.items()}))


# ---------------------------------------------------------------- fill modes
def test_fill_constant_mean_random():
    x = batch(B=8)
    g = lambda: gen(7)  # noqa: E731
    ref = make("random_erasing").sample(x, g())
    mask = make("random_erasing").mask(ref, (32, 32))[:, None].expand_as(x)

    out = make("random_erasing", fill="constant", value=(0.1, 0.2, 0.3))(x, g())
    vals = torch.tensor([0.1, 0.2, 0.3]).view(1, 3, 1, 1).expand_as(x)
    assert torch.equal(out[mask], vals[mask]) and torch.equal(out[~mask], x[~mask])

    out = make("random_erasing", fill="mean")(x, g())
    assert torch.equal(out[mask], torch.tensor(CIFAR10_MEAN).view(1, 3, 1, 1).expand_as(x)[mask])

    aug = make("random_erasing", fill="random")
    params = aug.sample(x, g())
    out = aug.apply(x, params)
    assert torch.equal(out[mask], params["noise"][mask])
    assert abs(params["noise"].std().item() - 1.0) < 0.05  # N(0, 1) per pixel

    u8 = batch(B=8, dtype=torch.uint8)
    out = make("random_erasing", fill="mean")(u8, g())
    u8_mean = torch.tensor([125, 123, 114], dtype=torch.uint8).view(1, 3, 1, 1)  # round(255 * mean)
    assert torch.equal(out[mask], u8_mean.expand_as(u8)[mask]) and torch.equal(out[~mask], u8[~mask])


def test_interval_indicator_equals_comparisons():
    from simaug.augment.boxes import interval_indicator

    n = 7
    lo, hi = torch.meshgrid(torch.arange(n + 1), torch.arange(n + 1), indexing="ij")
    lo, hi = lo.flatten(), hi.flatten()  # every pair, including empty and reversed ones
    keep = torch.rand(lo.shape[0]) < 0.7
    pos = torch.arange(n)
    expected = (pos >= lo[:, None]) & (pos < hi[:, None]) & keep[:, None]
    for dtype in (torch.float32, torch.float64):
        got = interval_indicator(lo, hi, n, dtype, keep=keep)
        assert got.dtype == dtype and torch.equal(got, expected.to(dtype))
    assert torch.equal(interval_indicator(lo, hi, n), ((pos >= lo[:, None]) & (pos < hi[:, None])).float())


# ---------------------------------------------------------------- Random Erasing
def official_random_erasing_ratio(rng, H=32, W=32, p=1.0, sl=0.02, sh=0.4, r1=0.3):
    """Erased fraction of zhunzhong07/Random-Erasing's transforms.RandomErasing, one image,
    ported line by line with Python's random module."""
    if rng.uniform(0, 1) > p:
        return 0.0
    for _ in range(100):
        area = H * W
        target_area = rng.uniform(sl, sh) * area
        aspect_ratio = rng.uniform(r1, 1 / r1)
        h = int(round(math.sqrt(target_area * aspect_ratio)))
        w = int(round(math.sqrt(target_area / aspect_ratio)))
        if w < W and h < H:
            return h * w / area
    return 0.0


def ks_distance(a, b):
    a, b = torch.sort(a.double()).values, torch.sort(b.double()).values
    grid = torch.cat([a, b]).unique()
    fa = torch.searchsorted(a, grid, right=True).double() / len(a)
    fb = torch.searchsorted(b, grid, right=True).double() / len(b)
    return (fa - fb).abs().max().item()


def box_law_ratios(name, n, seed, **params):
    """Area of the drawn box / image area (before any clipping; 0 for an image whose
    candidates all failed), from a transform's sampler."""
    aug = make(name, **params)
    inputs = {"points": torch.zeros(n, 2, dtype=torch.long)} if "points" in aug.optional_inputs else {}
    prm = aug.sample((n, 1, 32, 32), gen(seed), **inputs)
    h, w = (prm["h"], prm["w"]) if "h" in prm else (prm["y1"] - prm["y0"], prm["x1"] - prm["x0"])
    return (h * w).float() * prm["apply"] / 1024


@pytest.mark.parametrize("name", RE_LAW)
def test_random_erasing_box_law_matches_official_loop(name):
    rng = random.Random(0)
    ref = torch.tensor([official_random_erasing_ratio(rng) for _ in range(20000)])
    ours = box_law_ratios(name, 200000, seed=1)
    # Two-sample KS at alpha ~ 1e-6: 2.69 * sqrt((n1 + n2) / (n1 n2)) = 0.020
    assert ks_distance(ref, ours) < 0.02
    assert abs(ref.mean().item() - ours.mean().item()) < 0.004
    if name == "random_erasing":  # nothing is clipped: the erased ratio is the box's
        assert torch.equal(ours, erase_ratios(name, 200000, p=1.0, seed=1, chunk=200000))


@pytest.mark.parametrize("name", RE_LAW)
def test_random_erasing_box_law_when_most_candidates_fail(name):
    # Areas of 90-100% of the image rarely fit (H_e, W_e < 32), so most images need more
    # than one block of candidates and ~1 in 8 gives up after 100: the later blocks and
    # the give-up path follow the official loop too.
    rng = random.Random(1)
    ref = torch.tensor([official_random_erasing_ratio(rng, sl=0.9, sh=1.0) for _ in range(10000)])
    ours = box_law_ratios(name, 100000, seed=2, scale=(0.9, 1.0))
    assert 0.05 < (ref == 0).double().mean().item() < 0.3  # the regime is the intended one
    # Two-sample KS at alpha ~ 1e-6: 2.69 * sqrt((n1 + n2) / (n1 n2)) = 0.028
    assert ks_distance(ref, ours) < 0.028
    assert abs((ref == 0).double().mean().item() - (ours == 0).double().mean().item()) < 0.02


def test_random_erasing_area_bounds_and_fit():
    aug = make("random_erasing")
    params = aug.sample((50000, 1, 32, 32), gen(8))
    h, w = params["y1"] - params["y0"], params["x1"] - params["x0"]
    assert bool(((h < 32) & (w < 32) & (h >= 1) & (w >= 1)).all())  # official strict fit
    assert bool((params["y0"] >= 0).all() and (params["y1"] <= 32).all())
    # h * w is S_e up to the rounding of sqrt(S r) and sqrt(S / r) to whole pixels:
    # |hw - S| <= (sqrt(Sr) + sqrt(S/r)) / 2 + 1/4 <= sqrt(S) (sqrt(r1) + 1/sqrt(r1)) / 2 + 1/4.
    S_max, S_min = 0.4 * 1024, 0.02 * 1024
    slack = lambda S: math.sqrt(S) * (math.sqrt(0.3) + 1 / math.sqrt(0.3)) / 2 + 0.25  # noqa: E731
    area = (h * w).float()
    assert area.max() <= S_max + slack(S_max) and area.min() >= S_min - slack(S_min)
    assert area.max() > 0.9 * S_max and area.min() < 1.5 * S_min  # the whole range is used
    frac = erase_ratios("random_erasing", 100000, p=1.0)
    assert 0.0 < frac.min() and frac.max() < 0.45


def test_random_erasing_fixed_box_is_exact_and_uniformly_placed():
    # area 1/4 and aspect 1: S = 256, h = w = 16 exactly; corner uniform on 0..16.
    aug = make("random_erasing", scale=(0.25, 0.25), ratio=(1.0, 1.0))
    params = aug.sample((34000, 1, 32, 32), gen(9))
    assert bool(((params["y1"] - params["y0"]) == 16).all())
    counts = torch.bincount(params["y0"], minlength=17).float()
    assert counts.numel() == 17  # 0..16 inclusive, never 17
    expected = 34000 / 17
    assert ((counts - expected).abs() < 5 * math.sqrt(expected)).all()


def test_random_erasing_gives_up_when_nothing_fits():
    aug = make("random_erasing", scale=(1.0, 1.0), ratio=(1.0, 1.0))  # 32x32 never < 32
    assert not aug.sample((100, 3, 32, 32), gen())["apply"].any()


def test_aspect_sampling_uniform_vs_log():
    shape = (40000, 1, 32, 32)
    for mode, median in [("uniform", (0.3 + 1 / 0.3) / 2), ("log", 1.0)]:
        aug = make("random_erasing", aspect_sampling=mode, attempts=1, scale=(0.1, 0.1))
        params = aug.sample(shape, gen())
        ratio = ((params["y1"] - params["y0"]).float() / (params["x1"] - params["x0"]).float())
        assert abs(ratio.median().item() - median) < 0.25 * median, mode


# ---------------------------------------------------------------- Cutout
def cutout_exact_pmf(H=32, size=16):
    """Erased fraction distribution of a size x size square with a uniform centre pixel,
    by enumerating the H centre rows and H centre columns (independent)."""
    ext = [min(c - size // 2 + size, H) - max(c - size // 2, 0) for c in range(H)]
    pmf = Counter()
    for a in ext:
        for b in ext:
            pmf[a * b / (H * H)] += 1 / (H * H)
    return pmf


def test_cutout_closed_form_distribution():
    pmf = cutout_exact_pmf()
    n = 200000
    r = erase_ratios("cutout", n, seed=3)
    emp = Counter(r.tolist())
    assert set(emp) <= set(pmf)
    for v, q in pmf.items():
        assert abs(emp.get(v, 0) / n - q) < 5 * math.sqrt(q * (1 - q) / n) + 1e-6
    exact_mean = sum(v * q for v, q in pmf.items())
    # By hand: extent per axis is 8..15 for centres 0..7, 16 for 8..23, 16..9 for 24..31,
    # so E[len] = (92 + 256 + 100) / 32 = 14 and E[ratio] = 14^2 / 32^2 = 0.19140625.
    assert exact_mean == pytest.approx(196 / 1024)
    assert r.mean().item() == pytest.approx(exact_mean, abs=0.002)
    assert r.max().item() == 0.25 and r.min().item() == 64 / 1024  # corner centre: 8x8


def test_cutout_square_centred_on_its_centre():
    params = make("cutout", size=16).sample((500, 1, 32, 32), gen(4))
    assert torch.equal(params["y0"], (params["cy"] - 8).clamp(0, 32))
    assert torch.equal(params["x1"], (params["cx"] + 8).clamp(0, 32))
    assert params["cy"].min() == 0 and params["cy"].max() == 31


# ---------------------------------------------------------------- Hide-and-Seek
def test_hide_and_seek_binomial_patch_counts():
    n, cells = 100000, 16  # 32x32 image, 8x8 patches: 4x4 grid
    r = erase_ratios("hide_and_seek", n, p=0.5, seed=4)
    counts = torch.round(r * cells).long()
    assert torch.allclose(counts.double() / cells, r.double())  # whole cells only
    freq = torch.bincount(counts, minlength=cells + 1).double() / n
    for k in range(cells + 1):
        binom = math.comb(cells, k) / 2**cells
        q = 0.5 * binom + (0.5 if k == 0 else 0.0)  # p = 0.5: half the images untouched
        assert abs(freq[k].item() - q) < 5 * math.sqrt(q * (1 - q) / n) + 1e-6, k


def test_hide_and_seek_partial_cells():
    aug = make("hide_and_seek", patch=8)
    params = aug.sample((64, 1, 30, 20), gen())
    assert params["hidden"].shape == (64, 4, 3)  # ceil(30/8), ceil(20/8)
    mask = aug.mask(params, (30, 20))
    torch.testing.assert_close(aug.erased_fraction(params, (30, 20)), mask.flatten(1).float().mean(1))
    # cell (3, 2) covers rows 24..29, cols 16..19
    assert torch.equal(mask[:, 24:, 16:].all((1, 2)) | ~params["hidden"][:, 3, 2], torch.ones(64, dtype=torch.bool))


# ---------------------------------------------------------------- CAM erasing
def test_cam_peaks_mapping():
    cam = torch.zeros(2, 8, 8)
    cam[0, 1, 2] = 1.0
    cam[1, 7, 7] = 1.0
    assert cam_peaks(cam, (32, 32)).tolist() == [[6, 10], [30, 30]]
    full = torch.zeros(1, 32, 32)
    full[0, 5, 9] = 2.0
    assert cam_peaks(full, (32, 32)).tolist() == [[5, 9]]
    ties = torch.randint(0, 3, (200, 7, 5)).float()  # many ties: the first in row-major order
    flat = ties.flatten(1).argmax(1)
    assert torch.equal(cam_peaks(ties, (7, 5)), torch.stack([flat // 5, flat % 5], 1))
    # NaN counts as the maximum in torch.argmax; a map holding one keeps argmax's answer
    nan = torch.rand(6, 7, 5)
    nan[1, 3, 2] = float("nan")
    nan[4, 0, 1] = float("nan")
    nan[4, 6, 4] = float("nan")
    flat = nan.flatten(1).argmax(1)
    assert flat[1] == 3 * 5 + 2 and flat[4] == 1
    assert torch.equal(cam_peaks(nan, (7, 5)), torch.stack([flat // 5, flat % 5], 1))


@pytest.mark.parametrize("aspect_sampling", ["uniform", "log"])
@pytest.mark.parametrize("H,W,scale,attempts", [(32, 32, (0.02, 0.4), 100), (30, 20, (0.02, 0.4), 100),
                                                 (8, 8, (0.7, 1.0), 100), (8, 6, (0.5, 1.0), 7)])
def test_box_sizes_host_path_equals_the_torch_path(monkeypatch, aspect_sampling, H, W, scale, attempts):
    """On CPU the box-size sampler computes in numpy; the torch ops used on other devices
    must give the same sizes and fit flags from the same draws (the (8, 8) and (8, 6)
    cases make most candidates fail, so the extra blocks and give-ups are exercised)."""
    import simaug.augment.random_erasing as re_mod

    args = (3000, H, W, scale, (0.3, 1 / 0.3), attempts, aspect_sampling)
    host = re_mod.sample_box_size(*args, gen(11), "cpu")
    monkeypatch.setattr(re_mod, "on_host", lambda device: False)
    ref = re_mod.sample_box_size(*args, gen(11), "cpu")
    if H == 8:  # most candidates fail: some images gave up, the others fitted
        assert 0.5 < ref[1].float().mean() < 0.999
    for a, b in zip(host, ref):
        assert a.dtype == b.dtype and torch.equal(a, b)


@pytest.mark.parametrize("size", [(32, 32), (30, 20)])
def test_random_erasing_host_path_equals_the_torch_path(monkeypatch, size):
    import simaug.augment.random_erasing as re_mod

    aug = make("random_erasing", p=0.7)
    host = aug.sample((3000, 3, *size), gen(12))
    monkeypatch.setattr(re_mod, "on_host", lambda device: False)
    ref = aug.sample((3000, 3, *size), gen(12))
    assert set(host) == set(ref)
    for k in ref:
        assert host[k].dtype == ref[k].dtype and torch.equal(host[k], ref[k]), k


@pytest.mark.parametrize("corner", ["random", "bottom_right"])
@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64, torch.bfloat16])
@pytest.mark.parametrize("size,cam_size", [((32, 32), (32, 32)), ((30, 20), (7, 5))])
def test_cam_erasing_host_path_equals_the_torch_path(monkeypatch, corner, dtype, size, cam_size):
    """On CPU the peak search and box arithmetic run in numpy; the torch ops used on other
    devices must give the same parameters (ties and NaN included)."""
    import simaug.augment.cam_erasing as ce
    import simaug.augment.random_erasing as re_mod

    B = 300
    cam = torch.randint(0, 4, (B, *cam_size), generator=gen(8)).to(dtype)  # many ties
    cam[5, 1, 2] = float("nan")
    aug = make("cam_erasing", corner=corner, b_h=3)
    host = aug.sample((B, 3, *size), gen(9), cam=cam)
    monkeypatch.setattr(ce, "on_host", lambda device: False)
    monkeypatch.setattr(re_mod, "on_host", lambda device: False)  # its box-size draw too
    ref = aug.sample((B, 3, *size), gen(9), cam=cam)
    assert set(host) == set(ref)
    for k in ref:
        assert host[k].dtype == ref[k].dtype and torch.equal(host[k], ref[k]), k


@pytest.mark.parametrize("corner", ["top_left", "top_right", "bottom_left", "bottom_right", "random"])
def test_cam_erasing_corner_geometry(corner):
    B, H = 4000, 32
    points = torch.randint(0, H, (B, 2))
    aug = make("cam_erasing", corner=corner, b_h=3)
    prm = aug.sample((B, 1, H, H), gen(6), points=points)
    assert torch.equal(prm["py"], points[:, 0]) and torch.equal(prm["px"], points[:, 1])
    for d in ("dy", "dx"):
        assert prm[d].min() == 0 and prm[d].max() == 3  # rand(0, b_h), inclusive
    ay, ax = prm["py"] + prm["dy"], prm["px"] + prm["dx"]  # p_n
    bottom, right = prm["corner"] >= 2, prm["corner"] % 2 == 1
    y0 = torch.where(bottom, ay - prm["h"] + 1, ay)
    x0 = torch.where(right, ax - prm["w"] + 1, ax)
    assert torch.equal(prm["y0"], y0.clamp(0, H)) and torch.equal(prm["y1"], (y0 + prm["h"]).clamp(0, H))
    assert torch.equal(prm["x0"], x0.clamp(0, H)) and torch.equal(prm["x1"], (x0 + prm["w"]).clamp(0, H))
    inside = (ay < H) & (ax < H)
    mask = aug.mask(prm, (H, H))
    idx = torch.arange(B)[inside]
    assert mask[idx, ay[inside], ax[inside]].all()  # p_n is a corner pixel of the erased box
    if corner == "random":
        counts = torch.bincount(prm["corner"], minlength=4).float()
        assert ((counts - B / 4).abs() < 5 * math.sqrt(B / 4)).all()
    else:
        assert bool((prm["corner"] == ["top_left", "top_right", "bottom_left", "bottom_right"].index(corner)).all())


def test_cam_erasing_b_h_zero_puts_corner_on_peak_and_erases_it():
    cam = torch.rand(64, 32, 32, generator=gen(2))
    aug = make("cam_erasing", b_h=0)
    x = batch(B=64)
    prm = aug.sample(x, gen(3), cam=cam)
    peaks = cam_peaks(cam, (32, 32))
    out = aug.apply(x, prm)
    assert (out[torch.arange(64), :, peaks[:, 0], peaks[:, 1]] == 0).all()


def test_cam_erasing_box_sizes_follow_random_erasing():
    B = 60000
    prm = make("cam_erasing").sample((B, 1, 32, 32), gen(1), points=torch.full((B, 2), 16))
    re = make("random_erasing").sample((B, 1, 32, 32), gen(2))
    ours = (prm["h"] * prm["w"]).float() / 1024
    theirs = ((re["y1"] - re["y0"]) * (re["x1"] - re["x0"])).float() / 1024
    assert ks_distance(ours, theirs) < 0.015


def test_erase_ratios_cam_options():
    cam = torch.zeros(32, 32)
    cam[0, 0] = 1.0  # peak in the corner: bottom/right-anchored boxes shrink to a sliver
    r = erase_ratios("cam_erasing", 20000, cam=cam, corner="top_left", b_h=0)
    free = erase_ratios("random_erasing", 20000, p=1.0)
    assert abs(r.mean().item() - free.mean().item()) < 0.01  # top-left at (0,0): never clipped
    r_uniform = erase_ratios("cam_erasing", 20000)
    assert r_uniform.mean() < free.mean()  # peaks anywhere: boxes get clipped
    with pytest.raises(ValueError, match="cam"):
        erase_ratios("cutout", 10, cam=cam)


def test_cam_erasing_needs_cam():
    with pytest.raises(ValueError, match="cam="):
        make("cam_erasing")(batch())
    with pytest.raises(ValueError, match="images"):
        make("cam_erasing")(batch(B=4), cam=torch.rand(3, 8, 8))
    with pytest.raises(TypeError, match="unexpected inputs"):
        make("cutout")(batch(), cam=torch.rand(16, 8, 8))


# ---------------------------------------------------------------- erase_ratios
def test_erase_ratios_seeded_and_chunked():
    a = erase_ratios("random_erasing", 5000, seed=11, chunk=5000)
    b = erase_ratios("random_erasing", 5000, seed=11, chunk=5000)
    c = erase_ratios("random_erasing", 5000, seed=11, chunk=1000)
    assert torch.equal(a, b) and a.shape == c.shape == (5000,)
    assert abs(a.mean().item() - c.mean().item()) < 0.02 and not torch.equal(a, erase_ratios("random_erasing", 5000, seed=12))
    assert erase_ratios("none", 7).tolist() == [0.0] * 7


# ---------------------------------------------------------------- bad parameters
@pytest.mark.parametrize(
    "name, params, match",
    [
        ("random_erasing", {"scale": (0.4, 0.02)}, "scale"),
        ("random_erasing", {"scale": (0.0, 0.4)}, "scale"),
        ("random_erasing", {"ratio": (3.0, 0.3)}, "ratio"),
        ("cam_erasing", {"ratio": (0.0, 0.3)}, "ratio"),
        ("random_erasing", {"p": 1.5}, "probability"),
        ("random_erasing", {"p": -0.1}, "probability"),
        ("random_erasing", {"fill": "blue"}, "fill mode"),
        ("random_erasing", {"fill": "constant"}, "value"),
        ("cutout", {"fill": "constant", "value": float("nan")}, "finite"),
        ("cutout", {"fill": "constant", "value": [[1.0]]}, "per channel"),
        ("random_erasing", {"attempts": 0}, "attempts"),
        ("random_erasing", {"aspect_sampling": "normal"}, "aspect_sampling"),
        ("cutout", {"size": 0}, "size"),
        ("hide_and_seek", {"hide_prob": 2.0}, "probability"),
        ("hide_and_seek", {"patch": 0}, "patch"),
        ("cam_erasing", {"b_h": -1}, "b_h"),
        ("cam_erasing", {"corner": "centre"}, "corner"),
    ],
)
def test_bad_parameters_raise(name, params, match):
    with pytest.raises(ValueError, match=match):
        create_augment(name, **params)


def test_bad_usage_raises():
    with pytest.raises(ValueError, match="larger than"):
        make("hide_and_seek", patch=8)(batch(H=4, W=4))
    with pytest.raises(ValueError, match="larger than"):
        make("cutout", size=40)(batch())
    with pytest.raises(TypeError, match="no parameter"):
        create_augment("cutout", length=16)
    with pytest.raises(TypeError, match="area is now scale"):  # torchvision v2's names since issue 13
        create_augment("random_erasing", area=(0.02, 0.4))
    with pytest.raises(KeyError, match="cutout"):
        create_augment("cutuot")
    with pytest.raises(ValueError, match="channels"):
        make("random_erasing", fill="constant", value=(0.1, 0.2))(batch())
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        make("cutout")(torch.rand(32, 32))
    with pytest.raises(ValueError, match="sampled for a batch of 4"):
        aug = make("cutout")
        aug.apply(batch(B=3), aug.sample((4, 3, 32, 32), gen()))
