"""Benchmark: the trainer with glibc's malloc defaults vs with freed memory retained.

``simaug.train.allocator.retain_freed_memory`` is process-wide and cannot be undone in a
running process (glibc's dynamic mmap threshold does not come back), so the two settings
run in separate child processes (``SIMAUG_MALLOC=system`` / ``retain``), alternating within
every round: round r starts one child per setting, each timing ``--epochs`` trainer epochs of
``--steps`` batches for every model and precision after one untimed warm-up epoch, and
counting the minor page faults of the timed epochs. The speed-up retain / system is formed
per round and model; its median over rounds is reported with the range. Results are the
same either way (the children also report the final training loss, which must agree).

Run as ``python -m simaug.bench malloc [--models ...] [--precisions ...] [--json out.json]``.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import torch

from .. import provenance
from ..data import load
from ..models import create_model
from ..precision import PRECISIONS
from ..train import Trainer, TrainConfig
from ..train.allocator import retain_freed_memory
from .timing import load_average, print_table

SETTINGS = ("system", "retain")


def child(models: List[str], precisions: List[str], steps: int, epochs: int, batch_size: int) -> Dict:
    """In the child process: images/s and page faults per step of each model and precision."""
    tuned = retain_freed_memory()  # Trainer would call it too; here before anything is timed
    train = load("cifar10", "train").subset(steps * batch_size, seed=1, per_class=False)
    out = {"malloc": "retain" if tuned else "system", "results": {}}
    for name in models:
        for p in precisions:
            torch.manual_seed(0)
            cfg = TrainConfig(batch_size=batch_size, lr=0.01 if name == "simple_cnn" else 0.1, momentum=0.9,
                              progress=False, precision=p)
            t = Trainer(create_model(name), cfg, train)
            t.train_epoch(0)  # warm-up: allocator, oneDNN primitives
            faults0, t0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.perf_counter()
            for e in range(1, epochs + 1):
                r = t.train_epoch(e)
            wall = time.perf_counter() - t0
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0
            out["results"][f"{name} {p}"] = {"images_per_s": epochs * r["train_images"] / wall,
                                             "faults_per_step": faults / (epochs * steps),
                                             "final_train_loss": r["train_loss"]}
    return out


def summary_markdown(rec: Dict) -> str:
    """The book's table of a ``--json`` record (``results/bench/malloc.md``)."""
    prov, params = rec["provenance"], rec["provenance"]["params"]
    dev = prov.get("device", {})
    lines = [f"The trainer, {params['epochs']} x {params['steps']} batches of {params['batch_size']} per child process "
             f"after a warm-up epoch, {params['rounds']} alternating rounds (`python -m simaug.bench malloc`, commit "
             f"`{str(prov.get('commit', ''))[:12]}`, {dev.get('cpu', '')}, {dev.get('torch_threads', '')} threads):",
             "", "| model, precision | malloc defaults (img/s) | freed memory retained (img/s) | speed-up (range) "
             "| page faults per step (defaults, retained) | same final loss |", "|---|---|---|---|---|---|"]
    for key, v in rec["results"].items():
        sp = v["speedup"]
        lines.append(f"| {key} | {v['system_images_per_s']:,.0f} | {v['retain_images_per_s']:,.0f} | "
                     f"{sp['median']:.2f}x ({sp['min']:.2f}-{sp['max']:.2f}) | {v['system_faults_per_step']:,.0f}, "
                     f"{v['retain_faults_per_step']:,.0f} | {'yes' if v['same_final_loss'] else 'no'} |")
    return "\n".join(lines) + "\n"


def _spawn(setting: str, args) -> Dict:
    env = dict(os.environ, SIMAUG_MALLOC=setting)
    cmd = [sys.executable, "-m", "simaug.bench", "malloc", "--child", "--models", *args.models,
           "--precisions", *args.precisions, "--steps", str(args.steps), "--epochs", str(args.epochs),
           "--batch-size", str(args.batch_size), "--threads", str(args.threads)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the {setting} child failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simaug.bench malloc", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["simple_cnn", "resnet20"])
    ap.add_argument("--precisions", nargs="+", default=list(PRECISIONS), choices=PRECISIONS)
    ap.add_argument("--steps", type=int, default=40, help="batches per epoch")
    ap.add_argument("--epochs", type=int, default=2, help="timed epochs per child, after one warm-up epoch")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (medians of per-round ratios)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads; 0 = torch's default")
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if min(args.steps, args.epochs, args.rounds) < 1 or args.batch_size < 2:
        ap.error("--steps, --epochs and --rounds must be >= 1 and --batch-size >= 2")
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.child:
        print(json.dumps(child(args.models, args.precisions, args.steps, args.epochs, args.batch_size)))
        return 0
    load0 = load_average()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch_size}, {args.epochs} x "
          f"{args.steps} steps per child, {args.rounds} rounds of one child per setting; load average "
          f"{load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}", flush=True)
    t0 = time.perf_counter()
    rounds: List[Dict[str, Dict]] = []
    for r in range(args.rounds):
        rounds.append({s: _spawn(s, args) for s in SETTINGS})
        print(f"  round {r + 1}/{args.rounds} done ({time.perf_counter() - t0:.0f} s)", flush=True)
    if any(rd["retain"]["malloc"] != "retain" for rd in rounds):
        raise SystemExit("malloc could not be tuned here (not glibc?): nothing to compare")
    rows, results = [], {}
    for key in rounds[0]["system"]["results"]:
        per = [(rd["system"]["results"][key], rd["retain"]["results"][key]) for rd in rounds]
        ratios = [b["images_per_s"] / a["images_per_s"] for a, b in per]
        same = all(a["final_train_loss"] == b["final_train_loss"] for a, b in per)
        results[key] = {"system_images_per_s": statistics.median(a["images_per_s"] for a, _ in per),
                        "retain_images_per_s": statistics.median(b["images_per_s"] for _, b in per),
                        "speedup": {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios),
                                    "per_round": ratios},
                        "system_faults_per_step": statistics.median(a["faults_per_step"] for a, _ in per),
                        "retain_faults_per_step": statistics.median(b["faults_per_step"] for _, b in per),
                        "same_final_loss": same}
        v = results[key]
        rows.append({"model precision": key, "system img/s": f"{v['system_images_per_s']:.0f}",
                     "retain img/s": f"{v['retain_images_per_s']:.0f}",
                     "retain/system": f"{v['speedup']['median']:.2f}x ({min(ratios):.2f}-{max(ratios):.2f})",
                     "page faults/step system, retain": f"{v['system_faults_per_step']:.0f}, {v['retain_faults_per_step']:.0f}",
                     "same loss": "yes" if same else "NO"})
    print_table(rows, list(rows[0]))
    print("(retain/system: median over rounds of the per-round ratio of the trainer's images/s, with its range; "
          "page faults: minor faults per training step, median over rounds)")
    if not all(v["same_final_loss"] for v in results.values()):
        print("WARNING: the final training losses differ between the settings", file=sys.stderr)
    if args.json:
        rec = {"results": results, "provenance": provenance.collect(
            params={k: v for k, v in vars(args).items() if k not in ("json", "child")},
            wall_time_s=time.perf_counter() - t0, precision=",".join(args.precisions),
            load_average_before=load0, load_average_after=load_average())}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rec, indent=1, default=str) + "\n")
        Path(args.json).with_suffix(".md").write_text(summary_markdown(rec))
    return 0 if all(v["same_final_loss"] for v in results.values()) else 1
