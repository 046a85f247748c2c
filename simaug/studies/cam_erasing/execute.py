"""One run of chapter 02: the warm-up, or an arm branched from it.

**Sharing the warm-up.** An arm with a ``parent`` (the warm-up of its seed) starts from the
parent's final checkpoint, found in this order:

1. the copy the parent left on the study's *shelf*, ``<work root>/<study>/final/<key>.pt``
   (every run that other runs start from — warm-ups and ``none`` arms — puts its final
   checkpoint there when it finishes; the executor removes the run's own work folder);
2. the parent's own work folder, ``<work root>/<study>/<key>/checkpoint.pt``, when it holds
   the finished parent (an executor that keeps work folders);
3. otherwise the parent is re-trained here, deterministically, in ``<work_dir>/parent``
   (and then shelved for the other arms of the seed).

The run's provenance says which (``parent.source``) and the SHA-256 of the parent's weights
(``parent.weights_sha256``); every run records its own final weights' digest
(``weights_sha256``), so the arms of a seed can be checked to share one warm-up: floats differ
across CPU types, and a parent re-trained on another machine is another realisation. The shelf is git-ignored scratch
like the work folders (about 2 MB per ResNet-20 checkpoint); deleting it only costs the
re-training. The ``after`` CAM arm gets the finished ``none`` model of its seed the same way.

**Probe.** After training, every run measures on a fixed sample of test images (the same
images in every run): the true-class probability of each image as it is, with the box that
CAM erasing would erase (anchored at the Grad-CAM peak, b_h offset, Random-Erasing size
law, drawn with a fixed generator) set to 0, and with a box of exactly the same size at a
uniformly random place (the deletion test: a CAM that localises the object makes the first
drop larger). It also keeps the Grad-CAM maps of one test image per class (the overlays
of the trained models) and the CAM peaks of the sample (for the erase-ratio histogram).
"""
from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch

from ...augment import AugmentCallback, cam_peaks, create_augment
from ...cam import CamSource, create_cam
from ...data import load
from ...models import create_model
from ...runstore import RunResult, spec_key
from ...train import TrainConfig, Trainer
from ...train.branch import branch_checkpoint
from ...train.checkpoint import load_checkpoint, save_checkpoint, weights_digest

SHELF = "final"  # sub-folder of the study's work folder holding finished parents' checkpoints
PARENT_NOTE = "parent.json"  # a branch's record of the checkpoint it started from (key, source, weights digest)
CAM_BATCH = 250  # images per CAM pass of the probe


def load_data(spec: Dict[str, Any]):
    """(train, test) image sets of a spec: class-balanced subsets drawn with ``subset_seed``."""
    d = spec["data"]
    train = load(d["name"], "train").subset(d["train_subset"] or None, seed=d["subset_seed"])
    test = load(d["name"], "test").subset(d["test_subset"] or None, seed=d["subset_seed"])
    return train, test


def train_config(spec: Dict[str, Any]) -> TrainConfig:
    """The spec's recipe; a warm-up stops at ``stop_epoch`` (its schedule is the arms')."""
    fields = dict(spec["train"], seed=spec["seed"], precision=spec["precision"])
    if spec["kind"] == "warmup":
        fields["epochs"] = spec["stop_epoch"]
    return TrainConfig.from_dict(fields)


def _model(spec: Dict[str, Any], num_classes: int):
    torch.manual_seed(spec["seed"])  # the initialisation follows the seed: every arm of a seed starts alike
    return create_model(spec["model"], num_classes, 3)


def _callbacks(spec: Dict[str, Any], folder: Path, shelf: Path, num_classes: int, notes: Dict[str, Any]) -> List:
    aug = spec.get("augment")  # warm-ups have none
    if aug is None:
        return []
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in aug["params"].items()}
    transform = create_augment(aug["name"], **params)
    source = None
    if "cam" in aug:
        cam = aug["cam"]
        cam_model = None
        if cam["source"] == "run":
            path, how = final_checkpoint(cam["run"], folder / "cam_model", shelf)
            cam_model = _model(cam["run"], num_classes)
            state = load_checkpoint(path)["model"]
            cam_model.load_state_dict(state)
            notes["cam_model"] = {"key": spec_key(cam["run"]), "source": how, "weights_sha256": weights_digest(state)}
        source = CamSource(model=cam_model, target_layer=cam["layer"], method=cam["method"], target=cam["target"])
    return [AugmentCallback(transform, start_epoch=aug["start_epoch"], mode=aug["mode"], seed=spec["seed"], cam_source=source)]


