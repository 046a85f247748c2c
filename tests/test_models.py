import pytest
import torch

from simaug.models import create_model, list_models

# (name, parameters at 3x32x32 / 10 classes): the tutorial's Keras summary and He et al.'s table
PARAMS = {"simple_cnn": 122_570, "resnet20": 269_722, "resnet32": 464_154, "resnet44": 658_586, "resnet56": 853_018}


def n_params(m):
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize("name,count", PARAMS.items())
def test_parameter_counts(name, count):
    assert n_params(create_model(name)) == count


def test_cifar_resnets_match_the_paper_in_millions():
    # He et al. 2016, Table 6: 0.27M / 0.46M / 0.66M / 0.85M
    for name, millions in {"resnet20": 0.27, "resnet32": 0.46, "resnet44": 0.66, "resnet56": 0.85}.items():
        assert round(n_params(create_model(name)) / 1e6, 2) == millions


@pytest.mark.parametrize("name", list_models())
@pytest.mark.parametrize("channels,size,classes", [(3, 32, 10), (1, 64, 40)])
def test_output_shapes(name, channels, size, classes):
    m = create_model(name, num_classes=classes, in_channels=channels, **({"image_size": size} if name == "simple_cnn" else {}))
    m.eval()
    with torch.no_grad():
        out = m(torch.randn(2, channels, size, size))
    assert out.shape == (2, classes)
    assert torch.isfinite(out).all()


def test_small_image_stems():
    r18 = create_model("resnet18")
    assert r18.conv1.kernel_size == (3, 3) and r18.conv1.stride == (1, 1)
    assert isinstance(r18.maxpool, torch.nn.Identity)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in create_model("vgg13").modules())


def test_resnet_last_stage_is_8x8_at_32px():
    m = create_model("resnet20").eval()
    feats = {}
    m.layer3.register_forward_hook(lambda mod, i, o: feats.setdefault("f", o))
    m(torch.randn(1, 3, 32, 32))
    assert feats["f"].shape == (1, 64, 8, 8)


def test_unknown_model_and_bad_args():
    with pytest.raises(KeyError, match="resnet20"):
        create_model("resnet2O")
    with pytest.raises(ValueError):
        create_model("resnet20", num_classes=0)
    with pytest.raises(ValueError, match="18x18"):
        create_model("simple_cnn", image_size=16)


# -- the option-A shortcut's gradient keeps the activations' memory format ---------------------

class _PlainShortcut(torch.nn.Module):
    """The shortcut as autograd differentiates it by itself (a strided slice, then a pad)."""

    def __init__(self, stride, lo, hi):
        super().__init__()
        self.stride, self.lo, self.hi = stride, lo, hi

    def forward(self, x):
        return torch.nn.functional.pad(x[:, :, :: self.stride, :: self.stride], (0, 0, 0, 0, self.lo, self.hi))


def _with_plain_shortcuts(model):
    import copy

    from simaug.models.cifar_resnet import _ShortcutA

    ref = copy.deepcopy(model)
    for block in [b for stage in (ref.layer1, ref.layer2, ref.layer3) for b in stage]:
        if isinstance(block.shortcut, _ShortcutA):
            s = block.shortcut
            block.shortcut = _PlainShortcut(s.stride, s.pad // 2, s.pad - s.pad // 2)
    return ref


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
@pytest.mark.parametrize("channels_last", [True, False])
def test_resnet_training_steps_are_bit_identical_to_plain_autograd_shortcuts(precision, channels_last):
    """Three SGD steps of ResNet-20 with the custom shortcut backward leave exactly the weights
    (and losses) of the same steps through autograd's own slice-and-pad backward."""
    import torch.nn.functional as F

    fmt = torch.channels_last if channels_last else torch.contiguous_format
    torch.manual_seed(0)
    model = create_model("resnet20").to(memory_format=fmt)
    ref = _with_plain_shortcuts(model)
    g = torch.Generator().manual_seed(1)
    batches = [(torch.randn(16, 3, 32, 32, generator=g).contiguous(memory_format=fmt), torch.randint(0, 10, (16,), generator=g))
               for _ in range(3)]
    losses = {}
    for name, m in (("custom", model), ("plain", ref)):
        opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
        losses[name] = []
        for x, y in batches:
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                loss = F.cross_entropy(m(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses[name].append(loss.item())
    assert losses["custom"] == losses["plain"]
    for (k, a), b in zip(model.state_dict().items(), ref.state_dict().values()):
        assert torch.equal(a, b), k


@pytest.mark.parametrize("channels_last", [True, False])
def test_shortcut_gradient_is_laid_out_like_its_input(channels_last):
    from simaug.models.cifar_resnet import _ShortcutA

    fmt = torch.channels_last if channels_last else torch.contiguous_format
    x = torch.randn(2, 4, 6, 6).contiguous(memory_format=fmt).requires_grad_(True)
    out = _ShortcutA(4, 8, 2)(x)
    plain = _PlainShortcut(2, 2, 2)(x)
    assert torch.equal(out, plain)
    grad = torch.randn_like(out)
    (gx,) = torch.autograd.grad(out, x, grad)
    (gp,) = torch.autograd.grad(plain, x, grad)
    assert torch.equal(gx, gp)
    assert gx.is_contiguous(memory_format=fmt)


def test_shortcut_gradcheck():
    from simaug.models.cifar_resnet import _SubsamplePad

    x = torch.randn(2, 3, 5, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: _SubsamplePad.apply(t, 2, 1, 2), (x,))
