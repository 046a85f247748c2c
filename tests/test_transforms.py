"""The batch-transform protocol over the whole registry (torchvision's ``check_kernel``
invariants): no in-place change, dtype / device / shape kept, replayable parameters,
batched == one by one for the same parameters, p = 0 is the identity, one image (C, H, W)
== a batch of one, torchvision v2 ``Compose``; plus the function forms that must equal
their transforms (crop + flip, random affine, the corruptions)."""
import dataclasses

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import simaug.augment
from simaug.augment import AUGMENTS, BatchTransform, create_augment, list_augments
from simaug.shift import corrupt, list_corruptions
from simaug.stn import AffineBounds, random_affine, theta_components
from simaug.augment.affine import compose_theta
from simaug.train import random_crop_flip

ALL = list_augments()


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def dtypes_of(name):
    kinds = AUGMENTS.get(name).dtypes
    return [d for k, d in (("float", torch.float32), ("uint8", torch.uint8), ("integer", torch.uint8)) if k in kinds]


def example(name, dtype, B=6, **params):
    """The transform with p = 1, a batch of the dtype and the inputs it needs."""
    aug = create_augment(name, p=params.pop("p", 1.0), **params)
    g = gen(42)
    if dtype == torch.uint8:
        x = torch.randint(1, 256, (B, 3, 32, 32), generator=g, dtype=torch.uint8)
    else:
        x = torch.rand(B, 3, 32, 32, generator=g, dtype=dtype) + 0.5
    inputs = {"cam": torch.rand(B, 8, 8, generator=g)} if "cam" in aug.inputs else {}
    return aug, x, inputs


CASES = [(n, d) for n in ALL for d in dtypes_of(n)]


