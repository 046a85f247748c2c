"""Trainer: determinism, resume == uninterrupted, NaN stop, callbacks, batched crop/flip."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from simaug.data import ImageSet
from simaug.metrics import confusion_matrix, per_class_accuracy
from simaug.train import Callback, Trainer, TrainConfig, random_crop_flip


def toy_set(n=96, seed=0):
    """Two classes: a bright square in the top-left vs the bottom-right corner, plus noise."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 60, (n, 3, 12, 12), generator=g, dtype=torch.uint8)
    y = torch.arange(n) % 2
    x[y == 0, :, 1:5, 1:5] = 250
    x[y == 1, :, 7:11, 7:11] = 250
    return ImageSet(x, y, ["tl", "br"], {"name": "toy"})


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.drop = nn.Dropout(0.2)  # exercises the global RNG across a resume
        self.fc = nn.Linear(4 * 4, 2)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(F.relu(self.bn(self.conv(x))), 2)
        return self.fc(self.drop(torch.flatten(x, 1)))


def cfg(**kw):
    base = dict(epochs=4, batch_size=16, lr=0.05, crop_padding=2, flip=True, progress=False, device="cpu")
    base.update(kw)
    return TrainConfig(**base)


def fresh(seed=0, **kw):
    torch.manual_seed(seed)
    return Trainer(Tiny(), cfg(seed=seed, **kw), toy_set(), toy_set(32, seed=1), **kw.pop("trainer_kw", {}))


def test_same_seed_same_numbers():
    h1, h2 = fresh().fit(), fresh().fit()
    assert h1.drop(columns=["train_time_s", "images_per_s"]).equals(h2.drop(columns=["train_time_s", "images_per_s"]))


def test_learns_the_toy_task():
    h = fresh(epochs=8).fit()
    assert h.test_acc.iloc[-1] >= 0.9


class Crash(Callback):
    def __init__(self, epoch, step):
        self.epoch, self.step = epoch, step

    def on_batch_start(self, trainer, x, y):
        if trainer.epoch == self.epoch and trainer.step >= self.step:
            raise KeyboardInterrupt("simulated kill")


class Counter(Callback):
    """A stateful callback: its state must survive the resume too."""

    def __init__(self):
        self.seen = 0

    def on_batch_end(self, trainer, out):
        self.seen += len(out["targets"])

    def state_dict(self):
        return {"seen": self.seen}

    def load_state_dict(self, s):
        self.seen = s["seen"]


def _trainer(run_dir, callbacks):
    torch.manual_seed(0)
    return Trainer(Tiny(), cfg(), toy_set(), toy_set(32, seed=1), callbacks=callbacks, run_dir=run_dir)


def test_killed_run_resumes_to_the_same_result(tmp_path):
    ref_counter = Counter()
    ref = _trainer(tmp_path / "ref", [ref_counter])
    h_ref = ref.fit()
    counter = Counter()
    with pytest.raises(KeyboardInterrupt):
        _trainer(tmp_path / "run", [counter, Crash(epoch=2, step=14)]).fit()  # dies inside epoch 3
    assert (tmp_path / "run" / "checkpoint.pt").exists()
    assert not [p for p in (tmp_path / "run").iterdir() if p.suffix == ".tmp"]
    counter2 = Counter()
    resumed = _trainer(tmp_path / "run", [counter2, Crash(epoch=-1, step=0)])
    # the new trainer's model is a fresh init until fit() loads the checkpoint
    h = resumed.fit()
    cols = ["epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr"]
    assert h[cols].equals(h_ref[cols])
    for a, b in zip(resumed.model.state_dict().values(), ref.model.state_dict().values()):
        assert torch.equal(a, b)
    assert counter2.seen == ref_counter.seen


def test_resume_with_other_settings_is_refused(tmp_path):
    t = _trainer(tmp_path, [])
    t.config.epochs = 1
    t.fit()
    torch.manual_seed(0)
    other = Trainer(Tiny(), cfg(lr=0.5), toy_set(), None, run_dir=tmp_path)
    with pytest.raises(ValueError, match="other settings.*lr"):
        other.fit()


def test_nan_loss_stops_with_a_clear_message():
    torch.manual_seed(0)
    t = Trainer(Tiny(), cfg(), toy_set(), None, loss_fn=lambda logits, y: logits.sum() * float("nan"))
    with pytest.raises(FloatingPointError, match="lr=0.05"):
        t.fit()


