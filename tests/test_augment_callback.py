"""AugmentCallback: batch doubling / replacing, the warm-up schedule, seeding by
(seed, step) so that a resumed run draws the same boxes as an uninterrupted one, the CAM
source built once per fit, training state left alone, and the old callback names
(ErasingCallback, RandomAffineCallback, STNAugmentCallback) as thin subclasses."""
import hashlib
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from simaug.augment import AugmentCallback, CamErasing, ErasingCallback, cam_peaks, create_augment
from simaug.augment.callback import step_seed
from simaug.cam import CamSource, GradCAM
from simaug.data import ImageSet
from simaug.stn import RandomAffineCallback, STNAugmentCallback, STNAugmenter
from simaug.train import Callback, Trainer, TrainConfig


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def batch(B=6, H=32):
    return torch.rand(B, 3, H, H, generator=gen(B)) + 1.0  # > 0: zero fill is visible


class TinyResNetish(nn.Module):
    """Conv-BN stages with a ``layer3`` like the CIFAR ResNets."""

    def __init__(self, k=3):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.layer3 = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, stride=2), nn.BatchNorm2d(8), nn.ReLU())
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, k))

    def forward(self, x):
        return self.head(self.layer3(self.stem(x)))


def fake_trainer(model=None, epochs=4, seed=5):
    return SimpleNamespace(model=model, device=torch.device("cpu"), config=SimpleNamespace(epochs=epochs, seed=seed))


def run_batches(cb, trainer, x, y, epochs):
    outs = []
    cb.on_fit_start(trainer)
    for e in range(epochs):
        cb.on_epoch_start(trainer, e)
        outs.append(cb.on_batch_start(trainer, x, y))
    return outs


# ---------------------------------------------------------------- the callback
def test_append_replace_and_warmup():
    x, y = batch(), torch.arange(6) % 3
    cb = AugmentCallback("random_erasing", start_epoch=None)
    outs = run_batches(cb, fake_trainer(epochs=4), x, y, 4)
    assert cb.start_epoch == 2 and outs[0] is None and outs[1] is None  # half the epochs
    for x2, y2 in outs[2:]:
        assert x2.shape == (12, 3, 32, 32) and torch.equal(x2[:6], x) and torch.equal(y2, torch.cat([y, y]))
    assert not torch.equal(outs[2][0], outs[3][0])  # a fresh draw per step
    cb = AugmentCallback(create_augment("cutout", size=8), mode="replace", seed=1)
    xr, yr = run_batches(cb, fake_trainer(), x, y, 1)[0]
    assert xr.shape == x.shape and torch.equal(yr, y) and (xr == 0).any()


def test_each_step_is_seeded_by_seed_and_step_alone():
    x, y = batch(), torch.arange(6)
    aug = create_augment("hide_and_seek", p=1.0)
    cb = AugmentCallback(aug, start_epoch=0, seed=9)
    trainer = fake_trainer()
    cb.on_fit_start(trainer)
    for step in (0, 7, 3):  # any order: the draw of a step does not depend on the others
        trainer.step = step
        x2, _ = cb.on_batch_start(trainer, x, y)
        assert torch.equal(x2[6:], aug(x, gen(step_seed(9, step))))
    assert cb.on_batch_start(SimpleNamespace(), x, y) is not None and cb.step == 4  # own count without trainer.step


def toy_set(n=64, seed=0):
    g = gen(seed)
    x = torch.randint(0, 60, (n, 3, 12, 12), generator=g, dtype=torch.uint8)
    y = torch.arange(n) % 3
    for k in range(3):
        x[y == k, :, 4 * k : 4 * k + 4, 4 * k : 4 * k + 4] = 250
    return ImageSet(x, y, ["a", "b", "c"], {"name": "toy"})


class Record(Callback):
    """Digests of every (possibly augmented) batch the model trains on."""

    def __init__(self):
        self.seen = {}

    def on_batch_start(self, trainer, x, y):
        self.seen[trainer.step] = hashlib.sha256(x.detach().cpu().numpy().tobytes()).hexdigest()


class Crash(Callback):
    def __init__(self, epoch, step):
        self.epoch, self.step = epoch, step

    def on_batch_start(self, trainer, x, y):
        if trainer.epoch == self.epoch and trainer.step >= self.step:
            raise KeyboardInterrupt("simulated kill")


