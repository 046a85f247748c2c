"""Tests of simaug.cam: Grad-CAM and Grad-CAM++ against independent one-image-at-a-time
implementations (forward hook + autograd.grad, the papers' weights written out) and
Grad-CAM against the closed form for a GAP + linear head (Grad-CAM == CAM), side-effect
freedom during training, the CAM source, the thresholded box and the overlay."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from simaug.cam import (  # noqa: E402
    BaseCAM,
    CamSource,
    ClassifierOutputTarget,
    GradCAM,
    GradCAMPlusPlus,
    cam_bbox,
    cam_overlay,
    create_cam,
    list_cams,
    normalize_cam,
)


@pytest.fixture(autouse=True)
def _seed_and_one_thread():
    # One thread: these tensors are small, and on a shared 2-core machine torch's
    # default thread pool spins against other processes (10x slower tests).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    torch.set_num_threads(threads)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = nn.Sequential() if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.short(x))


class SmallResNet(nn.Module):
    """A 3-stage CIFAR-style ResNet small enough for tests; ``layer3`` is the last stage."""

    def __init__(self, k=5, width=4):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = Block(width, width, 1)
        self.layer2 = Block(width, 2 * width, 2)
        self.layer3 = Block(2 * width, 4 * width, 2)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4 * width, k)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.drop(F.adaptive_avg_pool2d(x, 1).flatten(1)))


def trained_like(model):
    """Non-trivial BN statistics, so that eval and train modes differ."""
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(16, 3, 16, 16) * 2 + 0.5)
    return model.eval()


def reference_gradcam(model, layer, x, cls):
    """Independent Grad-CAM, one image at a time: forward hook + autograd.grad."""
    model.eval()
    maps = []
    for i in range(x.shape[0]):
        store = {}
        h = layer.register_forward_hook(lambda m, inp, out: store.__setitem__("a", out))
        try:
            logits = model(x[i : i + 1])
        finally:
            h.remove()
        a = store["a"]
        (g,) = torch.autograd.grad(logits[0, int(cls[i])], a)
        m = torch.relu((g.mean((2, 3), keepdim=True) * a).sum(1, keepdim=True))
        m = F.interpolate(m, size=x.shape[-2:], mode="bilinear", align_corners=False)[0, 0]
        lo, hi = m.min(), m.max()
        maps.append((m - lo) / (hi - lo) if hi > lo else torch.zeros_like(m))
    return torch.stack(maps).detach()


def test_matches_independent_implementation_all_target_forms():
    model = trained_like(SmallResNet())
    x = torch.randn(6, 3, 16, 16)
    pred = model(x).argmax(1)
    cls = torch.tensor([0, 1, 2, 3, 4, 0])
    with GradCAM(model, model.layer3) as cam:
        ours_pred = cam(x)
        ours_int = cam(x, targets=cls)
        ours_list = cam(x, targets=cls.tolist())
        ours_call = cam(x, targets=[ClassifierOutputTarget(int(c)) for c in cls])
        ours_batch_call = cam(x, targets=ClassifierOutputTarget(2))
    torch.testing.assert_close(ours_pred, reference_gradcam(model, model.layer3, x, pred), atol=1e-5, rtol=1e-4)
    ref = reference_gradcam(model, model.layer3, x, cls)
    for ours in (ours_int, ours_list, ours_call):
        torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(ours_batch_call, reference_gradcam(model, model.layer3, x, [2] * 6), atol=1e-5, rtol=1e-4)
    assert ours_pred.shape == (6, 16, 16) and ours_pred.dtype == torch.float32
    assert ours_pred.min() >= 0 and ours_pred.max() <= 1
    assert not torch.allclose(ours_int, ours_pred)  # the target matters


def reference_gradcam_plus_plus(model, layer, x, cls):
    """Independent Grad-CAM++, one image at a time: Chattopadhyay et al.'s Eq. 19 weights
    with exp(score) (pytorch-grad-cam's form), written out per channel with plain loops."""
    model.eval()
    maps = []
    for i in range(x.shape[0]):
        store = {}
        h = layer.register_forward_hook(lambda m, inp, out: store.__setitem__("a", out))
        try:
            logits = model(x[i : i + 1])
        finally:
            h.remove()
        a = store["a"]
        (g,) = torch.autograd.grad(logits[0, int(cls[i])], a)
        a, g = a[0].detach().double(), g[0].double()  # (K, h, w)
        m = torch.zeros(a.shape[1:], dtype=torch.float64)
        for k in range(a.shape[0]):
            num, den = g[k] ** 2, 2 * g[k] ** 2 + a[k].sum() * g[k] ** 3 + 1e-6
            alpha = torch.where(g[k] != 0, num / den, torch.zeros_like(num))
            w_k = (alpha * torch.relu(g[k])).sum()
            m += w_k * a[k]
        m = F.interpolate(torch.relu(m)[None, None], size=x.shape[-2:], mode="bilinear", align_corners=False)[0, 0]
        lo, hi = m.min(), m.max()
        maps.append(((m - lo) / (hi - lo) if hi > lo else torch.zeros_like(m)).float())
    return torch.stack(maps)


def test_gradcam_plus_plus_matches_independent_implementation():
    model = trained_like(SmallResNet())
    x = torch.randn(5, 3, 16, 16)
    cls = torch.tensor([0, 1, 2, 3, 4])
    with GradCAMPlusPlus(model, model.layer3) as cam:
        ours = cam(x, targets=cls)
    torch.testing.assert_close(ours, reference_gradcam_plus_plus(model, model.layer3, x, cls), atol=1e-4, rtol=1e-3)
    with GradCAM(model, model.layer3) as cam:
        assert not torch.allclose(ours, cam(x, targets=cls), atol=1e-3)  # another method, other maps


def test_cam_methods_registry_and_a_new_method_as_one_hook():
    assert {"gradcam", "gradcam++"} <= set(list_cams())
    model = trained_like(SmallResNet())
    x = torch.randn(3, 3, 16, 16)

    class UniformCAM(BaseCAM):  # every channel weighted 1: ReLU(sum_k F^k)
        def cam_weights(self, activations, gradients):
            return torch.ones_like(activations[:, :, :1, :1])

    with UniformCAM(model, "layer3") as cam:
        ours = cam(x)
    with torch.no_grad():
        f = model.layer3(model.layer2(model.layer1(F.relu(model.bn1(model.conv1(x))))))
    m = F.interpolate(torch.relu(f.sum(1, keepdim=True)), size=(16, 16), mode="bilinear", align_corners=False)[:, 0]
    torch.testing.assert_close(ours, normalize_cam(m), atol=1e-5, rtol=1e-4)
    with create_cam("gradcam", model, "layer3") as a, GradCAM(model, "layer3") as b:
        assert type(a) is GradCAM and torch.equal(a(x), b(x))
    with pytest.raises(NotImplementedError):
        with BaseCAM(model, "layer3") as base:
            base(x)


def test_cam_source_builds_once_and_explains_labels_or_predictions():
    model, other = trained_like(SmallResNet()), trained_like(SmallResNet())
    x, y = torch.randn(4, 3, 16, 16), torch.tensor([0, 1, 2, 3])
    source = CamSource(target_layer=lambda m: m.layer3)
    source.start(model)
    with GradCAM(model, "layer3") as ref:
        torch.testing.assert_close(source(x, y), ref(x, targets=y))
    cam = source.cam
    assert source(x, y) is not None and source.cam is cam  # the same CAM for every batch
    source.close()
    source.close()
    assert len(model.layer3._forward_hooks) == 0 and not source.started
    with pytest.raises(RuntimeError, match="start"):
        source(x, y)
    fixed = CamSource(model=other, target="predicted", method="gradcam++")
    fixed.start(model)  # a separate model is explained, not the trained one
    with GradCAMPlusPlus(other, "layer3") as ref:
        torch.testing.assert_close(fixed(x, y), ref(x))
    fixed.close()


def test_intermediate_layer_by_name():
    model = trained_like(SmallResNet())
    x = torch.randn(3, 3, 16, 16)
    with GradCAM(model, "layer2.conv2") as cam:
        ours = cam(x, targets=torch.tensor([1, 1, 4]))
    ref = reference_gradcam(model, model.layer2.conv2, x, [1, 1, 4])
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-4)


