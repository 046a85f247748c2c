"""Tests of simaug.stn: the STN augmenter, the max-entropy loss, the three stages, the
remedies and the random-affine baseline (SPEC §01)."""
import math
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from simaug.stn import (  # noqa: E402
    AffineBounds, Discriminator, RandomAffineCallback, STNAugmentCallback, STNAugmenter, STNConfig,
    adversarial_term, apply_affine, bounded_theta, build_stn, compose_theta, describe_augmenter,
    discriminator_loss, entropy_bits, entropy_margin_loss, frozen, generator_loss, get_variant,
    identity_theta, list_variants, max_entropy_loss, random_affine, sample_affine_params, theta_components,
    theta_penalty, theta_summary, train_augmenter,
)
from simaug.plots.stn import plot_adversarial_curves, plot_stn_grid, plot_theta_diagnostics  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    yield
    plt.close("all")


def tiny_classifier(num_classes=4, channels=3):
    """Conv -> BatchNorm -> ReLU -> pool -> Linear: BN buffers move in train mode."""
    return nn.Sequential(
        nn.Conv2d(channels, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
        nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(24, num_classes),
    )


def to_input(x_uint8):
    return (x_uint8.float() / 255.0 - 0.5) / 0.25


def make_images(n=32, c=3, size=12, num_classes=4):
    images = torch.randint(0, 256, (n, c, size, size), dtype=torch.uint8)
    labels = torch.randint(0, num_classes, (n,))
    return images, labels


def params(**kw):
    base = dict(rotation_deg=0.0, scale_x=1.0, scale_y=1.0, shear=0.0, tx=0.0, ty=0.0)
    base.update(kw)
    return {k: torch.as_tensor(v, dtype=torch.float32).reshape(-1) for k, v in base.items()}


# -- affine maps --------------------------------------------------------------------------
@pytest.mark.parametrize("param", ["free", "bounded"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_augmenter_is_identity_at_initialisation(param, align_corners):
    G = STNAugmenter(3, param=param, align_corners=align_corners)
    x = torch.randn(5, 3, 16, 12)
    out, theta = G(x, return_theta=True)
    assert torch.allclose(theta, identity_theta(5), atol=0)
    assert (out - x).abs().max() < 1e-5  # bilinear at the pixel centres: only rounding
    assert not torch.equal(G.localization[0].weight, torch.zeros_like(G.localization[0].weight))


def test_mixed_align_corners_would_shift_the_image():
    # The reason apply_affine passes one flag to both calls: mixing them moves the image.
    x = torch.randn(2, 3, 8, 8)
    grid = F.affine_grid(identity_theta(2), [2, 3, 8, 8], align_corners=True)
    mixed = F.grid_sample(x, grid, align_corners=False)
    assert (mixed - x).abs().max() > 0.1
    assert torch.allclose(apply_affine(x, identity_theta(2), align_corners=True), x, atol=1e-5)


def test_rotation_by_90_degrees_matches_index_formula():
    # θ maps output (x, y) to input R(90°)(x, y) = (-y, x): out[r, c] = in[c, n - 1 - r].
    n = 6
    x = torch.randn(1, 2, n, n)
    out = apply_affine(x, compose_theta(params(rotation_deg=90.0)))
    r, c = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
    expected = x[:, :, c, n - 1 - r]
    assert torch.allclose(out, expected, atol=1e-5)


def test_theta_components_recover_known_parts():
    p = {k: torch.tensor(v) for k, v in dict(
        rotation_deg=[30.0, -12.0, 0.0], scale_x=[0.8, 1.1, 1.0], scale_y=[0.8, 0.9, 1.0],
        shear=[0.0, 0.15, 0.0], tx=[0.1, -0.3, 0.0], ty=[-0.2, 0.05, 0.0]).items()}
    c = theta_components(compose_theta(p))
    for k in p:
        assert torch.allclose(c[k], p[k], atol=1e-5), k
    # independent check of the first one: a similarity s R(30°) + t written out by hand
    phi, s = math.radians(30), 0.8
    hand = torch.tensor([[[s * math.cos(phi), -s * math.sin(phi), 0.1],
                          [s * math.sin(phi), s * math.cos(phi), -0.2]]])
    assert torch.allclose(compose_theta({k: v[:1] for k, v in p.items()}), hand, atol=1e-6)
    dist = math.sqrt((s * math.cos(phi) - 1) ** 2 * 2 + 2 * (s * math.sin(phi)) ** 2 + 0.1**2 + 0.2**2)
    assert c["distance"][0].item() == pytest.approx(dist, abs=1e-5)
    assert c["translation"][0].item() == pytest.approx(math.hypot(0.1, 0.2), abs=1e-6)
    assert c["distance"][2].item() == pytest.approx(0.0, abs=1e-7)


def test_bounded_theta_stays_in_bounds_for_extreme_outputs():
    b = AffineBounds(rotation_deg=20.0, scale=0.15, translate=0.3, shear=0.2)
    raw = torch.tensor([[1e4] * 6, [-1e4] * 6, [50.0, -50.0, 3.0, -7.0, 1e3, -1e3], [0.0] * 6])
    c = theta_components(bounded_theta(raw, b))
    tol = 1e-5
    assert (c["rotation_deg"].abs() <= b.rotation_deg + tol).all()
    for k in ("scale_x", "scale_y"):
        assert ((c[k] - 1).abs() <= b.scale + tol).all()
    assert (c["shear"].abs() <= b.shear + tol).all()
    assert (c["tx"].abs() <= b.translate + tol).all() and (c["ty"].abs() <= b.translate + tol).all()
    assert c["rotation_deg"][0].item() == pytest.approx(20.0, abs=1e-3)  # saturates at the edge
    assert c["distance"][3].item() == pytest.approx(0.0, abs=1e-7)
    # the same holds through G when its head is pushed to extremes
    G = STNAugmenter(3, param="bounded", bounds=b)
    with torch.no_grad():
        G.head.weight.normal_(0, 100.0), G.head.bias.fill_(1e3)
    c = theta_components(G.theta(torch.randn(8, 3, 16, 16)))
    assert (c["rotation_deg"].abs() <= b.rotation_deg + tol).all()
    assert (c["translation"] <= math.sqrt(2) * b.translate + tol).all()


def test_apply_affine_is_pure_batched_and_checks_input():
    x = torch.randn(4, 3, 10, 10)
    x0 = x.clone()
    theta = compose_theta(sample_affine_params(4, AffineBounds(), torch.Generator().manual_seed(1)))
    out = apply_affine(x, theta)
    assert torch.equal(x, x0)
    one_by_one = torch.cat([apply_affine(x[i:i + 1], theta[i:i + 1]) for i in range(4)])
    assert torch.allclose(out, one_by_one, atol=1e-6)
    with pytest.raises(TypeError, match="float"):
        apply_affine(x.to(torch.uint8), theta)
    with pytest.raises(ValueError, match="batch of 3"):
        apply_affine(x[:3], theta)
    with pytest.raises(ValueError, match=r"\(B, 2, 3\)"):
        theta_components(torch.zeros(2, 3, 3))


# -- the max-entropy loss -----------------------------------------------------------------
def test_entropy_bits_hand_values():
    p = torch.tensor([[0.25, 0.75], [0.5, 0.5]])
    h = entropy_bits(p.log())
    hand = -(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75))
    assert h[0].item() == pytest.approx(hand, abs=1e-6)
    assert h[1].item() == pytest.approx(1.0, abs=1e-6)
    assert entropy_bits(torch.tensor([[1e4, 0.0, 0.0]])).item() == 0.0


@pytest.mark.parametrize("m", [2, 10, 100])
def test_max_entropy_loss_one_hot_and_uniform(m):
    eps = 1e-3
    one_hot = torch.zeros(1, m)
    one_hot[0, 0] = 1e4
    assert max_entropy_loss(one_hot, eps=eps).item() == pytest.approx(-math.log(math.log2(m) + eps), abs=1e-6)
    assert max_entropy_loss(torch.zeros(3, m), eps=eps).item() == pytest.approx(-math.log(eps), rel=1e-4)
    ascent = max_entropy_loss(torch.zeros(3, m), eps=eps, form="ascent")
    assert ascent.item() == pytest.approx(math.log(eps), rel=1e-4)


def test_max_entropy_loss_two_class_by_hand_and_reductions():
    eps = 1e-6
    logits = torch.tensor([[0.0, math.log(3.0)], [2.0, -1.0]])  # p = (1/4, 3/4), (e^3/(1+e^3), ...)
    p2 = 1 / (1 + math.exp(-3.0))
    h = [-(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75)),
         -(p2 * math.log2(p2) + (1 - p2) * math.log2(1 - p2))]
    hand = torch.tensor([-math.log(1 - hi + eps) for hi in h])
    per = max_entropy_loss(logits, eps=eps, reduction="none")
    assert torch.allclose(per, hand, atol=1e-5)
    assert max_entropy_loss(logits, eps=eps, reduction="sum").item() == pytest.approx(hand.sum().item(), abs=1e-5)
    assert max_entropy_loss(logits, eps=eps).item() == pytest.approx(hand.mean().item(), abs=1e-5)


def test_max_entropy_loss_sign_paper_lowers_entropy_ascent_raises_it():
    logits = torch.tensor([[1.0, 0.2, -0.5]], requires_grad=True)
    for form, direction in (("paper", -1), ("ascent", +1)):
        g, = torch.autograd.grad(max_entropy_loss(logits, form=form), logits)
        stepped = (logits - 0.1 * g).detach()  # one gradient-descent step on the loss
        change = entropy_bits(stepped) - entropy_bits(logits.detach())
        assert direction * change.item() > 0, form


def test_max_entropy_loss_rejects_bad_input():
    with pytest.raises(ValueError, match="eps"):
        max_entropy_loss(torch.zeros(2, 3), eps=0.0)
    with pytest.raises(ValueError, match="reduction"):
        max_entropy_loss(torch.zeros(2, 3), reduction="avg")
    with pytest.raises(ValueError, match=r"\(B, m\)"):
        max_entropy_loss(torch.zeros(3))
    with pytest.raises(ValueError, match="form"):
        max_entropy_loss(torch.zeros(2, 3), form="max")
    with pytest.raises(TypeError):
        max_entropy_loss(torch.zeros(2, 3, dtype=torch.long))


def test_entropy_margin_loss_hand_values():
    logits = torch.tensor([[0.0, math.log(3.0)], [0.0, 0.0], [1e4, 0.0]])
    h = -(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75))  # log2 m = 1 for m = 2
    per = entropy_margin_loss(logits, target=0.9, reduction="none")
    assert torch.allclose(per, torch.tensor([0.9 - h, 0.0, 0.9]), atol=1e-6)
    with pytest.raises(ValueError, match="target"):
        entropy_margin_loss(logits, target=1.5)