def erasing_trainer(run_dir, extra):
    torch.manual_seed(0)
    cfg = TrainConfig(epochs=4, batch_size=16, lr=0.05, crop_padding=2, progress=False, device="cpu", seed=3)
    cb = AugmentCallback(create_augment("random_erasing", p=1.0), start_epoch=1)
    return Trainer(TinyResNetish(), cfg, toy_set(), None, callbacks=[cb, *extra], run_dir=run_dir)


def test_resumed_run_draws_the_same_boxes_as_an_uninterrupted_one(tmp_path):
    ref_record = Record()
    ref = erasing_trainer(tmp_path / "ref", [ref_record])
    h_ref = ref.fit()
    with pytest.raises(KeyboardInterrupt):
        erasing_trainer(tmp_path / "run", [Record(), Crash(epoch=2, step=10)]).fit()  # dies inside epoch 3
    record = Record()
    resumed = erasing_trainer(tmp_path / "run", [record, Crash(epoch=-1, step=0)])
    h = resumed.fit()
    assert min(record.seen) == 8  # resumed from the checkpoint after epoch 2 (4 batches per epoch)
    assert record.seen == {s: d for s, d in ref_record.seen.items() if s >= 8}
    cols = ["epoch", "train_loss", "train_acc", "lr"]
    assert h[cols].equals(h_ref[cols]) and h.train_images.tolist() == [64, 128, 128, 128]
    for a, b in zip(resumed.model.state_dict().values(), ref.model.state_dict().values()):
        assert torch.equal(a, b)


def test_cam_source_is_built_once_per_fit_and_released(monkeypatch):
    import simaug.cam.base_cam as base_cam

    traced = []
    real = base_cam.find_conv_bn_pairs
    monkeypatch.setattr(base_cam, "find_conv_bn_pairs", lambda *a, **k: traced.append(1) or real(*a, **k))
    hooks = []

    class Hooks(Callback):
        def on_batch_end(self, trainer, out):
            hooks.append(len(trainer.model.layer3._forward_hooks))

    torch.manual_seed(0)
    cfg = TrainConfig(epochs=2, batch_size=16, lr=0.05, progress=False, device="cpu")
    cb = AugmentCallback("cam_erasing", start_epoch=0, cam_source=CamSource(method="gradcam++"))
    trainer = Trainer(TinyResNetish(), cfg, toy_set(), None, callbacks=[cb, Hooks()])
    trainer.fit()
    assert len(traced) == 1  # BatchNorm pairs found once, at on_fit_start
    assert hooks == [1] * 8  # one hook during the whole fit (4 batches x 2 epochs) ...
    assert len(trainer.model.layer3._forward_hooks) == 0 and not cb.cam_source.started  # ... released at the end


@pytest.mark.parametrize("source", ["self", "model"])
def test_cam_erasing_leaves_training_state_alone(source):
    model = TinyResNetish().train()
    other = TinyResNetish()
    for p in model.parameters():
        p.grad = torch.randn_like(p)
    grads = [p.grad.clone() for p in model.parameters()]
    buffers = {k: v.clone() for k, v in model.state_dict().items()}
    tr = fake_trainer(model, epochs=2)
    cb = AugmentCallback("cam_erasing", start_epoch=1,
                         cam_source=CamSource(model=other) if source == "model" else None)
    x, y = batch(B=5), torch.arange(5) % 3
    out = run_batches(cb, tr, x, y, 2)[1]
    assert out[0].shape == (10, 3, 32, 32) and (out[0][5:] == 0).any()
    assert model.training
    assert all(torch.equal(p.grad, g) for p, g in zip(model.parameters(), grads))
    assert all(torch.equal(v, buffers[k]) for k, v in model.state_dict().items())
    cb.on_fit_end(tr)
    assert len(model.layer3._forward_hooks) == 0 and len(other.layer3._forward_hooks) == 0


def test_cam_box_touches_the_gradcam_peak():
    # With b_h=0 the erased copy is zero at the Grad-CAM peak of each image.
    model = TinyResNetish()
    x, y = batch(B=8), torch.arange(8) % 3
    cb = AugmentCallback(CamErasing(b_h=0), start_epoch=0)
    x2, _ = run_batches(cb, fake_trainer(model), x, y, 1)[0]
    cb.on_fit_end(None)
    with GradCAM(model, "layer3") as g:
        peaks = cam_peaks(g(x, targets=y), (32, 32))
    assert (x2[8 + torch.arange(8), :, peaks[:, 0], peaks[:, 1]] == 0).all()