def test_train_confusion_matrix_counts_every_trained_sample():
    class Doubler(Callback):
        def on_batch_start(self, trainer, x, y):
            return torch.cat([x, x.flip(3)]), torch.cat([y, y])

    torch.manual_seed(0)
    t = Trainer(Tiny(), cfg(epochs=1), toy_set(), None, callbacks=[Doubler()])
    h = t.fit()
    assert int(t.train_cm.sum()) == 2 * 96 == h.train_images.iloc[0]
    assert abs(h.train_acc.iloc[0] - t.train_cm.diagonal().sum().item() / 192) < 1e-12


def test_unknown_config_keys_are_an_error():
    with pytest.raises(KeyError, match="unknown TrainConfig keys \\['lerning_rate'\\]"):
        TrainConfig.from_dict({"lerning_rate": 0.1})
    with pytest.raises(ValueError, match="optimizer='rmsprop'"):
        TrainConfig(optimizer="rmsprop")


def test_schedules():
    t = fresh(schedule="multistep", milestones=(2,), epochs=3)
    assert t.fit().lr.tolist() == pytest.approx([0.05, 0.05, 0.005])
    t = fresh(schedule="cosine", epochs=2)
    assert t.fit().lr.tolist() == pytest.approx([0.05, 0.025])


def test_random_crop_flip_matches_a_per_image_reference():
    x = torch.randint(0, 255, (7, 3, 6, 5), dtype=torch.uint8)
    out = random_crop_flip(x, padding=2, flip=True, generator=torch.Generator().manual_seed(1))
    g = torch.Generator().manual_seed(1)  # replay the same draws, in the kernel's order
    dy = torch.randint(0, 5, (7, 1), generator=g)
    dx = torch.randint(0, 5, (7, 1), generator=g)
    fl = torch.rand(7, 1, generator=g) < 0.5
    for i in range(7):
        padded = F.pad(x[i], (2, 2, 2, 2))
        ref = padded[:, dy[i, 0] : dy[i, 0] + 6, dx[i, 0] : dx[i, 0] + 5]
        if fl[i, 0]:
            ref = ref.flip(2)
        assert torch.equal(out[i], ref)
    assert out.dtype == x.dtype and x.shape == out.shape


def test_confusion_matrix_matches_a_loop():
    p, t = torch.randint(0, 5, (300,)), torch.randint(0, 5, (300,))
    ref = torch.zeros(5, 5, dtype=torch.long)
    for a, b in zip(t, p):
        ref[a, b] += 1
    cm = confusion_matrix(p, t, 5)
    assert torch.equal(cm, ref)
    assert torch.allclose(per_class_accuracy(cm), ref.diagonal().double() / ref.sum(1))


def test_resume_on_other_data_is_refused(tmp_path):
    t = _trainer(tmp_path, [])
    t.config.epochs = 1
    t.fit()
    torch.manual_seed(0)
    other = Trainer(Tiny(), cfg(epochs=1), toy_set(seed=5), None, run_dir=tmp_path)
    with pytest.raises(ValueError, match="trained on other data"):
        other.fit()


class LateDoubler(Callback):
    """Trains on the batch plus its mirror image from ``start`` on (like the erasing schedule)."""

    def __init__(self, start):
        self.start = start

    def on_batch_start(self, trainer, x, y):
        if trainer.epoch >= self.start:
            return torch.cat([x, x.flip(3)]), torch.cat([y, y])
        return None


def test_branch_from_a_shared_warm_up_equals_an_uninterrupted_run(tmp_path):
    from simaug.train.branch import branch_checkpoint

    ref = _trainer(tmp_path / "ref", [LateDoubler(2)])
    h_ref = ref.fit()
    warm = _trainer(tmp_path / "warm", [])
    warm.config.epochs = 2  # the shared warm-up: the first two epochs, no callback active
    warm.fit()
    branch_checkpoint(tmp_path / "warm" / "checkpoint.pt", tmp_path / "arm", [LateDoubler(2)])
    arm = _trainer(tmp_path / "arm", [LateDoubler(2)])
    h = arm.fit()
    cols = ["epoch", "train_loss", "train_acc", "test_loss", "test_acc", "train_images"]
    assert h[cols].equals(h_ref[cols])
    assert h.train_images.tolist() == [96, 96, 192, 192]


# -- issue 12: resume, divergence and configuration errors ---------------------------------