# -- the adversarial objective ------------------------------------------------------------
def test_adversarial_losses_match_probability_form():
    real, fake = torch.tensor([0.3, -1.2, 2.0]), torch.tensor([-0.4, 1.5])
    d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
    hand = -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean())
    assert discriminator_loss(real, fake).item() == pytest.approx(hand.item(), abs=1e-6)
    assert torch.allclose(adversarial_term(fake, "saturating"), torch.log(1 - d_fake), atol=1e-6)
    assert torch.allclose(adversarial_term(fake, "non_saturating"), -torch.log(d_fake), atol=1e-6)
    with pytest.raises(ValueError, match="non_saturating"):
        adversarial_term(fake, "wasserstein")


def test_theta_penalty_is_squared_frobenius_distance():
    theta = identity_theta(2)
    theta[0, 0, 2], theta[0, 1, 0], theta[1, 1, 1] = 0.3, -0.2, 1.5
    assert torch.allclose(theta_penalty(theta), torch.tensor([0.09 + 0.04, 0.25]))


def test_gradient_of_entropy_term_reaches_G_only():
    C, G, D = tiny_classifier(), STNAugmenter(3), Discriminator(3, width=4)
    x = torch.randn(6, 3, 12, 12)
    with frozen(C):
        loss = max_entropy_loss(C(G(x)))
        loss.backward()
    assert all(p.grad is None for p in C.parameters())
    assert all(p.grad is None for p in D.parameters())
    assert G.head.weight.grad is not None and G.head.weight.grad.abs().sum() > 0
    assert torch.isfinite(G.head.weight.grad).all()
    # the same through generator_loss of the paper variant: its entropy term alone
    # reaches G, not D (D only enters through the adversarial term)
    cfg = STNConfig()
    G2, D2 = build_stn(cfg, seed=0)
    with frozen(C):
        out = generator_loss(C, G2, D2, x, cfg)
        out["objective"].mean().backward()
    assert all(p.grad is None for p in C.parameters()) and all(p.grad is None for p in D2.parameters())
    assert G2.head.weight.grad.abs().sum() > 0


