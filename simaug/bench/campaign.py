"""Campaign benchmark: one epoch of each evidence design's most expensive arm, end to end,
against pure forward+backward over the same images.

The designs (issues 15 and 16), each at its most expensive arm:

* ``00``: simple_cnn, CR loss (k = 3) with its confusion-rate callback, 20,000 CIFAR-10
  images with 10% pair-flip noise, SGD 0.01 momentum 0.9, batch 64, no crop/flip.
* ``01``: simple_cnn, STN stage 3: every batch of 128 followed by G's warps (256 images
  per step), Adam 1e-4, 10,000 images, no crop/flip.
* ``02``: ResNet-20, CAM erasing after the first decay: crop + flip, the Grad-CAM pass of
  the model being trained on every batch of 128, the erased copies appended (256 per
  step), SGD 0.1, weight decay 5e-4, 10,000 images.
* ``03``: simple_cnn with crop + flip on all 50,000 images, SGD 0.05, weight decay 5e-4.

Every design evaluates on the full 10,000-image test set every ``--eval-every`` epochs
(and after the last), so an epoch is charged ``train_epoch`` plus ``evaluate / k``.
``pure f+b`` runs the same model and optimiser, from the trainer's current weights and
optimiser state, over the same number of images in the same (effective) batch sizes, on a
pool of pre-made batches, at the same precision. The two alternate within each round
(reversed every other round); the ratio ``pure time / epoch time`` is formed per round and
its median reported with its 95% confidence interval (order statistics), with the load
average recorded next to every measurement. Where an
epoch's time goes (data path, callbacks such as the CAM pass and erasing, optimiser
steps, evaluation) is measured inside the epoch.

For design 02 the CAM pass on a batch of 128 is also timed against one eval forward of
that batch (``Trainer.predict``'s path: eval mode, no autograd, the trainer's autocast),
alternating, in the same rounds.

Targets on this 2-core CPU: a whole CAM-erasing epoch >= 0.85 of pure f+b; the CAM pass
<= 1.3x one eval forward of its batch.

Run as ``python -m simaug.bench campaign [--designs 00 01 02 03] [--precisions bf16 fp32]
[--rounds 3] [--eval-every 5] [--scale 1.0] [--json out.json]``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import torch

from .. import provenance
from ..augment import AugmentCallback
from ..data import ImageSet, load
from ..losses import CRLoss
from ..losses.cr_callback import ConfusionRateCallback
from ..models import create_model
from ..precision import PRECISIONS, bf16_support
from ..train.allocator import retain_freed_memory
from ..stn import STNAugmenter
from ..stn.fine_tune import STNAugmentCallback
from ..train import Trainer, TrainConfig
from .timing import (Clock, PureStep, add_record_options, alternating_rounds, ci_text, load_average, loads,
                     markdown_header, median_of, print_table, ratio_summary, rendered_only, RECORD_OPTIONS)

CAM_EPOCH_TARGET = 0.85  # whole CAM-erasing epoch / pure f+b
CAM_PASS_TARGET = 1.3  # CAM pass / one eval forward of its batch
TEST_IMAGES = 10_000
POOL = 32  # distinct pre-made batches the pure f+b reference cycles through
COLUMNS = ["design", "precision", "epoch s", "pure s", "epoch img/s", "pure/epoch [95% CI]", "range", "pure/epoch CPU",
           "target", "load"]


@dataclass
class Design:
    """One evidence design's most expensive arm (what one epoch of it runs)."""

    key: str
    title: str
    model: str
    n_train: int
    train: Dict  # TrainConfig fields
    doubled: bool = False  # an appended copy per batch: the effective batch is 2B
    build: Optional[Callable] = None  # (train_set) -> (train_set, loss_fn, callbacks)


def _cr(train: ImageSet):
    loss = CRLoss(num_classes=train.num_classes, k=3.0)
    return train, loss, [ConfusionRateCallback(loss)]


def _stn(train: ImageSet):
    torch.manual_seed(1)
    return train, None, [STNAugmentCallback(STNAugmenter(train.images.shape[1]))]


def _cam_erasing(train: ImageSet):
    return train, None, [AugmentCallback("cam_erasing", start_epoch=0, mode="append", seed=0)]


