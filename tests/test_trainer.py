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