def test_frozen_restores_modes_and_flags():
    C = tiny_classifier()
    C[0].weight.requires_grad_(False)
    C[1].eval()  # mixed modes must come back exactly
    with frozen(C):
        assert not C.training and not any(m.training for m in C.modules())
        assert not any(p.requires_grad for p in C.parameters())
    assert C.training and not C[1].training
    assert not C[0].weight.requires_grad and C[5].weight.requires_grad


# -- stage 2 --------------------------------------------------------------------------------
def test_stage2_leaves_classifier_untouched_and_trains_G_and_D():
    C = tiny_classifier()
    images, labels = make_images()
    with torch.no_grad():  # non-trivial BN statistics first
        C(to_input(images))
    before = {k: v.clone() for k, v in C.state_dict().items()}
    cfg = STNConfig(batch_size=8, g_lr=1e-2, d_lr=1e-2)
    G, D = build_stn(cfg, seed=0)
    g0 = {k: v.clone() for k, v in G.state_dict().items()}
    d0 = {k: v.clone() for k, v in D.state_dict().items()}
    res = train_augmenter(C, G, D, images, to_input=to_input, cfg=cfg, steps=4, labels=labels, seed=0)
    after = C.state_dict()
    assert before.keys() == after.keys()
    for k in before:  # weights AND running_mean / running_var / num_batches_tracked
        assert torch.equal(before[k], after[k]), k
    assert C.training and all(p.requires_grad for p in C.parameters())
    assert any(not torch.equal(g0[k], v) for k, v in G.state_dict().items())
    assert any(not torch.equal(d0[k], v) for k, v in D.state_dict().items())
    assert all(p.requires_grad for p in D.parameters())  # unfrozen again after G's steps
    h = res.history
    assert list(h["step"]) == [1, 2, 3, 4]
    cols = ["loss_d", "loss_g", "loss_g_adv", "loss_g_obj", "entropy_aug", "entropy_orig", "theta_dist",
            "theta_rotation_deg", "theta_scale", "theta_shear", "theta_translation", "acc_aug", "d_fake"]
    assert h[cols].notna().all().all()
    assert h["theta_dist"].iloc[0] == pytest.approx(0.0, abs=1e-7)  # step 1 is still the identity
    assert (h["entropy_aug"] <= math.log2(4) + 1e-5).all()