def test_registry_holds_every_kind_of_transform():
    expected = {"random_erasing", "cutout", "hide_and_seek", "cam_erasing", "none", "random_affine", "crop_flip"}
    assert expected | set(list_corruptions()) == set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_keyword_only_hashable_dataclass_module(name):
    cls = AUGMENTS.get(name)
    assert issubclass(cls, BatchTransform) and issubclass(cls, nn.Module) and dataclasses.is_dataclass(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    assert {"p", "fill", "value"} <= set(fields) and all(f.kw_only for f in fields.values())
    with pytest.raises(TypeError):
        cls(0.5)  # keyword-only
    aug = cls()
    assert hash(aug) != hash(cls()) and len(list(nn.Sequential(aug).modules())) == 2
    assert repr(aug).startswith(f"{cls.__name__}(p=")
    with pytest.raises(ValueError, match="probability"):
        cls(p=1.5)
    with pytest.raises(ValueError, match="fill mode"):
        cls(fill="sepia")


@pytest.mark.parametrize("name, dtype", CASES)
def test_input_untouched_dtype_device_shape_kept(name, dtype):
    aug, x, inputs = example(name, dtype)
    x0 = x.clone()
    out = aug(x, gen(1), **inputs)
    assert torch.equal(x, x0)
    assert out.dtype == x.dtype and out.device == x.device and out.shape == x.shape
    assert out.data_ptr() != x.data_ptr()


@pytest.mark.parametrize("name, dtype", CASES)
def test_replay_and_call_equals_sample_then_apply(name, dtype):
    aug, x, inputs = example(name, dtype)
    params = aug.sample(x, gen(3), **inputs)
    assert params["apply"].shape == (6,) and params["apply"].dtype == torch.bool
    a = aug.apply(x, params)
    assert torch.equal(a, aug.apply(x, params))
    assert torch.equal(aug(x, gen(3), **inputs), a)


@pytest.mark.parametrize("name, dtype", CASES)
def test_batched_equals_one_by_one(name, dtype):
    aug, x, inputs = example(name, dtype)
    params = aug.sample(x, gen(2), **inputs)
    out = aug.apply(x, params)
    for i in range(x.shape[0]):
        single = {k: v[i : i + 1] for k, v in params.items()}
        torch.testing.assert_close(aug.apply(x[i : i + 1], single), out[i : i + 1], rtol=0, atol=1e-6)


@pytest.mark.parametrize("name, dtype", CASES)
def test_probability_zero_is_identity(name, dtype):
    aug, x, inputs = example(name, dtype, p=0.0)
    assert torch.equal(aug(x, gen(), **inputs), x)


@pytest.mark.parametrize("name, dtype", CASES)
def test_one_image_equals_a_batch_of_one(name, dtype):
    aug, x, inputs = example(name, dtype)
    one = {k: v[0] for k, v in inputs.items()}
    out = aug(x[0], gen(5), **one)
    assert out.shape == x[0].shape and torch.equal(out, aug(x[:1], gen(5), **{k: v[:1] for k, v in inputs.items()})[0])


@pytest.mark.parametrize("name", ALL)
def test_bad_inputs_raise_clear_errors(name):
    aug, x, inputs = example(name, dtypes_of(name)[0])
    with pytest.raises(TypeError, match="unexpected inputs"):
        aug(x, gen(), mask=torch.ones(6, 32, 32), **inputs)
    unsupported = {("uint8",): torch.float32, ("float",): torch.int16}.get(aug.dtypes, torch.bool)
    with pytest.raises(TypeError, match="images"):
        aug.apply(x.to(unsupported), aug.sample(x, gen(), **inputs))


def test_torchvision_v2_compose_on_a_batch_and_on_one_image():
    from torchvision.transforms import v2

    augment = v2.Compose([v2.RandomHorizontalFlip(), simaug.augment.create_augment("random_erasing")])
    x = torch.rand(16, 3, 32, 32) + 1.0
    torch.manual_seed(0)
    out = augment(x)
    assert out.shape == x.shape and torch.equal(x, x.clone())
    erased = (out == 0).flatten(1).any(1)
    assert 0 < int(erased.sum()) < 16  # p = 0.5 per image, each its own rectangle
    torch.manual_seed(0)
    one = augment(x[0])
    assert one.shape == (3, 32, 32)
    strip = v2.Compose([v2.ToDtype(torch.float32, scale=True), create_augment("cutout", size=8)])
    u8 = torch.randint(1, 256, (3, 32, 32), dtype=torch.uint8)
    assert int((strip(u8) == 0).all(0).sum()) > 0  # a hole in a converted single image
    from torchvision import tv_tensors

    img = tv_tensors.Image(x[:4])
    assert isinstance(augment(img), tv_tensors.Image)


# ---------------------------------------------------------------- function forms
def test_crop_flip_matches_per_image_reference_and_the_function():
    x = torch.randint(0, 255, (7, 3, 6, 5), dtype=torch.uint8)
    aug = create_augment("crop_flip", padding=2)
    params = aug.sample(x, gen(1))
    out = aug.apply(x, params)
    for i in range(7):
        dy, dx = int(params["dy"][i]), int(params["dx"][i])
        ref = F.pad(x[i], (2, 2, 2, 2))[:, dy : dy + 6, dx : dx + 5]
        assert torch.equal(out[i], ref.flip(2) if params["flip"][i] else ref)
    assert torch.equal(out, random_crop_flip(x, 2, True, gen(1)))
    half = create_augment("crop_flip", padding=2, p=0.5)
    prm = half.sample(x, gen(1))
    kept = ~prm["apply"]
    assert 0 < int(kept.sum()) < 7 and torch.equal(half.apply(x, prm)[kept], x[kept])


def test_crop_flip_without_padding_or_flip_is_the_identity_and_draws_the_same_numbers():
    """padding=0, flip=False (chapter 00's recipe) skips the gather: the images come back
    unchanged, and the generator advances exactly as before (later draws stay the same)."""
    x = torch.randint(0, 255, (9, 3, 6, 5), dtype=torch.uint8)
    aug = create_augment("crop_flip", padding=0, flip=False)
    g, ref = gen(3), gen(3)
    out = aug(x, g)
    assert torch.equal(out, x)
    # no offsets (padding 0), no flips and p = 1: nothing is drawn, before or after
    assert torch.equal(torch.rand(5, generator=g), torch.rand(5, generator=ref))
    half = create_augment("crop_flip", padding=0, flip=False, p=0.5)  # only the apply flags
    g, ref = gen(4), gen(4)
    assert torch.equal(half(x, g), x)
    assert torch.equal(torch.rand(5, generator=g), torch.rand(14, generator=ref)[9:])
    gathered = create_augment("crop_flip", padding=0, flip=True)  # the gather path, for contrast
    prm = gathered.sample(x, gen(0))
    assert torch.equal(gathered.apply(x, {**prm, "flip": torch.zeros(9, dtype=torch.bool)}), x)


def test_random_affine_transform_equals_the_function_and_stays_in_bounds():
    x = torch.rand(5, 3, 16, 16)
    b = AffineBounds(rotation_deg=10.0, scale=0.2, translate=0.1, shear=0.05)
    aug = create_augment("random_affine", **dataclasses.asdict(b), padding_mode="border")
    assert torch.equal(aug(x, gen(4)), random_affine(x, b, gen(4), padding_mode="border"))
    c = theta_components(compose_theta(aug.sample((500, 1, 8, 8), gen(0))))
    assert (c["rotation_deg"].abs() <= 10.0 + 1e-4).all() and ((c["scale_x"] - 1).abs() <= 0.2 + 1e-5).all()
    with pytest.raises(ValueError, match="padding_mode"):
        create_augment("random_affine", padding_mode="wrap")
    with pytest.raises(ValueError, match="rotation_deg"):
        create_augment("random_affine", rotation_deg=200.0)


@pytest.mark.parametrize("name", list_corruptions())
def test_corruption_transform_equals_corrupt(name):
    _, x, _ = example(name, torch.uint8, B=3)
    for severity in (2, 5):
        aug = create_augment(name, severity=severity)
        assert torch.equal(aug(x, gen(7)), corrupt(x, name, severity, seed=7))
    with pytest.raises(ValueError, match="severity"):
        create_augment(name, severity=6)


def test_trainer_default_transform_is_crop_flip_from_the_config():
    from simaug.augment import RandomCropFlip
    from simaug.data import ImageSet
    from simaug.train import Trainer, TrainConfig

    data = ImageSet(torch.randint(1, 256, (32, 3, 8, 8), dtype=torch.uint8), torch.arange(32) % 2, ["a", "b"], {})
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 64, 2))
    cfg = dict(epochs=1, batch_size=16, progress=False, device="cpu", normalize="unit")
    tr = Trainer(model, TrainConfig(crop_padding=2, flip=False, **cfg), data)
    assert isinstance(tr.transform, RandomCropFlip) and (tr.transform.padding, tr.transform.flip) == (2, False)
    holes = Trainer(model, TrainConfig(**cfg), data, transform=create_augment("cutout", size=4))
    assert all(bool((xb == 0).all(1).flatten(1).any(1).all()) for xb, _ in holes._batches(0))
    with pytest.raises(TypeError, match="AugmentCallback"):
        Trainer(model, TrainConfig(**cfg), data, transform=create_augment("cam_erasing"))
    with pytest.raises(TypeError, match="BatchTransform"):
        Trainer(model, TrainConfig(**cfg), data, transform=nn.Identity())