DESIGNS: Dict[str, Design] = {d.key: d for d in [
    Design("00", "00 CR loss: simple_cnn, 20k noisy images", "simple_cnn", 20_000,
           dict(optimizer="sgd", lr=0.01, momentum=0.9, batch_size=64, crop_padding=0, flip=False), build=_cr),
    Design("01", "01 STN stage 3: simple_cnn, 10k + G's copies", "simple_cnn", 10_000,
           dict(optimizer="adam", lr=1e-4, batch_size=128, crop_padding=0, flip=False), doubled=True, build=_stn),
    Design("02", "02 CAM erasing: resnet20, 10k + erased copies", "resnet20", 10_000,
           dict(optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=5e-4, batch_size=128, schedule="multistep",
                milestones=(30, 45)), doubled=True, build=_cam_erasing),
    Design("03", "03 simple_cnn, flip + crop, 50k", "simple_cnn", 50_000,
           dict(optimizer="sgd", lr=0.05, momentum=0.9, weight_decay=5e-4, batch_size=128)),
]}


class _Timer:
    """Accumulated wall and CPU seconds of calls to a wrapped function."""

    def __init__(self):
        self.seconds = self.cpu_seconds = 0.0
        self.calls = 0

    def wrap(self, fn):
        def timed(*args, **kwargs):
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0
                self.cpu_seconds += time.process_time() - c0
                self.calls += 1
        return timed


class DesignBench:
    """A trainer set up as the design's most expensive arm, with per-part timers."""

    def __init__(self, design: Design, train: ImageSet, test: ImageSet, precision: str, eval_every: int,
                 scale: float = 1.0, device: str = "cpu"):
        self.design, self.precision, self.eval_every = design, precision, eval_every
        n = max(2 * design.train["batch_size"], int(round(design.n_train * scale)))
        sub = train.subset(n, seed=0) if n < len(train) else train
        loss_fn, callbacks = None, []
        if design.build is not None:
            sub, loss_fn, callbacks = design.build(sub)
        self.test = test
        cfg = TrainConfig(**design.train, epochs=100, device=device, progress=False, precision=precision, seed=0)
        torch.manual_seed(0)
        self.trainer = Trainer(create_model(design.model), cfg, sub, test, loss_fn=loss_fn, callbacks=callbacks)
        self.timers = {"optimizer steps (f+b)": _Timer(), "callbacks (augment, CAM)": _Timer(), "CAM pass": _Timer()}
        t = self.trainer
        t.training_step = self.timers["optimizer steps (f+b)"].wrap(t.training_step)
        for cb in t.callbacks:
            cb.on_batch_start = self.timers["callbacks (augment, CAM)"].wrap(cb.on_batch_start)
            if hasattr(cb, "cam") and getattr(cb, "needs_cam", False):
                cb.cam = self.timers["CAM pass"].wrap(cb.cam)
        for cb in t.callbacks:
            cb.on_fit_start(t)
        self.epoch = 0
        self.parts: List[Dict[str, Dict[str, float]]] = []  # per epoch: {"s": parts, "cpu_s": parts}
        # pure f+b: a copy of the model and optimiser, the same images in the same step sizes
        B = design.train["batch_size"]
        factor = 2 if design.doubled else 1
        steps, rest = divmod(len(sub), B)
        self.pure_steps = steps
        # a pool of up to POOL distinct batches (each doubled for doubled designs), taken in turn
        n = max(min(steps, POOL), 1) * B
        x, y = t.to_input(sub.images[:n]), sub.labels[:n].to(t.device)
        xs = [torch.cat([xb] * factor) for xb in x.split(B)]
        self.x = torch.cat(xs).contiguous(memory_format=t.memory_format)  # (pool * factor * B, C, H, W)
        self.y = torch.cat([torch.cat([yb] * factor) for yb in y.split(B)])
        self.last = (self.x[: rest * factor], self.y[: rest * factor]) if rest >= 2 else None
        # from the trainer's current weights and optimiser state at every measurement: the
        # trainer keeps training between rounds, and both sides should run at the same point
        self.pure_step = PureStep(t.model, t.optimizer, self.x, self.y, precision, self.last, batch_size=factor * B,
                                  follow=True)

    def warm_up(self) -> None:
        self.pure_step(2)
        self.trainer.predict(self.test.images[:256])

    def epoch_end_to_end(self) -> Tuple[int, float, float]:
        """One training epoch + its share (1/k) of a full test evaluation: (images, wall
        seconds, CPU seconds)."""
        t = self.trainer
        for timer in self.timers.values():
            timer.seconds = timer.cpu_seconds = 0.0
            timer.calls = 0
        for cb in t.callbacks:
            cb.on_epoch_start(t, self.epoch)
        with Clock() as train_c:
            record = t.train_epoch(self.epoch)
        with Clock() as eval_c:
            t.evaluate(self.test)
        record = dict(record, epoch=self.epoch + 1)
        for cb in t.callbacks:
            cb.on_epoch_end(t, self.epoch, record)
        self.epoch += 1
        k = self.eval_every
        parts = {}
        for unit, train_s, eval_s, attr in (("s", train_c.wall, eval_c.wall, "seconds"),
                                            ("cpu_s", train_c.cpu, eval_c.cpu, "cpu_seconds")):
            p = {name: getattr(timer, attr) for name, timer in self.timers.items()}
            p["data path and bookkeeping"] = train_s - p["optimizer steps (f+b)"] - p["callbacks (augment, CAM)"]
            p[f"evaluation / {k}"] = eval_s / k
            p["evaluation (one, full)"] = eval_s
            parts[unit] = p
        self.parts.append(parts)
        return record["train_images"], train_c.wall + eval_c.wall / k, train_c.cpu + eval_c.cpu / k

    def pure(self) -> Tuple[int, float, float]:
        return self.pure_step(self.pure_steps)

    # -- the CAM pass against an eval forward of its batch ----------------------------
    def cam_pass_fns(self, repeats: int = 5) -> Dict[str, Callable[[], Tuple[int, float, float]]]:
        t = self.trainer
        cb = next(cb for cb in t.callbacks if getattr(cb, "needs_cam", False))
        B = self.design.train["batch_size"]
        x, y = self.x[:B], self.y[:B]

        def median_time(fn) -> Tuple[int, float, float]:
            walls, cpus = [], []
            for _ in range(repeats):
                with Clock() as c:
                    fn()
                walls.append(c.wall)
                cpus.append(c.cpu)
            return B, statistics.median(walls), statistics.median(cpus)

        def cam():
            cb.cam(t, x, y)

        def eval_forward():
            was = t.model.training
            t.model.eval()
            try:
                with torch.no_grad(), t.autocast():
                    t.model(x)
            finally:
                t.model.train(was)

        return {"cam pass": lambda: median_time(cam), "eval forward": lambda: median_time(eval_forward)}