def test_stage2_is_reproducible_and_logs_test_columns_and_snapshots():
    images, labels = make_images()
    runs = []
    for _ in range(2):
        torch.manual_seed(3)
        C = tiny_classifier()
        cfg = STNConfig(variant="bounded", batch_size=8, g_lr=1e-2)
        G, D = build_stn(cfg, seed=1)
        runs.append(train_augmenter(
            C, G, D, images, to_input=to_input, cfg=cfg, steps=5, log_every=2, seed=7,
            test_images=images[:10], test_labels=labels[:10], snapshot_images=images[:3], snapshot_every=2,
        ))
    a, b = runs
    assert a.history.equals(b.history)
    assert list(a.history["step"]) == [1, 3, 5]
    assert "test_loss_d" in a.history and a.history["test_loss_d"].notna().all()
    snaps = a.snapshots
    assert snaps.steps == [0, 2, 4, 5]
    assert torch.allclose(snaps.thetas[0], identity_theta(3))
    img0 = snaps.images(0)
    assert img0.shape == (3, 3, 12, 12)
    assert torch.allclose(img0, images[:3].float() / 255, atol=1e-5)
    fig = plot_stn_grid(snaps, n=3)
    assert len(fig.axes) == 3 * (1 + 4)
    fig = plot_adversarial_curves(a.history)
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]  # train + test in each panel
    assert len(plot_theta_diagnostics(a.history).axes) == 2