def fit(spec: Dict[str, Any], folder: Path, shelf: Path, notes: Optional[Dict[str, Any]] = None) -> Trainer:
    """Train the run ``spec`` in ``folder`` (resuming its checkpoint there), branching from
    its parent first; returns the trainer with the finished model."""
    notes = {} if notes is None else notes
    folder, shelf = Path(folder), Path(shelf)
    train, test = load_data(spec)
    callbacks = _callbacks(spec, folder, shelf, train.num_classes, notes)
    trainer = Trainer(_model(spec, train.num_classes), train_config(spec), train, test, callbacks=callbacks, run_dir=folder)
    branched = False
    if spec.get("parent") is not None:
        if not (folder / "checkpoint.pt").exists():
            path, how = final_checkpoint(spec["parent"], folder / "parent", shelf)
            parent = {"key": spec_key(spec["parent"]), "source": how,
                      "weights_sha256": weights_digest(load_checkpoint(path)["model"])}
            branch_checkpoint(path, folder, callbacks)
            (folder / PARENT_NOTE).write_text(json.dumps(parent))  # for a resumed branch's provenance
            branched = True
            notes["parent"] = parent
        else:
            saved = folder / PARENT_NOTE
            notes["parent"] = {**(json.loads(saved.read_text()) if saved.is_file() else {"key": spec_key(spec["parent"])}),
                               "source": "own checkpoint (resumed)"}
    with contextlib.redirect_stdout(io.StringIO()) if branched else contextlib.nullcontext():
        trainer.fit()  # a fresh branch is no resume: keep the trainer's "resuming <folder>" line out of the output
    if spec.get("augment") is None:  # warm-ups and none arms: other runs start from these
        shelve(spec, folder / "checkpoint.pt", shelf)
    return trainer


def _epochs(spec: Dict[str, Any]) -> int:
    return spec["stop_epoch"] if spec["kind"] == "warmup" else spec["train"]["epochs"]


def _finished(path: Path, spec: Dict[str, Any]) -> bool:
    if not path.is_file():
        return False
    try:
        return int(load_checkpoint(path)["epoch"]) == _epochs(spec)
    except (RuntimeError, KeyError):
        return False


def shelve(spec: Dict[str, Any], checkpoint: Path, shelf: Path) -> Path:
    """Copy a finished run's checkpoint to ``shelf/<key>.pt`` (atomically)."""
    dst = Path(shelf) / f"{spec_key(spec)}.pt"
    if not dst.exists():
        save_checkpoint(load_checkpoint(checkpoint), dst)
    return dst


def final_checkpoint(spec: Dict[str, Any], folder: Path, shelf: Path) -> Tuple[Path, str]:
    """The finished checkpoint of run ``spec`` and where it came from (module docstring)."""
    kept = Path(shelf) / f"{spec_key(spec)}.pt"
    if _finished(kept, spec):
        return kept, "shelved checkpoint of the parent"
    own = Path(shelf).parent / spec_key(spec) / "checkpoint.pt"
    if _finished(own, spec):
        return own, "the parent's work folder"
    fit(spec, folder, shelf)
    return Path(folder) / "checkpoint.pt", "re-trained here (no finished checkpoint of the parent was found)"


def sample_index(n_test: int, n: int) -> torch.Tensor:
    """The probe's test images: a fixed draw (seed 0), sorted; the same in every run."""
    return torch.randperm(n_test, generator=torch.Generator().manual_seed(0))[:n].sort().values