def run_design(design: Design, train: ImageSet, test: ImageSet, precisions, rounds: int, eval_every: int,
               scale: float) -> Dict:
    benches = {p: DesignBench(design, train, test, p, eval_every, scale) for p in precisions}
    fns = {}
    for p, b in benches.items():
        b.warm_up()
        fns[f"epoch {p}"] = b.epoch_end_to_end
        fns[f"pure {p}"] = b.pure
        if design.key == "02":
            cam_fns = b.cam_pass_fns()
            fns[f"cam pass {p}"] = cam_fns["cam pass"]
            fns[f"eval forward {p}"] = cam_fns["eval forward"]
    times = alternating_rounds(fns, rounds, warmup=False)
    out = {"design": design.key, "title": design.title, "model": design.model,
           "train_images": len(benches[precisions[0]].trainer.train_set), "test_images": len(test),
           "eval_every": eval_every, "doubled_batch": design.doubled, "train": design.train,
           "measurements": times, "precisions": {}}
    for p, b in benches.items():
        ep, pu = times[f"epoch {p}"], times[f"pure {p}"]
        parts = {u: {k: statistics.median(d[u][k] for d in b.parts) for k in b.parts[0][u]} for u in b.parts[0]}
        res = {"epoch_images_per_s": median_of(ep), "pure_images_per_s": median_of(pu),
               "epoch_seconds": median_of(ep, "seconds"), "pure_seconds": median_of(pu, "seconds"),
               "epoch_cpu_seconds": median_of(ep, "cpu_seconds"), "pure_cpu_seconds": median_of(pu, "cpu_seconds"),
               "epoch_vs_pure": ratio_summary(ep, pu), "epoch_vs_pure_cpu": ratio_summary(ep, pu, "images_per_cpu_s"),
               "time_parts_s": parts["s"], "time_parts_cpu_s": parts["cpu_s"]}
        if design.key == "02":
            res["cam_pass_vs_eval_forward"] = ratio_summary(times[f"eval forward {p}"], times[f"cam pass {p}"])
            res["cam_pass_vs_eval_forward_cpu"] = ratio_summary(times[f"eval forward {p}"], times[f"cam pass {p}"],
                                                                "images_per_cpu_s")
        out["precisions"][p] = res
    out["load_1min_range"] = loads(*times.values())
    return out


