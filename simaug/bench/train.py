"""Training-throughput benchmark: simaug's trainer vs pure forward+backward, in fp32 and bf16.

For each model and precision, in one run and on the same machine state:

* ``simaug trainer``: ``Trainer.train_epoch`` over ``steps x batch`` in-memory uint8 images
  (batched on-device crop/flip, normalisation, confusion-matrix bookkeeping, the forward
  and loss under the precision's autocast, fp32 master weights).
* ``pure f+b``: the same model's forward+backward+SGD step on one pre-made normalised batch,
  at the same precision (the ceiling of any training loop).
* ``reference`` (``--reference``): ``datasets.ImageFolder`` over the extracted CIFAR-10
  JPEGs with per-sample PIL ``RandomCrop(32, padding=4)`` + ``RandomHorizontalFlip`` +
  ``ToTensor`` + ``Normalize`` through a ``DataLoader`` with 2 workers, fp32.

The trainer and pure f+b at every precision alternate within each round (reversed every
other round); both start every measurement from the same weights and optimiser state.
Ratios are formed per round and their median is reported with its 95% confidence interval
(order statistics, no distribution assumed) and the range, with the load average recorded
next to every measurement. The defaults (10 steps per measurement, 25 rounds) favour many
short rounds: this VM's speed drifts by 10-20% from one second to the next. Targets on this 2-core CPU: the trainer >= 0.95 of pure f+b at
either precision; ResNet-20 >= 1,100 img/s through the trainer in bf16.

Run as ``python -m simaug.bench train [--models ...] [--precisions fp32 bf16] [--json out.json]``.
"""
from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path
from typing import Dict, List, Optional

import torch

from .. import provenance
from ..data import load
from ..data.archive import safe_extract
from ..data.paths import data_root
from ..data.store import find_archive
from ..models import create_model
from ..precision import PRECISIONS, bf16_support
from ..train import Trainer, TrainConfig
from ..train.allocator import retain_freed_memory
from .timing import (Clock, PureStep, add_record_options, alternating_rounds, ci_text, load_average, loads,
                     markdown_header, median_of, print_table, ratio_summary, rendered_only, RECORD_OPTIONS)

TRAINER_TARGET = 0.95  # trainer / pure f+b, at either precision
RESNET20_BF16_TARGET = 1100.0  # img/s through the trainer


def _extracted_jpegs() -> Path:
    source, archive = find_archive("cifar10")
    if source["format"] != "jpeg-zip":
        raise SystemExit("the reference pipeline reads JPEG files: import cifar10-jpeg.zip first")
    target = data_root() / "extracted" / "cifar10-jpeg"
    if not (target / "train").exists():
        print(f"extracting {archive} -> {target} (once)")
        safe_extract(archive, target)
    return target / "train"


def reference_rate(model_name: str, batch_size: int, steps: int, warmup: int, workers: int) -> float:
    """images/s of the torchvision ImageFolder + PIL + DataLoader pipeline, fp32."""
    import torch.nn.functional as F
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    mean, std = (0.491, 0.482, 0.447), (0.247, 0.243, 0.262)  # CIFAR-10 train statistics
    tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                             transforms.ToTensor(), transforms.Normalize(mean, std)])
    ds = datasets.ImageFolder(str(_extracted_jpegs()), transform=tf)
    loader = DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=workers, drop_last=True,
                        generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    model = create_model(model_name)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    it = iter(loader)
    n, t0 = 0, 0.0
    for i in range(warmup + steps):
        if i == warmup:
            t0 = time.perf_counter()
        x, y = next(it)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        n += len(y) if i >= warmup else 0
    rate = n / (time.perf_counter() - t0)
    it._shutdown_workers()  # stop the workers now, so they cannot slow what is timed next
    return rate


