"""Parity before use: final test accuracy of bf16 vs fp32 training over paired seeds.

For each model, at the evidence designs' baselines on a short schedule, every seed is
trained twice from the same initialisation, data order and augmentation draws, once in
fp32 and once in bf16 (``TrainConfig(precision=...)``: autocast of forward and loss, fp32
master weights); the paired difference of the final accuracy on the full 10,000-image
CIFAR-10 test set, bf16 - fp32, goes through ``simaug.report.compare`` (paired t interval).

* ``simple_cnn``: 10,000 class-balanced training images, SGD 0.01 momentum 0.9, batch 64,
  no crop/flip (design 00's cross-entropy baseline without its label noise), 8 epochs.
* ``resnet20``: 10,000 class-balanced images, crop + flip, SGD 0.1 momentum 0.9, weight
  decay 5e-4, batch 128, lr x0.1 after 50% and 75% of the epochs (design 02's none arm),
  8 epochs.

Writes ``results/bench/precision.json`` (per-seed accuracies, the paired difference with
its CI and n, wall times, machine load, provenance) and ``results/bench/precision.md``, the
summary the book's reproducibility page includes. Runs checkpoint under ``--work``, so an
interrupted check resumes where it stopped. ``--render-only`` rewrites the markdown from
the JSON.

Run as ``python -m simaug.bench precision [--models simple_cnn resnet20] [--seeds 0 1 2]
[--epochs 8]``.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import torch

from .. import provenance
from ..data import load
from ..data.paths import REPO_ROOT
from ..models import create_model
from ..precision import PRECISIONS, bf16_support
from ..report import compare
from ..train import Trainer, TrainConfig
from ..train.checkpoint import load_checkpoint
from .timing import load_average

OUT_JSON = REPO_ROOT / "results" / "bench" / "precision.json"
OUT_MD = REPO_ROOT / "results" / "bench" / "precision.md"
WORK = REPO_ROOT / "runs" / "bench" / "precision"  # checkpoints of the parity runs (git-ignored)
TRAIN_IMAGES = 10_000

RECIPES: Dict[str, Dict[str, Any]] = {
    "simple_cnn": dict(optimizer="sgd", lr=0.01, momentum=0.9, batch_size=64, crop_padding=0, flip=False),
    "resnet20": dict(optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=5e-4, batch_size=128, crop_padding=4,
                     flip=True, schedule="multistep"),
}
BASELINE = {"simple_cnn": "design 00's cross-entropy baseline (clean labels, 10k images)",
            "resnet20": "design 02's none arm (flip + crop, multistep)"}


def train_config(model: str, epochs: int, seed: int, precision: str) -> TrainConfig:
    r = dict(RECIPES[model])
    if r.get("schedule") == "multistep":
        r["milestones"] = (round(0.5 * epochs), round(0.75 * epochs))
    return TrainConfig(**r, epochs=epochs, seed=seed, precision=precision, eval_every=epochs, device="cpu",
                       progress=False)


def run_dir(work: Path, model: str, precision: str, seed: int, epochs: int) -> Path:
    return work / f"{model}-{precision}-seed{seed}-e{epochs}"


def train_one(model: str, epochs: int, seed: int, precision: str, train, test, work: Path) -> Dict[str, Any]:
    """One run (resumed from its checkpoint under ``work`` if there is one)."""
    cfg = train_config(model, epochs, seed, precision)
    torch.manual_seed(seed)
    trainer = Trainer(create_model(model), cfg, train, test, run_dir=run_dir(work, model, precision, seed, epochs))
    load0 = load_average()[0]
    t0 = time.perf_counter()
    history = trainer.fit()
    last = history.iloc[-1]
    return {"seed": seed, "precision": precision, "test_acc": float(last["test_acc"]),
            "train_acc": float(last["train_acc"]), "test_loss": float(last["test_loss"]),
            "train_seconds": float(history["train_time_s"].sum()), "fit_wall_s_this_call": time.perf_counter() - t0,
            # the run's wall time in fit(), training and evaluation, summed over resumed segments (checkpointed)
            "run_wall_s": float(getattr(trainer, "wall_time_s", 0.0) or time.perf_counter() - t0),
            "load_1min_before": load0, "load_1min_after": load_average()[0]}


def evaluation_parity(model: str, precision: str, seed: int, epochs: int, sets, work: Path) -> Optional[Dict]:
    """The run's final model (from its checkpoint) evaluated in fp32 and in bf16: the test
    accuracy at each, the share of test images with the same predicted class, and the
    largest logit difference. None when the checkpoint is gone. ``sets()`` returns the
    (train, test) sets (the train set gives the normalisation statistics)."""
    path = run_dir(work, model, precision, seed, epochs) / "checkpoint.pt"
    if not path.is_file():
        return None
    train, test = sets()
    state = load_checkpoint(path)
    logits = {}
    for p in PRECISIONS:
        t = Trainer(create_model(model), train_config(model, epochs, seed, p), train, test)
        t.model.load_state_dict(state["model"])
        logits[p] = t.predict(test.images)
    pred = {p: v.argmax(1) for p, v in logits.items()}
    return {**{f"test_acc_eval_{p}": float((pred[p] == test.labels).float().mean()) for p in PRECISIONS},
            "argmax_agreement": float((pred["fp32"] == pred["bf16"]).float().mean()),
            "max_abs_logit_diff": float((logits["fp32"] - logits["bf16"]).abs().max())}


def previous_runs(path: Path) -> Dict[tuple, Dict[str, Any]]:
    """The runs of an earlier ``precision.json`` at ``path``, by (model, precision, seed,
    epochs), for the recipe they were trained with: a re-run keeps them (with their wall
    times and machine load) and trains only what is missing."""
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    out = {}
    for m in record.get("models", []):
        for p, rs in m.get("runs", {}).items():
            now = json.loads(json.dumps(train_config(m["model"], m["epochs"], 0, p).to_dict()))  # tuples as lists
            if m.get("train_config", {}).get(p) != now:
                continue  # another recipe: retrain
            for r in rs:
                out[(m["model"], p, r["seed"], m["epochs"])] = dict(r, run_wall_s=r.get("run_wall_s", r.get("fit_wall_s_this_call")))
    return out


def parity(model: str, seeds: List[int], epochs: int, work: Path, log=print,
           previous: Optional[Dict[tuple, Dict[str, Any]]] = None) -> Dict[str, Any]:
    """All runs of one model (fp32 and bf16 alternating per seed) and their paired comparison;
    runs found in ``previous`` (see :func:`previous_runs`) are kept, not retrained."""
    data: Dict[str, Any] = {}

    def sets():  # loaded only when a run has to be trained
        if not data:
            data["train"] = load("cifar10", "train").subset(TRAIN_IMAGES, seed=0)
            data["test"] = load("cifar10", "test")
        return data["train"], data["test"]

    runs: Dict[str, List[Dict[str, Any]]] = {"fp32": [], "bf16": []}
    for seed in seeds:
        for p in ("fp32", "bf16"):
            kept = (previous or {}).get((model, p, seed, epochs))
            r = kept if kept is not None else train_one(model, epochs, seed, p, *sets(), work)
            if r.get("evaluation_parity") is None:
                r = dict(r, evaluation_parity=evaluation_parity(model, p, seed, epochs, sets, work))
            runs[p].append(r)
            log(f"  {model} seed {seed} {p}: test acc {100 * r['test_acc']:.2f}%, train {r['train_seconds']:.0f} s "
                f"(load {r['load_1min_before']:.1f})" + (" [kept from the previous record]" if kept else ""))
    acc = {p: [r["test_acc"] for r in rs] for p, rs in runs.items()}
    c = compare([100 * a for a in acc["bf16"]], [100 * a for a in acc["fp32"]], paired=True)
    secs = {p: sum(r["train_seconds"] for r in rs) for p, rs in runs.items()}
    evals = [r["evaluation_parity"] for rs in runs.values() for r in rs if r.get("evaluation_parity")]
    ev = None
    if len(evals) >= 2:  # the same trained models evaluated at both precisions: the evaluation's own share
        e = compare([100 * x["test_acc_eval_bf16"] for x in evals], [100 * x["test_acc_eval_fp32"] for x in evals])
        ev = {"diff": e.diff, "ci": list(e.ci), "n": e.n, "max_abs_points": max(
                  100 * abs(x["test_acc_eval_bf16"] - x["test_acc_eval_fp32"]) for x in evals),
              "min_argmax_agreement": min(x["argmax_agreement"] for x in evals),
              "what": "bf16 - fp32 evaluation of the same trained models (all runs of both arms), points"}
    return {
        "model": model, "baseline": BASELINE[model], "train_images": TRAIN_IMAGES, "test_images": 10_000,
        "epochs": epochs, "seeds": seeds, "train_config": {p: train_config(model, epochs, 0, p).to_dict() for p in runs},
        "runs": runs, "test_acc": acc,
        "difference_points": {"diff": c.diff, "ci": list(c.ci), "t": c.t, "p": c.p, "n": c.n, "sd": c.sd,
                              "alpha": c.alpha, "what": "bf16 - fp32, final test accuracy in points, paired by seed"},
        "max_abs_effect_points": max(abs(v) for v in c.ci) if not any(math.isnan(v) for v in c.ci) else math.nan,
        # seed-to-seed spread of one arm (points): what a paired bf16 - fp32 difference is to be read against
        "seed_sd_points": {p: statistics.stdev(100 * a for a in v) for p, v in acc.items()},
        "evaluation_difference_points": ev,
        "train_seconds": secs, "bf16_speedup": secs["fp32"] / secs["bf16"] if secs["bf16"] > 0 else math.nan,
    }


def render_markdown(record: Dict[str, Any]) -> str:
    """The book's summary of ``precision.json`` (every number read from the record)."""
    rows = ["| model | baseline | epochs | n | fp32 test acc (%) | bf16 test acc (%) | seed SD fp32 / bf16 | "
            "bf16 - fp32 (points) | 95% CI | train time fp32 / bf16 |", "|---|---|---|---|---|---|---|---|---|---|"]
    for m in record["models"]:
        d = m["difference_points"]
        mean = {p: 100 * sum(v) / len(v) for p, v in m["test_acc"].items()}
        sd = {p: statistics.stdev(100 * a for a in v) if len(v) > 1 else math.nan for p, v in m["test_acc"].items()}
        ci = "n/a" if any(math.isnan(v) for v in d["ci"]) else f"[{d['ci'][0]:+.2f}, {d['ci'][1]:+.2f}]"
        rows.append(f"| {m['model']} | {m['baseline']} | {m['epochs']} | {d['n']} | {mean['fp32']:.2f} | "
                    f"{mean['bf16']:.2f} | {sd['fp32']:.2f} / {sd['bf16']:.2f} | {d['diff']:+.2f} | {ci} | "
                    f"{m['train_seconds']['fp32'] / 60:.1f} / {m['train_seconds']['bf16'] / 60:.1f} min "
                    f"({m['bf16_speedup']:.2f}x) |")
    prov = record["provenance"]
    per_seed = "; ".join(
        f"{m['model']}: " + ", ".join(f"seed {s} {100 * a:.2f} / {100 * b:.2f}"
                                      for s, a, b in zip(m["seeds"], m["test_acc"]["fp32"], m["test_acc"]["bf16"]))
        for m in record["models"])
    readings = []
    for m in record["models"]:
        d = m["difference_points"]
        if any(math.isnan(v) for v in d["ci"]):
            readings.append(f"for {m['model']} there is no interval ({d['n']} pairs)")
            continue
        resolved = d["ci"][0] > 0 or d["ci"][1] < 0
        sd_fp32 = statistics.stdev(100 * a for a in m["test_acc"]["fp32"])
        readings.append(
            f"for {m['model']} the difference is {'resolved' if resolved else 'not resolved'} and the interval "
            f"allows effects up to {max(abs(v) for v in d['ci']):.2f} points; the paired differences spread with "
            f"SD {d['sd']:.2f} points, against a seed-to-seed SD of {sd_fp32:.2f} in fp32")
    evals = [(m["model"], m.get("evaluation_difference_points")) for m in record["models"]]
    eval_text = "; ".join(
        f"{name}: {e['diff']:+.3f} points" + ("" if any(math.isnan(v) for v in e["ci"]) else
                                             f" (95% CI [{e['ci'][0]:+.3f}, {e['ci'][1]:+.3f}])")
        + f", at most {e['max_abs_points']:.2f} for one model, the same predicted class for "
          f"{100 * e['min_argmax_agreement']:.1f}% or more of the test images (n = {e['n']} models)"
        for name, e in evals if e)
    text_tail = [
        "Reading: " + "; ".join(readings) + ". A campaign uses bf16 when its design's resolution (the smallest "
        "difference it can resolve) is well above the interval's reach.",
        "",
    ]
    if eval_text:
        text_tail += ["Evaluation alone (the trained models of both arms evaluated once in fp32 and once in bf16), "
                      f"bf16 - fp32: {eval_text}.", ""]
    text = [
        "Test accuracy on the full 10,000-image CIFAR-10 test set after training each seed twice, in fp32 and in "
        "bf16 (autocast of forward and loss, fp32 master weights), from the same initialisation, data order and "
        "augmentation draws; the difference is paired by seed (`simaug.report.compare`).",
        "",
        *rows,
        "",
        f"Per seed, fp32 / bf16 (%): {per_seed}.",
        "",
        *text_tail,
        f"Wall time of the whole check: {record['runs_wall_time_s'] / 60:.0f} min (the runs' training and evaluation) "
        f"on {prov['device']['cpu_count']} CPU "
        f"cores shared with other jobs (1-minute load average {record['load_1min_range'][0]:.1f}–"
        f"{record['load_1min_range'][1]:.1f} during the runs); CPU native bf16: "
        f"{prov['device']['cpu_native_bf16']} ({', '.join(prov['device']['cpu_bf16_flags']) or 'none'}); "
        f"commit `{prov['commit'][:12]}`, torch {prov['versions']['torch']}. "
        "Source: `results/bench/precision.json`, written by `python -m simaug.bench precision`.",
    ]
    return "\n".join(text) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simaug.bench precision", description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads; 0 = torch's default")
    ap.add_argument("--work", type=Path, default=WORK, help="checkpoints (an interrupted check resumes from them)")
    ap.add_argument("--json", type=Path, default=OUT_JSON)
    ap.add_argument("--markdown", type=Path, default=OUT_MD)
    ap.add_argument("--render-only", action="store_true", help="rewrite --markdown from --json, train nothing")
    ap.add_argument("--fresh", action="store_true",
                    help="retrain every run (default: keep the runs already in --json for the same recipe)")
    args = ap.parse_args(argv)
    if args.render_only:
        if not args.json.is_file():
            ap.error(f"{args.json} does not exist: run `python -m simaug.bench precision` first")
        args.markdown.write_text(render_markdown(json.loads(args.json.read_text())))
        print(f"wrote {args.markdown}")
        return 0
    if args.epochs < 1 or len(args.seeds) < 2 or len(set(args.seeds)) != len(args.seeds):
        ap.error("--epochs must be >= 1 and --seeds at least two distinct seeds (a paired CI needs n >= 2)")
    if args.threads:
        torch.set_num_threads(args.threads)
    bf16 = bf16_support("cpu")
    load0 = load_average()
    print(f"bf16 parity: {', '.join(args.models)}, seeds {args.seeds}, {args.epochs} epochs; native bf16 on this "
          f"CPU: {bf16['native_bf16']}; load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}", flush=True)
    t0 = time.perf_counter()
    previous = {} if args.fresh else previous_runs(args.json)
    models = [parity(m, args.seeds, args.epochs, args.work, log=lambda s: print(s, flush=True), previous=previous)
              for m in args.models]
    loads_seen = [r[k] for m in models for rs in m["runs"].values() for r in rs for k in ("load_1min_before", "load_1min_after")]
    record = {
        "what": "bf16 vs fp32 parity of final test accuracy, paired by seed",
        "models": models,
        "wall_time_s": time.perf_counter() - t0,  # this invocation (short when the runs were already checkpointed)
        "runs_wall_time_s": sum(r["run_wall_s"] for m in models for rs in m["runs"].values() for r in rs),
        "load_1min_range": [min(loads_seen), max(loads_seen)],
        "provenance": provenance.collect(params={k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                                         wall_time_s=time.perf_counter() - t0, precision="fp32,bf16",
                                         load_average_before=load0, load_average_after=load_average()),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=1, default=str) + "\n")
    args.markdown.write_text(render_markdown(record))
    for m in models:
        d = m["difference_points"]
        print(f"{m['model']}: bf16 - fp32 = {d['diff']:+.2f} points, 95% CI [{d['ci'][0]:+.2f}, {d['ci'][1]:+.2f}], "
              f"n = {d['n']}; train time fp32 {m['train_seconds']['fp32']:.0f} s, bf16 {m['train_seconds']['bf16']:.0f} s")
    print(f"wrote {args.json} and {args.markdown} (this call {record['wall_time_s'] / 60:.1f} min; the runs "
          f"{record['runs_wall_time_s'] / 60:.1f} min)")
    return 0