def table_rows(results: List[Dict]) -> List[Dict]:
    rows = []
    for r in results:
        for p, s in r["precisions"].items():
            ratio, cpu = s["epoch_vs_pure"], s["epoch_vs_pure_cpu"]
            target = ""
            if r["design"] == "02":
                ok = "ok" if ratio["median"] >= CAM_EPOCH_TARGET else "MISS"
                ok_cpu = "ok" if cpu["median"] >= CAM_EPOCH_TARGET else "MISS"
                cam, cam_cpu = s["cam_pass_vs_eval_forward"]["median"], s["cam_pass_vs_eval_forward_cpu"]["median"]
                target = (f">= {CAM_EPOCH_TARGET} {ok} (CPU {ok_cpu}); CAM pass {cam:.2f}x (CPU {cam_cpu:.2f}x) eval "
                          f"forward (<= {CAM_PASS_TARGET} " + ("ok" if cam <= CAM_PASS_TARGET else "MISS")
                          + " (CPU " + ("ok" if cam_cpu <= CAM_PASS_TARGET else "MISS") + "))")
            rows.append({"design": r["title"], "precision": p, "epoch s": f"{s['epoch_seconds']:.1f}",
                         "pure s": f"{s['pure_seconds']:.1f}", "epoch img/s": f"{s['epoch_images_per_s']:.0f}",
                         "pure/epoch [95% CI]": f"{ratio['median']:.3f} [{ratio['ci_low']:.2f}, {ratio['ci_high']:.2f}]",
                         "range": f"{ratio['min']:.2f}-{ratio['max']:.2f}",
                         "pure/epoch CPU": f"{cpu['median']:.3f} [{cpu['ci_low']:.2f}, {cpu['ci_high']:.2f}]",
                         "target": target, "load": "{:.1f}-{:.1f}".format(*r["load_1min_range"])})
    return rows


def parts_lines(results: List[Dict]) -> List[str]:
    """Where each epoch's time goes (medians over rounds), in wall and in CPU seconds."""
    lines = []
    for r in results:
        for p, s in r["precisions"].items():
            for unit, parts, total in (("wall", s["time_parts_s"], s["epoch_seconds"]),
                                       ("CPU", s["time_parts_cpu_s"], s["epoch_cpu_seconds"])):
                shown = {k: v for k, v in parts.items() if k != "evaluation (one, full)" and (v > 0 or k != "CAM pass")}
                lines.append(f"{r['title']}, {p}, {unit}: epoch {total:.1f} s = " + ", ".join(
                    f"{k} {v:.1f} s ({100 * v / total:.0f}%)" for k, v in shown.items())
                    + (" [the CAM pass is part of the callbacks]" if parts.get("CAM pass") else ""))
    return lines


SHORT_PARTS = {"optimizer steps (f+b)": "f+b", "CAM pass": "CAM pass", "callbacks (augment, CAM)": "callbacks",
               "data path and bookkeeping": "data path"}