def bench_model(name: str, train, precisions, steps: int, batch_size: int, rounds: int,
                channels_last: bool = True, device: str = "cpu") -> Dict:
    """Trainer and pure f+b of ``name`` at each precision, in alternating rounds."""
    sub = train.subset(steps * batch_size, seed=1, per_class=False)
    fns, trainers = {}, {}
    for p in precisions:
        torch.manual_seed(0)
        # the designs' learning rates (simple_cnn diverges at 0.05 within a few epochs of 40 steps)
        cfg = TrainConfig(batch_size=batch_size, lr=0.01 if name == "simple_cnn" else 0.1, momentum=0.9, device=device,
                          progress=False,
                          channels_last=channels_last, precision=p)
        t = Trainer(create_model(name), cfg, sub)
        trainers[p] = t
        x = t.to_input(sub.images)  # the trainer's images as ``steps`` distinct pre-made batches
        y = sub.labels.to(t.device)

        # both sides start every measurement from the same weights and optimiser state, so
        # neither is timed at another point of training (a network fitting its few batches
        # slows down; see PureStep)
        start = (copy.deepcopy(t.model.state_dict()), copy.deepcopy(t.optimizer.state_dict()))

        def epoch(t=t, start=start):
            t.model.load_state_dict(start[0])
            t.optimizer.load_state_dict(copy.deepcopy(start[1]))
            t.epoch += 1
            with Clock() as c:
                r = t.train_epoch(t.epoch)
            return r["train_images"], c.wall, c.cpu

        fns[f"trainer {p}"] = epoch
        pure = PureStep(t.model, t.optimizer, x, y, p, batch_size=batch_size)  # a private copy, reset to the same start
        fns[f"pure {p}"] = (lambda pure=pure: pure(steps))
    times = alternating_rounds(fns, rounds)
    out = {"model": name, "images_per_measurement": steps * batch_size, "channels_last": channels_last,
           "measurements": times, "precisions": {}}
    for p in precisions:
        tr, pu = times[f"trainer {p}"], times[f"pure {p}"]
        out["precisions"][p] = {"trainer_images_per_s": median_of(tr), "pure_images_per_s": median_of(pu),
                                "trainer_images_per_cpu_s": median_of(tr, "images_per_cpu_s"),
                                "pure_images_per_cpu_s": median_of(pu, "images_per_cpu_s"),
                                "trainer_vs_pure": ratio_summary(tr, pu),
                                "trainer_vs_pure_cpu": ratio_summary(tr, pu, "images_per_cpu_s")}
    if "fp32" in precisions and "bf16" in precisions:
        out["bf16_vs_fp32"] = {"trainer": ratio_summary(times["trainer bf16"], times["trainer fp32"]),
                               "pure": ratio_summary(times["pure bf16"], times["pure fp32"]),
                               "trainer_cpu": ratio_summary(times["trainer bf16"], times["trainer fp32"], "images_per_cpu_s")}
    out["load_1min_range"] = loads(*times.values())
    return out


def table_rows(results: List[Dict]) -> List[Dict]:
    rows = []
    for r in results:
        for p, s in r["precisions"].items():
            ratio, cpu = s["trainer_vs_pure"], s["trainer_vs_pure_cpu"]
            target = TRAINER_TARGET
            ok = "ok" if ratio["median"] >= target else "MISS"
            ok_cpu = "ok" if cpu["median"] >= target else "MISS"
            speed = r.get("bf16_vs_fp32", {})
            extra = ""
            if r["model"] == "resnet20" and p == "bf16":
                extra = f"; >= {RESNET20_BF16_TARGET:.0f} img/s " + ("ok" if s["trainer_images_per_s"] >= RESNET20_BF16_TARGET else "MISS")
            rows.append({"model": r["model"], "precision": p, "trainer img/s": f"{s['trainer_images_per_s']:.0f}",
                         "pure f+b img/s": f"{s['pure_images_per_s']:.0f}",
                         "trainer/pure [95% CI]": f"{ratio['median']:.3f} [{ratio['ci_low']:.3f}, {ratio['ci_high']:.3f}]",
                         "range": f"{ratio['min']:.2f}-{ratio['max']:.2f}",
                         "img/CPU-s trainer, pure": f"{s['trainer_images_per_cpu_s']:.0f}, {s['pure_images_per_cpu_s']:.0f}",
                         "trainer/pure CPU": f"{cpu['median']:.3f} [{cpu['ci_low']:.3f}, {cpu['ci_high']:.3f}]",
                         "bf16/fp32 trainer": (f"{speed['trainer']['median']:.2f}x (CPU {speed['trainer_cpu']['median']:.2f}x)"
                                               if speed and p == "bf16" else ""),
                         "target": f">= {target} {ok} (CPU {ok_cpu}){extra}",
                         "load": "{:.1f}-{:.1f}".format(*r["load_1min_range"])})
    return rows