@pytest.mark.parametrize("variant", list_variants())
def test_every_variant_runs_and_respects_its_switches(variant):
    cfg = STNConfig(variant=variant, batch_size=8, g_lr=5e-2, me_form="ascent")
    spec = get_variant(variant)
    G, D = build_stn(cfg, in_channels=3, width=4, seed=0)
    assert G.param == spec.theta and (D is not None) == spec.use_disc
    images, _ = make_images(n=16)
    h = train_augmenter(tiny_classifier(), G, D, images, to_input=to_input, cfg=cfg, steps=3).history
    assert h["loss_d"].isna().all() != spec.use_disc
    if spec.penalty:  # mean |θ - I|^2 >= (mean |θ - I|)^2 (Jensen), and G has moved by step 3
        assert (h["loss_g_penalty"] >= h["theta_dist"] ** 2 - 1e-7).all() and h["loss_g_penalty"].iloc[-1] > 0
    else:
        assert (h["loss_g_penalty"] == 0).all()
    if spec.theta == "bounded":
        c = theta_components(G.theta(to_input(images)))
        assert (c["rotation_deg"].abs() <= cfg.bounds.rotation_deg + 1e-4).all()


def test_stage2_rejects_mismatched_inputs():
    C, images = tiny_classifier(), make_images()[0]
    G, D = build_stn(STNConfig(), seed=0)
    with pytest.raises(ValueError, match="build_stn"):
        train_augmenter(C, G, D, images, to_input=to_input, cfg=STNConfig(variant="bounded"), steps=1)
    with pytest.raises(ValueError, match="D=None"):
        train_augmenter(C, build_stn(STNConfig(variant="no_disc"))[0], D, images, to_input=to_input,
                        cfg=STNConfig(variant="no_disc"), steps=1)
    with pytest.raises(TypeError, match="uint8"):
        train_augmenter(C, G, D, images.float(), to_input=to_input, steps=1)
    with pytest.raises(KeyError, match="no_disc"):
        STNConfig(variant="no_disk")
    with pytest.raises(TypeError):
        STNConfig(lamda=2.0)
    with pytest.raises(ValueError, match="me_form"):
        STNConfig(me_form="max")
    assert STNConfig(bounds={"rotation_deg": 5.0}).bounds.rotation_deg == 5.0


def test_describe_augmenter_table():
    C, G = tiny_classifier(), STNAugmenter(3)
    images, labels = make_images(n=10)
    df = describe_augmenter(G, C, images, to_input, labels=labels, batch_size=4)
    assert len(df) == 10 and C.training
    assert (df["distance"].abs() < 1e-6).all() and not df["pred_changed"].any()
    assert (df["entropy_orig"] - df["entropy_aug"]).abs().max() < 1e-4
    assert theta_summary(identity_theta(3))["theta_dist"] == 0.0