def render_markdown(record: Dict) -> str:
    """The book's table of a ``bench campaign`` record (every number read from it)."""
    params = record["provenance"]["params"]
    k = params["eval_every"]
    lines = [markdown_header("python -m simaug.bench campaign", record) + f"; {params['rounds']} alternating rounds, "
             f"evaluation every {k} epochs:", "",
             "| design, costliest arm | precision | epoch (s) | pure f+b (s) | pure / epoch [95% CI] | where the epoch goes |",
             "|---|---|---|---|---|---|"]
    notes = []
    for r in record["results"]:
        for p, s in r["precisions"].items():
            parts, total = s["time_parts_s"], s["epoch_seconds"]
            skip = {"evaluation (one, full)"} | ({"callbacks (augment, CAM)"} if parts.get("CAM pass") else set())
            where = ", ".join(f"{SHORT_PARTS.get(name, name.replace(f'evaluation / {k}', 'eval'))} {100 * v / total:.0f}%"
                              for name, v in parts.items()
                              if name not in skip and (v >= 0.005 * total or name == "data path and bookkeeping"))
            design = r["title"].split(":")[0].split(",")[0]
            design += "" if r["model"] in design else f" ({r['model']})"
            lines.append(f"| {design} | {p} | {total:.1f} | {s['pure_seconds']:.1f} | {ci_text(s['epoch_vs_pure'])} | "
                         f"{where} |")
            if r["design"] == "02":
                met = s["epoch_vs_pure"]["median"] >= CAM_EPOCH_TARGET
                c = s["cam_pass_vs_eval_forward"]
                notes.append(f"{p}: the epoch {'meets' if met else 'misses'} its target (>= {CAM_EPOCH_TARGET}); the "
                             f"CAM pass of a batch of 128 takes {c['median']:.2f}x [{c['ci_low']:.2f}, {c['ci_high']:.2f}] "
                             f"the time of one eval forward of it (target <= {CAM_PASS_TARGET}x)")
    coverage = min(s["epoch_vs_pure"]["ci_coverage"] for r in record["results"] for s in r["precisions"].values())
    lines += ["", f"f+b: the optimiser steps (forward, backward, update); eval: the design's share of one test "
                  f"evaluation (1/{k} of it). The interval is the pair of order statistics that covers the median "
                  f"ratio with probability {100 * coverage:.1f}%"
                  + (" (too few rounds for 95%: the range)." if coverage < 0.95 else ".")]
    if notes:
        lines += ["", "CAM erasing (02), " + "; ".join(notes) + "."]
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simaug.bench campaign", description=__doc__.split("\n\n")[0])
    ap.add_argument("--designs", nargs="+", default=list(DESIGNS), choices=list(DESIGNS))
    ap.add_argument("--precisions", nargs="+", default=["bf16", "fp32"], choices=PRECISIONS)
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (medians of per-round ratios)")
    ap.add_argument("--eval-every", type=int, default=5, help="the designs' evaluation cadence (epochs)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="fraction of each design's training images (1 = the design's size; smaller for a quick look)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads; 0 = torch's default")
    add_record_options(ap)
    args = ap.parse_args(argv)
    if rendered_only(ap, args, render_markdown):
        return 0
    if args.rounds < 1 or args.eval_every < 1 or not 0 < args.scale <= 1:
        ap.error("--rounds and --eval-every must be >= 1 and --scale in (0, 1]")
    if args.threads:
        torch.set_num_threads(args.threads)
    bf16 = bf16_support("cpu")
    malloc = "retain" if retain_freed_memory() else "system"  # as the Trainer sets it; both sides measured under it
    load0 = load_average()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.rounds} alternating rounds; "
          f"evaluation of {TEST_IMAGES:,} test images every {args.eval_every} epochs; native bf16 on this CPU: "
          f"{bf16['native_bf16']}; malloc: {malloc} (SIMAUG_MALLOC=system for the C library's defaults); load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}", flush=True)
    test = load("cifar10", "test")
    t0 = time.perf_counter()
    results = []

    def write_json():
        rec = {"results": results, "provenance": provenance.collect(
            params={k: v for k, v in vars(args).items() if k not in RECORD_OPTIONS},
            wall_time_s=time.perf_counter() - t0,
            precision=",".join(args.precisions), malloc=malloc, load_average_before=load0, load_average_after=load_average())}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rec, indent=1, default=str) + "\n")
        if args.markdown:
            Path(args.markdown).write_text(render_markdown(rec))

    for key in args.designs:
        d = DESIGNS[key]
        train = load("cifar10", "train", **({"noise_rate": 0.1, "noise_mode": "pairflip"} if key == "00" else {}))
        results.append(run_design(d, train, test, args.precisions, args.rounds, args.eval_every, args.scale))
        print(f"  {d.title}: done ({time.perf_counter() - t0:.0f} s so far)", flush=True)
        print_table(table_rows(results[-1:]), COLUMNS)
        print("\n".join(parts_lines(results[-1:])), flush=True)
        if args.json:  # after every design, so that a long run keeps what it measured
            write_json()
    print("\nAll designs:")
    print_table(table_rows(results), COLUMNS)
    print("(pure/epoch: pure forward+backward time over the same images / the epoch's time, median over rounds of "
          "the per-round ratio with the median's 95% confidence interval (order statistics; the range with fewer "
          "than 6 rounds) and the range, from wall time and from this process's CPU time (the steadier with "
          "--threads 1 on a busy machine); load: 1-min load average recorded with each measurement)")
    if args.json:
        write_json()
    return 0