def test_a_module_transform_runs_in_eval_mode_on_the_batch_device():
    G = nn.Sequential(nn.Conv2d(3, 3, 1), nn.Dropout(0.9)).train()
    x, y = batch(), torch.arange(6)
    cb = AugmentCallback(G, mode="replace")
    (x2, y2), (x3, _) = cb.on_batch_start(None, x, y), cb.on_batch_start(None, x, y)
    assert torch.equal(x2, x3) and G.training and torch.equal(y2, y)  # dropout off, mode restored


def test_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        AugmentCallback("cutout", mode="prepend")
    with pytest.raises(TypeError, match="transform"):
        AugmentCallback(42)
    with pytest.raises(ValueError, match="start_epoch"):
        AugmentCallback("cutout", start_epoch=-1)
    with pytest.raises(ValueError, match="CAM-guided"):
        AugmentCallback("cutout", cam_source=CamSource())
    with pytest.raises(ValueError, match="target"):
        CamSource(target="best")
    with pytest.raises(KeyError, match="gradcam"):
        CamSource(method="scorecam").start(TinyResNetish())


# ---------------------------------------------------------------- the old names
def test_erasing_callback_is_the_augment_callback():
    tr = fake_trainer(TinyResNetish())
    x, y = batch(), torch.arange(6) % 3
    old = run_batches(ErasingCallback("hide_and_seek", start_epoch=0), tr, x, y, 3)
    new = run_batches(AugmentCallback("hide_and_seek", start_epoch=0), tr, x, y, 3)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(old, new))
    cb = ErasingCallback("random_erasing")
    assert isinstance(cb, AugmentCallback) and cb.augment is cb.transform
    run_batches(cb, fake_trainer(epochs=4), x, y, 4)
    rec = {}
    cb.on_epoch_end(tr, 3, rec)
    assert rec["erasing"] is True and cb.state_dict() == {"step": 2, "start_epoch": 2, "seed": 5}


def test_erasing_callback_resumes_from_its_state():
    tr = fake_trainer(TinyResNetish())
    x, y = batch(), torch.arange(6) % 3
    a = run_batches(ErasingCallback("hide_and_seek", start_epoch=0), tr, x, y, 3)
    first = ErasingCallback("hide_and_seek", start_epoch=0)
    run_batches(first, tr, x, y, 2)  # "checkpoint" after two erased batches
    state = first.state_dict()
    assert state == {"step": 2, "start_epoch": 0, "seed": 5}
    cb = ErasingCallback("hide_and_seek", start_epoch=0)
    cb.load_state_dict(state)
    cb.on_epoch_start(tr, 2)
    assert torch.equal(cb.on_batch_start(tr, x, y)[0], a[2][0])  # resumed step 2 == third batch


def test_erasing_callback_bad_arguments():
    with pytest.raises(ValueError, match="cam_model"):
        ErasingCallback("cam_erasing", cam_source="model")
    with pytest.raises(ValueError, match="cam_source"):
        ErasingCallback("cam_erasing", cam_source="teacher")
    with pytest.raises(ValueError, match="cam_target"):
        ErasingCallback("cam_erasing", cam_target="best")
    with pytest.raises(TypeError):
        ErasingCallback(42)
    with pytest.raises(TypeError, match="erasing"):
        ErasingCallback("crop_flip")


def test_old_stn_callbacks_are_augment_callbacks():
    assert issubclass(RandomAffineCallback, AugmentCallback) and issubclass(STNAugmentCallback, AugmentCallback)
    x, y = batch(B=4, H=12), torch.arange(4)
    G = STNAugmenter(3)
    assert torch.equal(STNAugmentCallback(G, append=False).on_batch_start(None, x, y)[0],
                       AugmentCallback(G, mode="replace").on_batch_start(None, x, y)[0])
    cb = RandomAffineCallback({"rotation_deg": 20.0}, seed=3)
    from simaug.stn import AffineBounds, random_affine

    g = gen(3)  # the old stream: one generator seeded once, moving on batch by batch
    for _ in range(2):
        assert torch.equal(cb.on_batch_start(None, x, y)[0][4:], random_affine(x, AffineBounds(rotation_deg=20.0), g))