def test_cosine_resume_with_more_epochs_follows_the_longer_schedule(tmp_path, capsys):
    """2 epochs, then resumed to 4: epochs 3-4 use the 4-epoch cosine (closed form), not the
    restored 2-epoch one (which gave 0 and then climbed back to 0.025)."""
    import math

    torch.manual_seed(0)
    Trainer(Tiny(), cfg(schedule="cosine", epochs=2), toy_set(), None, run_dir=tmp_path).fit()
    torch.manual_seed(0)
    h = Trainer(Tiny(), cfg(schedule="cosine", epochs=4), toy_set(), None, run_dir=tmp_path).fit()
    closed = [0.05 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)]
    assert closed == pytest.approx([0.05, 0.0427, 0.025, 0.0073], abs=1e-4)
    uninterrupted = fresh(schedule="cosine", epochs=4).fit().lr.tolist()
    assert uninterrupted == pytest.approx(closed)
    assert h.lr.tolist() == pytest.approx([0.05, 0.025] + closed[2:])  # epochs 1-2 ran on the 2-epoch schedule
    assert "cosine schedule rebuilt for 4 epochs" in capsys.readouterr().out


def test_resume_says_so_and_wall_time_adds_up_over_segments(tmp_path, capsys):
    t = _trainer(tmp_path, [])
    t.config.epochs = 2
    t.fit()
    first = t.wall_time_s
    assert first > 0 and "resuming" not in capsys.readouterr().out
    kept = torch.load(tmp_path / "checkpoint.pt", weights_only=False)["wall_time_s"]
    assert 0 < kept <= first  # the checkpoint is written at the end of the last epoch
    resumed = _trainer(tmp_path, [])  # epochs=4
    resumed.fit()
    assert f"resuming {tmp_path} at epoch 3/4" in capsys.readouterr().out
    assert resumed.wall_time_s > kept  # the total starts from the first segment's recorded time
    assert kept < torch.load(tmp_path / "checkpoint.pt", weights_only=False)["wall_time_s"] <= resumed.wall_time_s


def test_divergence_without_nan_stops_with_a_clear_message():
    """lr = 1e6: BatchNorm keeps the loss finite (~1e5..1e27), which used to end silently at chance."""
    torch.manual_seed(0)
    t = Trainer(Tiny(), cfg(lr=1e6, epochs=10), toy_set(), None)
    with pytest.raises(FloatingPointError, match=r"training diverged: the loss has stayed above .* for 20 steps.*lr=1000000.0"):
        t.fit()
    assert t.epoch < 10
    h = fresh(epochs=8).fit()  # a healthy run is never stopped
    assert len(h) == 8


def test_nan_stop_names_only_a_checkpoint_that_exists(tmp_path):
    nan_loss = lambda logits, y: logits.sum() * float("nan")  # noqa: E731
    torch.manual_seed(0)
    t = Trainer(Tiny(), cfg(), toy_set(), None, loss_fn=nan_loss, run_dir=tmp_path / "a")
    with pytest.raises(FloatingPointError) as e:
        t.fit()
    assert "no checkpoint was written yet" in str(e.value) and "last good checkpoint is" not in str(e.value)
    assert not (tmp_path / "a" / "checkpoint.pt").exists()

    class NanFrom(nn.Module):  # a loss that turns NaN in epoch 3, after two checkpoints
        def forward(self, logits, y):
            return F.cross_entropy(logits, y) * (float("nan") if t.epoch >= 2 else 1.0)

    torch.manual_seed(0)
    t = Trainer(Tiny(), cfg(), toy_set(), None, loss_fn=NanFrom(), run_dir=tmp_path / "b")
    with pytest.raises(FloatingPointError) as e:
        t.fit()
    assert f"the last good checkpoint is {tmp_path / 'b' / 'checkpoint.pt'} (after epoch 2)" in str(e.value)


@pytest.mark.parametrize("key,value", [
    ("epochs", 2.5), ("epochs", "3"), ("epochs", True), ("epochs", 0), ("lr", float("inf")), ("lr", float("nan")),
    ("lr", 0), ("lr", "0.1"), ("eval_every", 0), ("eval_every", 1.5), ("batch_size", 1), ("momentum", -0.1),
    ("betas", (0.9,)), ("weight_decay", float("nan")), ("milestones", (0,)), ("crop_padding", -1), ("flip", "yes"),
    ("std", (0.2, 0.0, 0.2)), ("seed", 1.0), ("eval_batch_size", 0), ("progress", 1),
])
def test_bad_config_values_are_refused_at_construction(key, value):
    with pytest.raises(ValueError, match=f"invalid TrainConfig values: {key}=") as e:
        TrainConfig(**{key: value, **({"mean": (0.5, 0.5, 0.5)} if key == "std" else {})})
    assert "must be" in str(e.value)