def render_markdown(record: Dict) -> str:
    """The book's table of a ``bench train`` record (every number read from it)."""
    params = record["provenance"]["params"]
    lines = [markdown_header("python -m simaug.bench train", record) + f"; batch {params['batch_size']}, "
             f"{params['steps']} steps per measurement, {params['rounds']} alternating rounds:", "",
             "| model | precision | trainer (img/s) | pure forward+backward (img/s) | trainer / pure [95% CI] | target |",
             "|---|---|---|---|---|---|"]
    for r in record["results"]:
        for p, s in r["precisions"].items():
            ratio = s["trainer_vs_pure"]
            target = f">= {TRAINER_TARGET}: " + ("met" if ratio["median"] >= TRAINER_TARGET else "missed")
            if r["model"] == "resnet20" and p == "bf16":
                target += f"; >= {RESNET20_BF16_TARGET:,.0f} img/s: " + (
                    "met" if s["trainer_images_per_s"] >= RESNET20_BF16_TARGET else "missed")
            lines.append(f"| {r['model']} | {p} | {s['trainer_images_per_s']:,.0f} | {s['pure_images_per_s']:,.0f} | "
                         f"{ci_text(ratio)} | {target} |")
    coverage = min(s["trainer_vs_pure"]["ci_coverage"] for r in record["results"] for s in r["precisions"].values())
    lines += ["", "Both sides start every measurement from the same weights; the ratio is the median of the per-round "
              f"ratios, with the pair of order statistics that covers it with probability {100 * coverage:.1f}%."]
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simaug.bench train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["simple_cnn", "resnet20"])
    ap.add_argument("--precisions", nargs="+", default=list(PRECISIONS), choices=PRECISIONS)
    ap.add_argument("--steps", type=int, default=10, help="steps per measurement (trainer: one epoch of this many)")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=25, help="alternating rounds (medians of per-round ratios)")
    ap.add_argument("--contiguous", action="store_true", help="NCHW instead of channels_last (TrainConfig's default)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads; 0 = torch's default")
    ap.add_argument("--reference", action="store_true",
                    help="also time the torchvision ImageFolder + PIL + DataLoader pipeline (fp32; extracts the JPEGs once)")
    ap.add_argument("--workers", type=int, default=2, help="DataLoader workers of the reference")
    add_record_options(ap)
    args = ap.parse_args(argv)
    if rendered_only(ap, args, render_markdown):
        return 0
    if min(args.steps, args.rounds) < 1 or args.batch_size < 2:
        ap.error("--steps and --rounds must be >= 1 and --batch-size >= 2")
    if args.threads:
        torch.set_num_threads(args.threads)
    bf16 = bf16_support("cpu")
    malloc = "retain" if retain_freed_memory() else "system"  # as the Trainer sets it; both sides measured under it
    load0 = load_average()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch_size}, {args.steps} steps "
          f"per measurement, median of {args.rounds} alternating rounds; native bf16 on this CPU: "
          f"{bf16['native_bf16']} ({', '.join(bf16['bf16_cpu_flags']) or 'no avx512_bf16/amx_bf16'}); "
          f"malloc: {malloc} (SIMAUG_MALLOC=system for the C library's defaults); "
          f"load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}", flush=True)
    train = load("cifar10", "train")
    t0 = time.perf_counter()
    results = [bench_model(name, train, args.precisions, args.steps, args.batch_size, args.rounds,
                           not args.contiguous) for name in args.models]
    print_table(table_rows(results), ["model", "precision", "trainer img/s", "pure f+b img/s", "trainer/pure [95% CI]", "range",
                                      "img/CPU-s trainer, pure", "trainer/pure CPU", "bf16/fp32 trainer", "target", "load"])
    if args.reference:
        for r in results:
            ref = reference_rate(r["model"], args.batch_size, args.steps, 5, args.workers)
            r["reference_images_per_s"] = ref
            fp32 = r["precisions"].get("fp32", next(iter(r["precisions"].values())))
            print(f"{r['model']}: reference (ImageFolder + PIL, {args.workers} workers, fp32) {ref:.0f} img/s; "
                  f"simaug trainer {fp32['trainer_images_per_s'] / ref:.2f}x it (reference measured after the rounds)")
    print("(trainer/pure: median over rounds of the per-round ratio of wall-clock rates, with the median's 95% "
          "confidence interval from order statistics and the range; the target is judged on the median; CPU: the "
          "same from this process's CPU time, the steadier measure with --threads 1 on a busy machine; load: 1-min "
          "load average recorded with each measurement)")
    if args.json:
        rec = {"results": results, "provenance": provenance.collect(
            params={k: v for k, v in vars(args).items() if k not in RECORD_OPTIONS},
            wall_time_s=time.perf_counter() - t0,
            precision=",".join(args.precisions), malloc=malloc, load_average_before=load0, load_average_after=load_average())}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rec, indent=1, default=str) + "\n")
        if args.markdown:
            Path(args.markdown).write_text(render_markdown(rec))
    return 0
