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