def test_resume_with_another_model_is_a_clear_error(tmp_path):
    t = _trainer(tmp_path, [])
    t.config.epochs = 1
    t.fit()

    class Wider(Tiny):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, padding=1)
            self.bn = nn.BatchNorm2d(8)
            self.fc = nn.Linear(8 * 4, 2)
            self.extra = nn.Linear(2, 2)

    torch.manual_seed(0)
    other = Trainer(Wider(), cfg(epochs=2), toy_set(), None, run_dir=tmp_path)
    with pytest.raises(ValueError) as e:
        other.fit()
    msg = str(e.value)
    assert "holds the weights of another model (Tiny) than this Wider" in msg and str(tmp_path / "checkpoint.pt") in msg
    assert "'extra.weight'" in msg and "conv.weight: (4, 3, 3, 3) saved, (8, 3, 3, 3) now" in msg
    assert "Missing key(s)" not in msg and "size mismatch" not in msg  # not torch's key dump


@pytest.mark.parametrize("channels_last", [True, False])
def test_to_input_is_the_out_of_place_normalisation_bit_for_bit(channels_last):
    """to_input normalises in place, then changes the layout: the same float32 bits as
    (x / 255 - mean) / std computed out of place, in the model's memory format."""
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (16, 3, 8, 8), dtype=torch.uint8, generator=g)
    data = ImageSet(images, torch.arange(16) % 2, ["a", "b"], {"name": "toy"})
    model = nn.Sequential(nn.Conv2d(3, 2, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    t = Trainer(model, TrainConfig(epochs=1, batch_size=8, progress=False, channels_last=channels_last), data)
    expected = (images.float() / 255 - t.mean) / t.std  # (B, C, H, W), contiguous
    out = t.to_input(images)
    assert torch.equal(out.contiguous().view(torch.int32), expected.view(torch.int32))
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    assert out.is_contiguous(memory_format=fmt)


def test_to_input_leaves_a_float_batch_unchanged():
    data = toy_set(16)
    t = Trainer(Tiny(), TrainConfig(epochs=1, batch_size=8, progress=False), data)
    x = data.images.float()
    before = x.clone()
    t.to_input(x)
    assert torch.equal(x, before)


def test_to_input_of_a_channels_last_uint8_batch_is_bit_identical():
    """Every byte value in every channel: the channels_last fast path (mean and std laid out
    like an image) gives the bits of the NCHW path, in channels_last layout."""
    images = torch.arange(256, dtype=torch.uint8).view(1, 1, 16, 16).expand(4, 3, 16, 16).contiguous()
    images[1] = images[1].flip(-1)
    data = ImageSet(images, torch.arange(4) % 2, ["a", "b"], {"name": "toy"})
    model = nn.Sequential(nn.Conv2d(3, 2, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    t = Trainer(model, TrainConfig(epochs=1, batch_size=2, progress=False, channels_last=True), data)
    cl = images.contiguous(memory_format=torch.channels_last)
    fast, slow = t.to_input(cl), t.to_input(images)
    assert fast.is_contiguous(memory_format=torch.channels_last) and fast.stride() == slow.stride()
    assert torch.equal(fast.contiguous().view(torch.int32), slow.contiguous().view(torch.int32))
    assert torch.equal(t.to_input(cl[:, :, :8, :8].contiguous(memory_format=torch.channels_last)), slow[:, :, :8, :8])


@pytest.mark.parametrize("channels_last", [True, False])
def test_default_crop_writes_the_models_layout_and_batches_are_unchanged(channels_last):
    """The trainer's default crop writes channels_last for a channels_last model; the batches it
    yields are the same values, in the same layout, as cropping to NCHW and converting."""
    from simaug.augment import RandomCropFlip

    g = torch.Generator().manual_seed(3)
    data = ImageSet(torch.randint(0, 256, (40, 3, 12, 12), dtype=torch.uint8, generator=g), torch.arange(40) % 2,
                    ["a", "b"], {"name": "toy"})
    model = nn.Sequential(nn.Conv2d(3, 2, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    cfg = TrainConfig(epochs=1, batch_size=16, progress=False, channels_last=channels_last, crop_padding=2)
    t = Trainer(model, cfg, data)
    assert t.transform.channels_last == channels_last
    ref = Trainer(model, cfg, data, transform=RandomCropFlip(padding=2, flip=True))  # NCHW crops
    for (x, y), (xr, yr) in zip(t._batches(1), ref._batches(1)):
        assert torch.equal(y, yr) and x.stride() == xr.stride()
        assert torch.equal(x.contiguous().view(torch.int32), xr.contiguous().view(torch.int32))


def test_predict_does_not_depend_on_the_batch_split_and_restores_the_mode():
    """Evaluation in eval mode: batch norm uses running statistics and dropout is off, so every
    split of the test set gives each image the same logits (the default eval batch is a speed
    setting for such a model). The mode the model was in is restored."""
    t = fresh()
    t.fit()
    t.model.train()
    images = toy_set(50, seed=3).images
    whole = t.predict(images, batch_size=50)
    assert t.model.training
    for bs in (1, 7, 16):
        assert torch.allclose(t.predict(images, batch_size=bs), whole, rtol=1e-5, atol=1e-6), bs
    assert torch.equal(t.predict(images), t.predict(images, batch_size=t.config.eval_batch_size))


@pytest.mark.parametrize("channels_last", [True, False])
@pytest.mark.parametrize("p", [1.0, 0.5])
def test_batches_read_from_the_padded_copy_are_the_gathered_ones(channels_last, p, monkeypatch):
    """The default crop reads straight out of a padded, mirrored copy of the training images
    (CropSource); every batch of every epoch equals, byte for byte and stride for stride, the
    one the transform gathers from the selected images, and the data generator ends in the
    same state. A copy over CROP_SOURCE_MAX_BYTES, or a transform that is not a plain
    RandomCropFlip, is applied per batch."""
    import simaug.train.trainer as trainer_module
    from simaug.augment import RandomCropFlip

    g = torch.Generator().manual_seed(5)
    data = ImageSet(torch.randint(0, 256, (40, 3, 12, 10), dtype=torch.uint8, generator=g), torch.arange(40) % 2,
                    ["a", "b"], {"name": "toy"})
    model = nn.Sequential(nn.Conv2d(3, 2, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    cfg = TrainConfig(epochs=1, batch_size=16, progress=False, channels_last=channels_last, crop_padding=3)
    crop = RandomCropFlip(padding=3, flip=True, p=p, channels_last=channels_last)
    t, ref = Trainer(model, cfg, data, transform=crop), Trainer(model, cfg, data, transform=crop)
    assert t._crop_source is not None
    ref._crop_source = None  # the per-batch path: index_select, then the transform's gather
    for epoch in (0, 1):
        pairs = list(zip(t._batches(epoch), ref._batches(epoch)))
        assert len(pairs) == 3
        for (x, y), (xr, yr) in pairs:
            assert torch.equal(y, yr) and x.stride() == xr.stride() and torch.equal(x, xr)
        assert torch.equal(t.generator.get_state(), ref.generator.get_state())

    class Shifted(RandomCropFlip):
        pass

    assert Trainer(model, cfg, data, transform=Shifted(padding=3))._crop_source is None
    monkeypatch.setattr(trainer_module, "CROP_SOURCE_MAX_BYTES", 2 * 40 * 3 * 18 * 16 - 1)  # one byte short
    assert Trainer(model, cfg, data, transform=crop)._crop_source is None
    monkeypatch.setattr(trainer_module, "CROP_SOURCE_MAX_BYTES", 2 * 40 * 3 * 18 * 16)
    assert Trainer(model, cfg, data, transform=crop)._crop_source is not None


def test_a_changed_or_replaced_crop_gets_a_new_padded_copy():
    """The padded copy is made for one transform's padding, flip and layout: change a field or
    replace the transform and the next epoch's batches are still the transform's own."""
    from simaug.augment import CropSource, RandomCropFlip

    g = torch.Generator().manual_seed(7)
    data = ImageSet(torch.randint(0, 256, (24, 3, 8, 8), dtype=torch.uint8, generator=g), torch.arange(24) % 2,
                    ["a", "b"], {"name": "toy"})
    model = nn.Sequential(nn.Conv2d(3, 2, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    t = Trainer(model, TrainConfig(epochs=1, batch_size=8, progress=False, crop_padding=2), data)
    first = t._crop_source

    def same_as_per_batch(epoch):
        ref = Trainer(model, TrainConfig(epochs=1, batch_size=8, progress=False), data, transform=t.transform)
        ref._crop_source = None
        return all(torch.equal(x, xr) for (x, _), (xr, _) in zip(t._batches(epoch), ref._batches(epoch)))

    t.transform.padding = 3
    with pytest.raises(ValueError, match="make a new CropSource"):
        first(torch.arange(4))
    assert same_as_per_batch(0) and t._crop_source is not first and t._crop_source.padding == 3
    t.transform = RandomCropFlip(padding=1, flip=False, channels_last=True)
    assert same_as_per_batch(1) and t._crop_source.made_for(t.transform) and isinstance(t._crop_source, CropSource)