@pytest.mark.parametrize("padding,flip,p", [(4, True, 1.0), (2, False, 0.5), (0, True, 1.0), (0, False, 1.0)])
def test_crop_flip_channels_last_output_is_the_same_images(padding, flip, p):
    x = torch.randint(0, 256, (6, 3, 9, 7), dtype=torch.uint8, generator=gen(5))
    plain = create_augment("crop_flip", padding=padding, flip=flip, p=p)
    cl = create_augment("crop_flip", padding=padding, flip=flip, p=p, channels_last=True)
    a, b = plain(x, gen(2)), cl(x, gen(2))
    assert torch.equal(a, b)
    if padding or flip:  # (no crop and no flip returns the input itself)
        assert b.is_contiguous(memory_format=torch.channels_last) and not b.is_contiguous()


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("padding,flip,p", [(4, True, 1.0), (2, False, 0.5), (0, True, 1.0), (3, True, 0.3)])
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_crop_source_equals_the_transform_on_the_selected_images(channels_last, padding, flip, p, dtype):
    """CropSource reads crops (and mirrored crops) as rows of a padded copy: the same images,
    in the same layout, with the same draws, as the transform on images[idx]."""
    from simaug.augment.crop_source import CropSource

    images = torch.randint(0, 256, (30, 3, 9, 7), generator=gen(1)).to(dtype)
    crop = create_augment("crop_flip", padding=padding, flip=flip, p=p, channels_last=channels_last)
    source = CropSource(images, crop)
    assert source.nbytes == CropSource.bytes_for(images, crop) == (1 + flip) * 30 * 3 * (9 + 2 * padding) * (7 + 2 * padding) * images.element_size()
    for seed in range(4):
        idx = torch.randint(0, 30, (11,), generator=gen(seed))  # repeats allowed
        g1, g2 = gen(seed), gen(seed)
        a, b = source(idx, g1), crop(images.index_select(0, idx), g2)
        assert torch.equal(a, b) and a.stride() == b.stride() and a.dtype == dtype
        assert torch.equal(g1.get_state(), g2.get_state())
    with pytest.raises(TypeError, match="RandomCropFlip"):
        CropSource(images, create_augment("cutout", size=2))