# -- stage 3 and the random-affine baseline ----------------------------------------------
def test_stn_callback_appends_detached_warps():
    cfg = STNConfig(variant="bounded")
    G, _ = build_stn(cfg, seed=0)
    with torch.no_grad():
        G.head.bias.fill_(0.5)  # a non-identity G
    G.train()
    x, y = torch.randn(4, 3, 12, 12, requires_grad=True), torch.tensor([0, 1, 2, 3])
    x0 = x.detach().clone()
    cb = STNAugmentCallback(G)
    cb.on_fit_start(SimpleNamespace(device=torch.device("cpu")))
    x2, y2 = cb.on_batch_start(SimpleNamespace(), x, y)
    assert torch.equal(x2[:4], x0) and torch.equal(y2, torch.cat([y, y]))
    assert torch.allclose(x2[4:], G(x0), atol=1e-6)
    assert not torch.allclose(x2[4:], x0, atol=1e-2)
    assert G.training  # its mode is restored
    x2.sum().backward()
    assert all(p.grad is None for p in G.parameters())
    assert torch.equal(x.detach(), x0)
    G2, _ = build_stn(cfg, seed=5)
    cb2 = STNAugmentCallback(G2, append=False)
    cb2.load_state_dict(cb.state_dict())
    xs, ys = cb2.on_batch_start(None, x0, y)
    assert torch.allclose(xs, x2[4:], atol=1e-6) and torch.equal(ys, y)


def test_random_affine_per_image_within_bounds_and_reproducible():
    b = AffineBounds(rotation_deg=10.0, scale=0.2, translate=0.1, shear=0.05)
    p = sample_affine_params(500, b, torch.Generator().manual_seed(0))
    c = theta_components(compose_theta(p))
    assert (c["rotation_deg"].abs() <= 10.0 + 1e-4).all() and ((c["scale_x"] - 1).abs() <= 0.2 + 1e-5).all()
    assert (c["shear"].abs() <= 0.05 + 1e-5).all() and (c["tx"].abs() <= 0.1 + 1e-6).all()
    assert c["rotation_deg"].abs().max() > 9.0  # the whole box is used
    assert len(torch.unique(c["rotation_deg"])) == 500  # a different θ for every image
    x = torch.rand(6, 3, 16, 16)
    x0 = x.clone()
    y1 = random_affine(x, b, torch.Generator().manual_seed(4))
    y2 = random_affine(x, b, torch.Generator().manual_seed(4))
    assert torch.equal(y1, y2) and torch.equal(x, x0)
    diffs = (y1 - x).flatten(1).abs().mean(1)
    assert (diffs > 0).all()
    # each output is its own image's warp: replaying θ one by one gives the same
    theta = compose_theta(sample_affine_params(6, b, torch.Generator().manual_seed(4)))
    assert torch.allclose(y1, torch.cat([apply_affine(x[i:i + 1], theta[i:i + 1]) for i in range(6)]), atol=1e-6)


def test_random_affine_callback_doubles_batch_and_resumes():
    x, y = torch.rand(5, 3, 12, 12), torch.arange(5)
    cb = RandomAffineCallback({"rotation_deg": 20.0}, seed=3)
    state = cb.state_dict()
    x2, y2 = cb.on_batch_start(None, x, y)
    assert x2.shape == (10, 3, 12, 12) and torch.equal(x2[:5], x) and torch.equal(y2[5:], y)
    cb.load_state_dict(state)
    x3, _ = cb.on_batch_start(None, x, y)
    assert torch.equal(x2, x3)
    x4, _ = cb.on_batch_start(None, x, y)  # the generator moved on: new draws
    assert not torch.equal(x4[5:], x2[5:])
