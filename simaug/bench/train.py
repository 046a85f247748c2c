"""Training-throughput benchmark: simaug's trainer vs the common torchvision pipeline.

For each model, in one run and on the same machine state:

* ``reference``: ``datasets.ImageFolder`` over the extracted CIFAR-10 JPEGs with per-sample PIL
  transforms ``RandomCrop(32, padding=4)`` + ``RandomHorizontalFlip`` + ``ToTensor`` +
  ``Normalize``, through a ``DataLoader`` with 2 workers; SGD step per batch.
* ``simaug``: ``Trainer.train_epoch`` on in-memory uint8 tensors with batched on-device crop/flip.
* ``pure f+b``: the model's forward+backward+step on one pre-made batch (the ceiling).

Same model, optimiser, batch size and thread count for all three. Prints images/s and ratios.
Targets on a 2-core CPU: simple_cnn >= 1.5x the reference, resnet20 >= 1.2x, and simaug
within 10% of pure f+b.
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ..data import load
from ..data.archive import safe_extract
from ..data.paths import data_root
from ..data.store import find_archive
from ..models import create_model
from ..train import Trainer, TrainConfig
from .timing import print_table


def _extracted_jpegs() -> Path:
    source, archive = find_archive("cifar10")
    if source["format"] != "jpeg-zip":
        raise SystemExit("the reference pipeline reads JPEG files: import cifar10-jpeg.zip first")
    target = data_root() / "extracted" / "cifar10-jpeg"
    if not (target / "train").exists():
        print(f"extracting {archive} -> {target} (once)")
        safe_extract(archive, target)
    return target / "train"


def _timed_steps(model, opt, batches, steps: int, warmup: int) -> float:
    """images/s of SGD steps over ``batches`` (an iterator of (x, y)), after ``warmup`` untimed steps."""
    model.train()
    n, t0 = 0, 0.0
    for i in range(warmup + steps):
        if i == warmup:
            t0 = time.perf_counter()
        x, y = next(batches)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        n += len(y) if i >= warmup else 0
    return n / (time.perf_counter() - t0)


def _reference_rate(model_name, cfg, mean, std, steps, warmup, workers):
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                             transforms.ToTensor(), transforms.Normalize(mean, std)])
    ds = datasets.ImageFolder(str(_extracted_jpegs()), transform=tf)
    loader = DataLoader(ds, batch_size=cfg.batch_size, shuffle=True, num_workers=workers, drop_last=True,
                        generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    model = create_model(model_name)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum)
    it = iter(loader)
    rate = _timed_steps(model, opt, it, steps, warmup)
    it._shutdown_workers()  # stop the workers now, so they cannot slow what is timed next
    return rate


def _simaug_and_pure_rates(model_name, cfg, train, steps, warmup, repeats):
    """Median images/s of the trainer's epoch loop and of pure forward+backward on one
    pre-made batch, measured in alternating rounds so that both see the same machine state."""
    torch.manual_seed(0)
    sub = train.subset(steps * cfg.batch_size, seed=1, per_class=False)
    trainer = Trainer(create_model(model_name), cfg, sub)
    Trainer(trainer.model, cfg, sub.subset(warmup * cfg.batch_size, seed=2, per_class=False)).train_epoch(0)  # warm-up
    x = trainer.to_input(sub.images[: cfg.batch_size])
    y = sub.labels[: cfg.batch_size].to(trainer.device)
    ours, pure = [], []
    for r in range(repeats):
        ours.append(trainer.train_epoch(r + 1)["images_per_s"])
        pure.append(_timed_steps(trainer.model, trainer.optimizer, itertools.repeat((x, y)), steps, 1))
    return statistics.median(ours), statistics.median(pure)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simaug.bench train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["simple_cnn", "resnet20"])
    ap.add_argument("--steps", type=int, default=40, help="timed steps per measurement")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--workers", type=int, default=2, help="DataLoader workers of the reference")
    ap.add_argument("--repeats", type=int, default=5, help="alternating rounds of simaug / pure f+b (medians)")
    args = ap.parse_args(argv)
    train = load("cifar10", "train")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch_size}, "
          f"{args.steps} timed steps after {args.warmup} warm-up steps; simaug and pure f+b: median of "
          f"{args.repeats} alternating rounds")
    rows = []
    for name in args.models:
        cfg = TrainConfig(batch_size=args.batch_size, lr=0.05, momentum=0.9, device="cpu", progress=False,
                          channels_last=name != "simple_cnn")
        mean, std = (0.491, 0.482, 0.447), (0.247, 0.243, 0.262)  # CIFAR-10 train statistics
        # ours and pure first, the reference (with its worker processes) last
        ours, pure = _simaug_and_pure_rates(name, cfg, train, args.steps, args.warmup, args.repeats)
        ref = _reference_rate(name, cfg, mean, std, args.steps, args.warmup, args.workers)
        rows += [
            {"model": name, "path": f"reference (ImageFolder + PIL, {args.workers} workers)", "img/s": f"{ref:.0f}", "vs reference": "1.00x", "vs pure f+b": f"{ref / pure:.2f}"},
            {"model": name, "path": "simaug trainer", "img/s": f"{ours:.0f}", "vs reference": f"{ours / ref:.2f}x", "vs pure f+b": f"{ours / pure:.2f}"},
            {"model": name, "path": "pure forward+backward", "img/s": f"{pure:.0f}", "vs reference": f"{pure / ref:.2f}x", "vs pure f+b": "1.00"},
        ]
    print_table(rows, ["model", "path", "img/s", "vs reference", "vs pure f+b"])
    return 0