def test_gap_linear_head_closed_form_equals_cam():
    # For F -> GAP -> Linear(W), d s_c / d F^k_ij = W_ck / (h w): Grad-CAM is Zhou et al.'s
    # CAM ReLU(sum_k W_ck F^k) up to a positive scale, which min-max removes.
    feats = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU())
    head = nn.Linear(6, 4)
    model = nn.Sequential(feats, nn.AdaptiveAvgPool2d(1), nn.Flatten(), head)
    x = torch.randn(5, 3, 8, 8)
    cls = torch.tensor([0, 1, 2, 3, 1])
    with GradCAM(model, feats) as cam:
        ours = cam(x, targets=cls)
    with torch.no_grad():
        f = feats(x)  # (B, 6, 8, 8)
        m = torch.relu(torch.einsum("bk,bkij->bij", head.weight[cls], f))
    torch.testing.assert_close(ours, normalize_cam(m), atol=1e-5, rtol=1e-4)


def test_training_state_untouched():
    model = trained_like(SmallResNet()).train()
    model.layer1.eval()  # a frozen submodule must stay in eval mode
    for p in model.parameters():
        p.grad = torch.randn_like(p)
    model.conv1.weight.grad = None
    grads = {n: (None if p.grad is None else p.grad.clone()) for n, p in model.named_parameters()}
    state = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(4, 3, 16, 16)
    with GradCAM(model, model.layer3) as cam:
        a = cam(x)
        b = cam(x)
    torch.testing.assert_close(a, b)  # eval mode: dropout off, deterministic
    for n, p in model.named_parameters():
        assert (p.grad is None) if grads[n] is None else torch.equal(p.grad, grads[n]), n
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k]), k  # BN running stats and num_batches_tracked
    assert model.training and model.layer3.training and not model.layer1.training