def overlay_index(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """The first test image of each class (in class order)."""
    return torch.stack([(labels == k).nonzero()[0, 0] for k in range(num_classes) if (labels == k).any()])


def _box_mask(y0, y1, x0, x1, apply, size) -> torch.Tensor:
    """(B, 1, H, W) float: 1 inside [y0, y1) x [x0, x1) of the images with ``apply``."""
    H, W = size
    rows = torch.arange(H)[None, :]
    cols = torch.arange(W)[None, :]
    r = (rows >= y0[:, None]) & (rows < y1[:, None]) & apply[:, None]
    c = (cols >= x0[:, None]) & (cols < x1[:, None])
    return (r[:, :, None] & c[:, None, :]).float()[:, None]


@torch.no_grad()
def _true_class_prob(trainer: Trainer, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    model = trainer.model
    was = model.training
    model.eval()
    try:
        with trainer.autocast():
            p = torch.cat([model(x[i:i + CAM_BATCH]).float().softmax(1) for i in range(0, len(x), CAM_BATCH)])
    finally:
        model.train(was)
    return p.gather(1, y.view(-1, 1))[:, 0].cpu()


def probe(trainer: Trainer, test, spec: Dict[str, Any]) -> Tuple[Dict[str, np.ndarray], Dict[str, Any]]:
    """Deletion test and CAM snapshots of the trained model (module docstring)."""
    pr = spec["probe"]
    H, W = test.images.shape[-2:]
    idx = sample_index(len(test), min(pr["images"], len(test)))
    x = trainer.to_input(test.images[idx])  # (N, C, H, W), normalised, on the device
    y = test.labels[idx].to(x.device)
    show = overlay_index(test.labels, test.num_classes)
    with create_cam(pr["cam"]["method"], trainer.model, pr["cam"]["layer"]) as cam, trainer.autocast():
        maps = torch.cat([cam(x[i:i + CAM_BATCH], targets=y[i:i + CAM_BATCH]) for i in range(0, len(x), CAM_BATCH)])
        shown = cam(trainer.to_input(test.images[show]), targets=test.labels[show].to(x.device))
    maps, shown = maps.float().cpu(), shown.float().cpu()
    g = torch.Generator().manual_seed(0)
    box = create_augment("cam_erasing", b_h=pr["b_h"], p=1.0).sample((len(x), 1, H, W), g, cam=maps)
    h, w = box["y1"] - box["y0"], box["x1"] - box["x0"]  # the clipped box: what is really erased
    u = torch.rand(2, len(x), generator=g, dtype=torch.float64)
    ry0, rx0 = (u[0] * (H - h + 1)).long(), (u[1] * (W - w + 1)).long()  # same size, uniform where it fits
    m_cam = _box_mask(box["y0"], box["y1"], box["x0"], box["x1"], box["apply"], (H, W)).to(x.device)
    m_rand = _box_mask(ry0, ry0 + h, rx0, rx0 + w, box["apply"], (H, W)).to(x.device)
    p = torch.stack([_true_class_prob(trainer, x * (1 - m), y) for m in (torch.zeros_like(m_cam), m_cam, m_rand)], 1)  # (N, 3)
    drop_cam, drop_rand = p[:, 0] - p[:, 1], p[:, 0] - p[:, 2]
    arrays = {"probe_index": idx.numpy().astype(np.int32), "probe_p": p.numpy().astype(np.float32),
              "probe_area": (h * w * box["apply"]).numpy().astype(np.int16),
              "probe_peaks": cam_peaks(maps, (H, W)).numpy().astype(np.uint8),
              "overlay_index": show.numpy().astype(np.int32),
              "overlay_cam": (shown * 255).round().clamp(0, 255).numpy().astype(np.uint8)}
    metrics = {"probe_images": len(idx), "probe_p_true": float(p[:, 0].mean()),
               "deletion_drop_cam": float(drop_cam.mean()), "deletion_drop_random": float(drop_rand.mean()),
               "deletion_extra_drop": float((drop_cam - drop_rand).mean()),
               "deletion_extra_drop_sd": float((drop_cam - drop_rand).std()) if len(idx) > 1 else math.nan}
    return arrays, metrics


def execute(spec: Dict[str, Any], work_dir) -> RunResult:
    """Train one run (checkpoints in ``work_dir``), then probe its final model."""
    work_dir = Path(work_dir)
    notes: Dict[str, Any] = {}
    trainer = fit(spec, work_dir, work_dir.parent / SHELF, notes)
    history = trainer.history_frame()
    arrays, probe_metrics = probe(trainer, trainer.test_set, spec)
    last = history.iloc[-1]
    metrics = {"train_acc": float(last.train_acc), "test_acc": float(last.test_acc), "test_loss": float(last.test_loss),
               "train_loss": float(last.train_loss), "test_error": 100.0 * (1.0 - float(last.test_acc)),
               "epochs": int(last.epoch), "n_train": len(trainer.train_set), "n_test": len(trainer.test_set),
               "n_params": sum(p.numel() for p in trainer.model.parameters()), **probe_metrics}
    history = history.drop(columns=[c for c in ("train_time_s", "images_per_s") if c in history])
    notes["weights_sha256"] = weights_digest(trainer.model.state_dict())  # the arms record their parent's
    return RunResult(metrics=metrics, history=history, arrays=arrays,
                     provenance={"datasets": [trainer.train_set.meta, trainer.test_set.meta], **notes})
