"""Precision as part of the recipe: bf16 autocast in training, evaluation and the CAM pass,
fp32 master weights, distinct run-store entries, bit-identical resume, provenance, and the
warning on a CPU without bf16 hardware."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from simaug import precision as prec
from simaug import provenance
from simaug.data import ImageSet
from simaug.train import Callback, Trainer, TrainConfig

# A bf16 trainer on a CPU without bf16 hardware warns (EmulatedBf16Warning); these tests
# check behaviour, not speed, so they must pass there too.
pytestmark = pytest.mark.filterwarnings("ignore::simaug.precision.EmulatedBf16Warning")


def toy_set(n=96, seed=0):
    """Two classes: a bright square top-left vs bottom-right, plus noise (as in test_trainer)."""
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
        self.layer3 = nn.Conv2d(4, 4, 3, padding=1)  # the CAM's target layer
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(4 * 4, 2)

    def forward(self, x):
        x = F.relu(self.layer3(F.relu(self.bn(self.conv(x)))))
        return self.fc(self.drop(torch.flatten(F.adaptive_avg_pool2d(x, 2), 1)))


def cfg(**kw):
    base = dict(epochs=3, batch_size=16, lr=0.05, crop_padding=2, progress=False, device="cpu", precision="bf16")
    base.update(kw)
    return TrainConfig(**base)


class ConvDtypes:
    """Forward pre-hook on every conv: the dtype of the input each call received, by phase."""

    def __init__(self, model):
        self.seen, self.phase = {}, "train"
        self.handles = [m.register_forward_pre_hook(self.hook) for m in model.modules() if isinstance(m, nn.Conv2d)]

    def hook(self, module, args):
        # what the convolution computes in: autocast casts inside the op, so ask it directly
        x = args[0]
        dtype = torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else x.dtype
        self.seen.setdefault(self.phase, set()).add(dtype)


def test_precision_is_validated():
    with pytest.raises(ValueError, match="precision='bf32'"):
        TrainConfig(precision="bf32")
    with pytest.raises(ValueError, match="precision must be one of"):
        prec.autocast("fp16")
    assert TrainConfig().precision == "fp32"


def test_bf16_and_fp32_are_different_store_entries(tmp_path):
    from simaug.runstore import RunResult, RunStore
    from simaug.runstore.spec import spec_key

    a, b = TrainConfig(precision="fp32").to_dict(), TrainConfig(precision="bf16").to_dict()
    assert a != b and {k for k in a if a[k] != b[k]} == {"precision"}
    spec = lambda c: {"study": "toy", "version": 1, "train": c, "seed": 0}
    assert spec_key(spec(a)) != spec_key(spec(b))
    store = RunStore(tmp_path)
    store.write(spec(a), RunResult(metrics={"test_acc": 0.5}))
    assert store.has(spec(a)) and not store.has(spec(b))


def test_autocast_reaches_the_convs_in_training_and_evaluation_only_in_bf16():
    for p, want in (("bf16", torch.bfloat16), ("fp32", torch.float32)):
        torch.manual_seed(0)
        model = Tiny()
        rec = ConvDtypes(model)
        t = Trainer(model, cfg(epochs=1, precision=p), toy_set(), toy_set(32, seed=1))
        t.train_epoch(0)
        rec.phase = "eval"
        logits = t.predict(toy_set(32, seed=1).images)
        assert rec.seen == {"train": {want}, "eval": {want}}, p
        assert logits.dtype == torch.float32  # predict hands back fp32 logits at either precision


def test_bf16_keeps_fp32_master_weights_and_optimizer_state():
    torch.manual_seed(0)
    t = Trainer(Tiny(), cfg(epochs=1), toy_set(), None)
    seen = {}

    class Grab(Callback):
        def on_batch_end(self, trainer, out):
            seen["logits"], seen["loss"] = out["logits"].dtype, out["loss"].dtype

    t.callbacks.append(Grab())
    t.fit()
    for p in t.model.parameters():
        assert p.dtype == torch.float32 and p.grad.dtype == torch.float32
    bufs = [s["momentum_buffer"] for s in t.optimizer.state.values()]
    assert bufs and all(b.dtype == torch.float32 for b in bufs)
    assert seen == {"logits": torch.float32, "loss": torch.float32}  # callbacks see fp32 outputs


def test_bf16_learns_and_differs_from_fp32_only_by_rounding():
    runs = {}
    for p in ("fp32", "bf16"):
        torch.manual_seed(0)
        runs[p] = Trainer(Tiny(), cfg(epochs=8, precision=p), toy_set(), toy_set(32, seed=1)).fit()
    assert runs["bf16"].test_acc.iloc[-1] >= 0.9
    assert not runs["bf16"].train_loss.equals(runs["fp32"].train_loss)  # bf16 really ran
    # the first epoch starts from the same weights: the losses agree to bf16's ~3 digits
    assert runs["bf16"].train_loss.iloc[0] == pytest.approx(runs["fp32"].train_loss.iloc[0], rel=2e-2)


class Crash(Callback):
    def __init__(self, epoch, step):
        self.epoch, self.step = epoch, step

    def on_batch_start(self, trainer, x, y):
        if trainer.epoch == self.epoch and trainer.step >= self.step:
            raise KeyboardInterrupt("simulated kill")


def _trainer(run_dir, callbacks=(), **kw):
    torch.manual_seed(0)
    return Trainer(Tiny(), cfg(**{"epochs": 4, **kw}), toy_set(), toy_set(32, seed=1), callbacks=list(callbacks), run_dir=run_dir)


def test_killed_bf16_run_resumes_bit_identically(tmp_path):
    ref = _trainer(tmp_path / "ref")
    h_ref = ref.fit()
    with pytest.raises(KeyboardInterrupt):
        _trainer(tmp_path / "run", [Crash(epoch=2, step=14)]).fit()  # dies inside epoch 3
    resumed = _trainer(tmp_path / "run", [Crash(epoch=-1, step=0)])
    h = resumed.fit()
    cols = ["epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr"]
    assert h[cols].equals(h_ref[cols])
    for a, b in zip(resumed.model.state_dict().values(), ref.model.state_dict().values()):
        assert torch.equal(a, b)


def test_resume_at_another_precision_is_refused(tmp_path):
    _trainer(tmp_path, epochs=1).fit()
    with pytest.raises(ValueError, match="other settings.*precision"):
        _trainer(tmp_path, precision="fp32").fit()


def test_checkpoint_without_precision_counts_as_fp32(tmp_path):
    """Checkpoints written before the field existed trained in fp32 and resume as such."""
    from simaug.train.checkpoint import load_checkpoint, save_checkpoint

    _trainer(tmp_path, epochs=1, precision="fp32").fit()
    state = load_checkpoint(tmp_path / "checkpoint.pt")
    del state["config"]["precision"]
    save_checkpoint(state, tmp_path / "checkpoint.pt")
    assert len(_trainer(tmp_path, epochs=2, precision="fp32").fit()) == 2
    with pytest.raises(ValueError, match="precision"):
        _trainer(tmp_path, epochs=3, precision="bf16").fit()


def test_eval_every_evaluates_every_k_epochs_and_the_last():
    torch.manual_seed(0)
    h = Trainer(Tiny(), cfg(epochs=7, eval_every=3), toy_set(), toy_set(32, seed=1)).fit()
    assert h.test_acc.notna().tolist() == [False, False, True, False, False, True, True]
    with pytest.raises(ValueError, match="eval_every=0"):
        TrainConfig(eval_every=0)


def test_cpu_flags_and_native_bf16(tmp_path, monkeypatch):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16\n\nprocessor\t: 1\n")
    assert {"avx512f", "avx512_bf16"} <= prec.cpu_flags(str(info))
    assert prec.cpu_flags(str(tmp_path / "missing")) == frozenset()
    monkeypatch.setattr(prec, "cpu_flags", lambda path="/proc/cpuinfo": frozenset({"avx512f", "amx_bf16"}))
    assert prec.native_bf16("cpu") and prec.bf16_support("cpu")["bf16_cpu_flags"] == ["amx_bf16"]
    monkeypatch.setattr(prec, "cpu_flags", lambda path="/proc/cpuinfo": frozenset({"avx512f", "avx2"}))
    assert not prec.native_bf16("cpu")


def test_bf16_without_hardware_warns_and_stays_bf16(monkeypatch):
    monkeypatch.setattr(prec, "cpu_flags", lambda path="/proc/cpuinfo": frozenset({"avx2"}))
    with pytest.warns(prec.EmulatedBf16Warning, match="stays bf16"):
        t = Trainer(Tiny(), cfg(epochs=1), toy_set(), None)
    assert t.config.precision == "bf16"
    with t.autocast():
        assert torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
    assert not prec.warn_if_emulated("fp32", "cpu")  # fp32 never warns


def test_precision_in_provenance():
    rec = provenance.collect(params={"train": TrainConfig(precision="bf16").to_dict()})
    assert (rec["precision"], rec["precision_source"]) == ("bf16", "params")
    assert rec["device"]["cpu_native_bf16"] == prec.native_bf16("cpu")
    assert isinstance(rec["device"]["cpu_bf16_flags"], list)
    assert provenance.collect(params={"precision": "bf16"}, precision="fp32")["precision"] == "fp32"
    assert provenance.collect(params={"lr": 0.1})["precision_source"] == "default"


def test_autocast_reaches_the_convs_in_the_cam_pass():
    """CAM erasing's Grad-CAM pass of the model being trained runs at the trainer's precision."""
    from simaug.augment import AugmentCallback
    from simaug.cam.source import CamSource

    for p, want in (("bf16", torch.bfloat16), ("fp32", torch.float32)):
        torch.manual_seed(0)
        model = Tiny()
        rec = ConvDtypes(model)
        cb = AugmentCallback("cam_erasing", start_epoch=0, seed=0, cam_source=CamSource(target_layer="layer3"))
        maps = []
        cam = cb.cam

        def cam_phase(trainer, x, y):
            rec.phase = "cam"
            try:
                maps.append(cam(trainer, x, y))
                return maps[-1]
            finally:
                rec.phase = "train"

        cb.cam = cam_phase
        t = Trainer(model, cfg(epochs=1, precision=p), toy_set(), None, callbacks=[cb])
        h = t.fit()
        assert rec.seen == {"train": {want}, "cam": {want}}, p
        assert len(maps) == 6 and h.train_images.iloc[0] == 2 * 96  # a CAM pass per batch, copies appended
        assert all(m.shape == (16, 12, 12) and 0 <= float(m.min()) and float(m.max()) <= 1 for m in maps)