def test_hooks_released_and_inactive_outside_calls():
    model = trained_like(SmallResNet())
    x = torch.randn(2, 3, 16, 16)
    before = model(x)
    cam = GradCAM(model, model.layer3)
    assert len(model.layer3._forward_hooks) == 1
    with torch.no_grad():
        torch.testing.assert_close(model(x), before)  # ordinary forward unaffected
    cam(x)
    cam.close()
    cam.close()  # idempotent
    assert len(model.layer3._forward_hooks) == 0
    with GradCAM(model, "layer3"):
        assert len(model.layer3._forward_hooks) == 1
    assert len(model.layer3._forward_hooks) == 0


def test_works_under_no_grad_and_frozen_model():
    model = trained_like(SmallResNet())
    x = torch.randn(3, 3, 16, 16)
    with GradCAM(model, model.layer3) as cam:
        ref = cam(x, targets=torch.tensor([0, 1, 2]))
        with torch.no_grad():
            torch.testing.assert_close(cam(x, targets=torch.tensor([0, 1, 2])), ref)
    for p in model.parameters():
        p.requires_grad_(False)
    with GradCAM(model, model.layer3) as cam:
        torch.testing.assert_close(cam(x, targets=torch.tensor([0, 1, 2])), ref)


def test_inplace_op_after_layer_and_grad_mode_restored():
    # ReLU(inplace=True) right after the explained layer must neither fail nor alter F.
    conv = nn.Conv2d(3, 4, 3, padding=1)
    model = nn.Sequential(conv, nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
    twin = nn.Sequential(conv, nn.ReLU(), *list(model)[2:])  # same weights, out-of-place ReLU
    x = torch.randn(4, 3, 8, 8)
    cls = torch.tensor([0, 1, 2, 0])
    with GradCAM(model, conv) as cam:
        with torch.no_grad():
            ours = cam(x, targets=cls)
            assert not torch.is_grad_enabled()  # the caller's mode is back
        assert torch.is_grad_enabled()
    torch.testing.assert_close(ours, reference_gradcam(twin, conv, x, cls), atol=1e-5, rtol=1e-4)


def test_normalize_cam_constant_and_range():
    cam = torch.stack([torch.full((4, 4), 3.0), torch.arange(16.0).view(4, 4)])
    out = normalize_cam(cam)
    assert torch.equal(out[0], torch.zeros(4, 4))
    assert out[1].min() == 0 and out[1].max() == 1
    torch.testing.assert_close(out[1], torch.arange(16.0).view(4, 4) / 15)


def test_bad_targets_and_layers():
    model = trained_like(SmallResNet())
    x = torch.randn(2, 3, 16, 16)
    with GradCAM(model, model.layer3) as cam:
        with pytest.raises(ValueError, match="shape"):
            cam(x, targets=torch.tensor([1, 2, 3]))
        with pytest.raises(ValueError, match=r"\[0, 5\)"):
            cam(x, targets=torch.tensor([1, 7]))
        with pytest.raises(TypeError, match="integers"):
            cam(x, targets=torch.tensor([1.0, 2.0]))
        with pytest.raises(ValueError, match="callables"):
            cam(x, targets=[ClassifierOutputTarget(1)])
        with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
            cam(x[0])
    with pytest.raises(ValueError, match="no submodule"):
        GradCAM(model, "layer9")
    with pytest.raises(ValueError, match="not a submodule"):
        GradCAM(model, nn.Conv2d(1, 1, 1))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    model = trained_like(SmallResNet())
    x = torch.randn(4, 3, 16, 16)
    with GradCAM(model, "layer3") as cam:
        ref = cam(x)
    model.cuda()
    with GradCAM(model, "layer3") as cam:
        out = cam(x.cuda())
    assert out.device.type == "cuda"
    torch.testing.assert_close(out.cpu(), ref, atol=1e-4, rtol=1e-3)


# ---------------------------------------------------------------- box and overlay
def reference_bbox(m, thr):
    ys, xs = torch.nonzero(m >= thr, as_tuple=True)
    if len(ys) == 0:
        return [0, 0, 0, 0]
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


def test_cam_bbox_matches_loop():
    cams = torch.rand(20, 12, 9) ** 4
    cams[3] = 0.0  # nothing reaches the threshold
    boxes = cam_bbox(cams, 0.4)
    assert boxes.shape == (20, 4) and boxes.dtype == torch.int64
    assert boxes.tolist() == [reference_bbox(m, 0.4) for m in cams]
    assert boxes[3].tolist() == [0, 0, 0, 0]
    assert cam_bbox(cams[0], 0.4).tolist() == reference_bbox(cams[0], 0.4)
    with pytest.raises(ValueError, match="cam must be"):
        cam_bbox(torch.rand(2, 2, 3, 3))


def test_cam_overlay_draws_box():
    cam = torch.zeros(16, 16)
    cam[4:9, 2:7] = 1.0
    fig, ax = plt.subplots()
    try:
        box = cam_overlay(ax, torch.rand(3, 16, 16), cam, threshold=0.4)
        assert box.tolist() == [2, 4, 7, 9]
        (rect,) = ax.patches
        assert rect.get_xy() == (1.5, 3.5) and rect.get_width() == 5 and rect.get_height() == 5
        assert len(ax.images) == 2
        ax2 = fig.add_subplot(2, 1, 2)
        assert cam_overlay(ax2, torch.randint(0, 255, (1, 16, 16), dtype=torch.uint8), cam, threshold=None) is None
        assert len(ax2.patches) == 0
        with pytest.raises(ValueError, match="upsample"):
            cam_overlay(ax2, torch.rand(3, 8, 8), cam)
    finally:
        plt.close(fig)


# ---------------------------------------------------------------- BatchNorm folding
def test_fold_pairs_of_cifar_resnet_and_exclusions():
    from simaug.cam.fold import find_conv_bn_pairs
    from simaug.models import create_model

    model = create_model("resnet20").eval()
    pairs = find_conv_bn_pairs(model)
    assert len(pairs) == 19 and ("layer3.2.conv2", "layer3.2.bn2") in pairs  # every conv -> bn
    kept = find_conv_bn_pairs(model, keep=[model.layer3[2].bn2, model.layer1[0].conv1])
    assert set(pairs) - set(kept) == {("layer3.2.conv2", "layer3.2.bn2"), ("layer1.0.conv1", "layer1.0.bn1")}
    assert find_conv_bn_pairs(model, keep=[model.layer3]) == pairs  # a kept block's output is unchanged
    # A conv whose output is also used elsewhere cannot be folded.
    class Branch(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.bn = nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)

        def forward(self, x):
            y = self.conv(x)
            return self.bn(y) + y

    assert find_conv_bn_pairs(Branch()) == []


def test_folded_forward_equals_unfolded_and_follows_updates():
    from simaug.cam.fold import BatchNormFolder, find_conv_bn_pairs

    model = trained_like(SmallResNet())
    with torch.no_grad():  # non-trivial affine parameters and a conv bias
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 2.0)
                m.bias.uniform_(-1.0, 1.0)
    modules_before = dict(model.named_modules())
    folder = BatchNormFolder(model, find_conv_bn_pairs(model))
    assert folder.pairs
    x = torch.randn(5, 3, 16, 16)
    with torch.no_grad():
        ref = model(x)
        with folder:
            assert all(isinstance(model.get_submodule(bn), nn.Identity) for _, bn in folder.pairs)
            out = model(x)
        torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-4)
        assert dict(model.named_modules()) == modules_before  # restored
        model.get_submodule(folder.pairs[0][1]).running_var.mul_(4.0)  # an update: refolded
        ref2 = model(x)
        assert not torch.allclose(ref2, ref)
        with folder:
            torch.testing.assert_close(model(x), ref2, atol=1e-5, rtol=1e-4)
        with pytest.raises(RuntimeError):
            with folder:
                raise RuntimeError("inside")
        assert dict(model.named_modules()) == modules_before  # restored after an error too


def test_gradcam_folding_changes_nothing_but_rounding():
    from simaug.models import create_model

    model = trained_like(create_model("resnet20"))
    x = torch.randn(4, 3, 32, 32)
    with GradCAM(model, "layer3") as folded, GradCAM(model, "layer3", fold_bn=False) as plain:
        assert len(folded.folded_pairs) == 19 and plain.folded_pairs == []
        torch.testing.assert_close(folded(x), plain(x), atol=1e-5, rtol=1e-4)
    with GradCAM(model, "layer3", eval_mode=False) as train_mode:
        assert train_mode.folded_pairs == []  # batch statistics: nothing to fold
