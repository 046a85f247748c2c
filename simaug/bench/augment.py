"""Benchmark: batched erasing kernels and batched Grad-CAM against per-image loops.

Run as ``python -m simaug.bench augment [--rounds 5] [--threads N] [--json out.json]``.

* Erasing: every simaug kernel (sample + apply, one call on a float batch 512x3x32x32)
  against torchvision's ``transforms.v2.RandomErasing`` applied image by image in a
  Python loop, the correct way to get one rectangle per image with torchvision (called
  on a batch it erases the same rectangle in every image).
  CAM erasing does more than any of them: an arg-max over every image's 1,024 CAM cells
  before its box. Its own per-image equivalent (the arg-max, the official box-size loop,
  ``v2.functional.erase`` at the anchored corner) is timed as well and shown beside the
  target's ratio (``speedup_vs_cam_loop``), for transparency; the target stays the
  torchvision loop's.
* Grad-CAM: ``GradCAM(resnet20, "layer3")`` on a batch of 256 against two per-image loops
  computing the same maps (checked to agree):
  - the plain loop, the way pytorch-grad-cam computes a map: a forward hook keeps F and a
    tensor hook its gradient, then ``model.zero_grad()`` and ``score.backward()``, which
    back-propagates through the whole network. This is the reference of the target.
  - a lean loop that asks autograd for dS/dF only (``autograd.grad``), the most a
    per-image loop can save; shown for transparency.
  Model and inputs are channels_last, as ``TrainConfig(channels_last=True)`` trains them.

Grad-CAM is compute-bound: a ResNet-20 forward pass is ~41 MFLOP per image, and batched
GradCAM (no recording before F, BatchNorm folded, in-place ReLU) runs at about the speed
of one plain eval forward pass, ~75% of it in oneDNN convolutions. Erasing, by contrast,
is all per-call overhead when done per image.

The methods are timed in alternating rounds (each round times every method, each method
for at least ``--min-time`` seconds and 3 calls, after a warm-up), so that all of them
see the same machine state; a ratio is computed per round, and the median ratio over the
rounds is reported with its range. Targets on a 2-core CPU: erasing >= 30x, Grad-CAM >= 5x.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import statistics
import time
from typing import Callable, Dict, List, Optional

import torch
import torch.nn.functional as F
from torch import nn

from simaug import provenance
from simaug.augment import create_augment
from simaug.cam import GradCAM, normalize_cam
from simaug.models import create_model
from simaug.train.allocator import retain_freed_memory

ERASING_TARGET, CAM_TARGET = 30.0, 5.0  # required speed-ups over the per-image loops


def round_times(fns: Dict[str, Callable[[], object]], rounds: int, min_time: float) -> Dict[str, List[float]]:
    """Per-round median wall time of each function, the functions alternating within
    every round; each runs once untimed first (allocator, kernels, lazy imports)."""
    for fn in fns.values():
        fn()
    out: Dict[str, List[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            times: List[float] = []
            while len(times) < 3 or sum(times) < min_time:
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            out[name].append(statistics.median(times))
    return out


def rows_against(task: str, times: Dict[str, List[float]], reference: str, batch: int,
                 targets: Dict[str, float]) -> List[Dict]:
    """One row per method: images/s (median over rounds) and the per-round speed-up over
    ``reference`` (median, min, max)."""
    rows = []
    for name, ts in times.items():
        ratios = [r / t for r, t in zip(times[reference], ts)]
        rows.append(dict(task=task, method=name, seconds=statistics.median(ts),
                         images_per_s=batch / statistics.median(ts), speedup=statistics.median(ratios),
                         speedup_min=min(ratios), speedup_max=max(ratios), round_seconds=ts,
                         target=targets.get(name)))
    return rows


def _cam_from(act: torch.Tensor, grad: torch.Tensor, size) -> torch.Tensor:
    m = F.relu((grad.mean((2, 3), keepdim=True) * act).sum(1, keepdim=True)).detach()
    m = F.interpolate(m, size=size, mode="bilinear", align_corners=False)[:, 0]
    return normalize_cam(m)[0]


def gradcam_loop_plain(model: nn.Module, layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The reference: Grad-CAM one image at a time as pytorch-grad-cam computes it (forward
    hook on F, tensor hook for dS/dF, ``zero_grad`` and ``backward()``)."""
    model.eval()
    maps = []
    for i in range(x.shape[0]):
        store = {}

        def keep(module, inputs, out):
            store["a"] = out
            out.register_hook(lambda g: store.__setitem__("g", g))

        handle = layer.register_forward_hook(keep)
        try:
            logits = model(x[i : i + 1])
        finally:
            handle.remove()
        model.zero_grad()
        logits[0, logits[0].argmax()].backward()
        maps.append(_cam_from(store["a"], store["g"], x.shape[-2:]))
    return torch.stack(maps)


def gradcam_loop_lean(model: nn.Module, layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Grad-CAM one image at a time, asking autograd for dS/dF only."""
    model.eval()
    maps = []
    for i in range(x.shape[0]):
        store = {}
        handle = layer.register_forward_hook(lambda m, inp, out: store.__setitem__("a", out))
        try:
            logits = model(x[i : i + 1])
        finally:
            handle.remove()
        (g,) = torch.autograd.grad(logits[0, logits[0].argmax()], store["a"])
        maps.append(_cam_from(store["a"], g, x.shape[-2:]))
    return torch.stack(maps)


TV_LOOP = "torchvision v2 RandomErasing, per-image loop"
CAM_LOOP = "CAM erasing, per-image loop (arg-max, v2 erase)"
PLAIN_LOOP = "per-image loop, hooks + backward() (pytorch-grad-cam)"
LEAN_LOOP = "per-image loop, hook + autograd.grad to F only"


def cam_erasing_loop(x: torch.Tensor, cam: torch.Tensor, rng: random.Random, b_h: int = 2,
                     scale=(0.02, 0.4), ratio=(0.3, 1 / 0.3), attempts: int = 100) -> torch.Tensor:
    """CAM erasing one image at a time, as a per-image implementation of the thesis would
    write it: the CAM's first arg-max, Random Erasing's official box-size loop, a random
    corner at p_m + d_e, the box clipped at the border and erased with
    ``v2.functional.erase``."""
    from torchvision.transforms.v2 import functional as TF

    H, W = x.shape[-2:]
    zero = torch.zeros((), dtype=x.dtype)
    out = []
    for img, m in zip(x, cam):
        flat = int(m.flatten().argmax())
        py, px = flat // m.shape[1], flat % m.shape[1]
        for _ in range(attempts):
            area = rng.uniform(*scale) * H * W
            aspect = rng.uniform(*ratio)
            h, w = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
            if h < H and w < W:
                bottom, right = rng.randint(0, 1), rng.randint(0, 1)
                y = py + rng.randint(0, b_h) - bottom * (h - 1)
                x0 = px + rng.randint(0, b_h) - right * (w - 1)
                y0, x0c = max(y, 0), max(x0, 0)
                img = TF.erase(img, y0, x0c, max(min(y + h, H) - y0, 0), max(min(x0 + w, W) - x0c, 0), zero)
                break
        out.append(img)
    return torch.stack(out)


def bench_erasing(batch: int, rounds: int, min_time: float, device: torch.device) -> List[Dict]:
    from torchvision.transforms import v2

    x = torch.rand(batch, 3, 32, 32, device=device)
    cam = torch.rand(batch, 32, 32, device=device)
    tv = v2.RandomErasing(p=0.5, scale=(0.02, 0.4), ratio=(0.3, 1 / 0.3), value=0)
    fns = {TV_LOOP: lambda: torch.stack([tv(img) for img in x])}
    for name in ("random_erasing", "cutout", "hide_and_seek", "cam_erasing"):
        aug = create_augment(name)
        inputs = {"cam": cam} if name == "cam_erasing" else {}
        g = torch.Generator(device=device).manual_seed(0)
        fns[f"simaug {name}, batched"] = (lambda aug=aug, g=g, inputs=inputs: aug(x, generator=g, **inputs))
    rng = random.Random(0)
    fns[CAM_LOOP] = lambda: cam_erasing_loop(x, cam, rng)
    times = round_times(fns, rounds, min_time)
    rows = rows_against("erasing", times, TV_LOOP, batch, {k: ERASING_TARGET for k in fns if k not in (TV_LOOP, CAM_LOOP)})
    kernel = "simaug cam_erasing, batched"
    next(r for r in rows if r["method"] == kernel)["speedup_vs_cam_loop"] = statistics.median(
        [r / t for r, t in zip(times[CAM_LOOP], times[kernel])])
    return rows


def bench_gradcam(batch: int, rounds: int, device: torch.device, channels_last: bool = True) -> List[Dict]:
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = create_model("resnet20").to(device, memory_format=fmt).eval()
    x = torch.randn(batch, 3, 32, 32, device=device).contiguous(memory_format=fmt)
    name = f"simaug GradCAM, batch {batch}"
    with GradCAM(model, "layer3") as cam:
        batched = cam(x)
        max_diff = max((batched - loop(model, model.layer3, x)).abs().max().item()
                       for loop in (gradcam_loop_plain, gradcam_loop_lean))
        if max_diff > 1e-3:
            raise AssertionError(f"batched and per-image Grad-CAM differ by {max_diff:.2e}")
        times = round_times({
            PLAIN_LOOP: lambda: gradcam_loop_plain(model, model.layer3, x),
            LEAN_LOOP: lambda: gradcam_loop_lean(model, model.layer3, x),
            name: lambda: cam(x),
        }, rounds, 0.0)
        folded = len(cam.folded_pairs)
    rows = rows_against("grad-cam", times, PLAIN_LOOP, batch, {name: CAM_TARGET})
    rows[-1]["max_abs_diff"] = max_diff
    rows[-1]["speedup_vs_lean_loop"] = statistics.median(
        [r / t for r, t in zip(times[LEAN_LOOP], times[name])])
    rows[-1]["folded_batchnorm_pairs"] = folded
    return rows


def format_table(rows: List[Dict]) -> str:
    head = (f"{'task':<9} {'method':<54} {'images/s':>9} {'speed-up':>9} {'range':>13}  target")
    lines = [head, "-" * len(head)]
    for r in rows:
        target = "" if r["target"] is None else f">={r['target']:.0f}x " + ("ok" if r["speedup"] >= r["target"] else "MISS")
        span = f"{r['speedup_min']:.1f}-{r['speedup_max']:.1f}x"
        lines.append(f"{r['task']:<9} {r['method']:<54} {r['images_per_s']:>9.0f} {r['speedup']:>8.1f}x "
                     f"{span:>13}  {target}")
    return "\n".join(lines)


def run(argv: Optional[List[str]] = None) -> Dict:
    """Parse the command line, run the benchmarks, print the table; returns the results."""
    ap = argparse.ArgumentParser(prog="python -m simaug.bench augment", description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=512, help="erasing batch size (images)")
    ap.add_argument("--cam-batch", type=int, default=256, help="Grad-CAM batch size (images)")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds (the median ratio is reported)")
    ap.add_argument("--min-time", type=float, default=0.1,
                    help="seconds each erasing method runs per round (median of its calls)")
    ap.add_argument("--threads", type=int, default=0,
                    help="torch CPU threads; 0 = torch's default (all cores). On a CPU shared with "
                         "other busy processes, --threads 1 gives steadier numbers")
    ap.add_argument("--contiguous", action="store_true",
                    help="Grad-CAM in contiguous NCHW instead of channels_last (TrainConfig's default)")
    ap.add_argument("--tasks", default="erasing,gradcam", help="comma-separated subset of erasing,gradcam")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args(argv)
    if args.rounds < 1 or args.batch < 1 or args.cam_batch < 1:
        ap.error("--rounds, --batch and --cam-batch must be positive")
    tasks = set(args.tasks.split(","))
    if not tasks <= {"erasing", "gradcam"}:
        ap.error(f"unknown --tasks {sorted(tasks - {'erasing', 'gradcam'})}; use erasing,gradcam")
    if args.threads:
        torch.set_num_threads(args.threads)
    # as simaug's Trainer and runner run the kernels (both sides measured under it); a 6 MB
    # batch output with the C library's defaults is a fresh mmap per call, page-faulted in
    malloc = "retain" if retain_freed_memory() else "system"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    device = torch.device(args.device)
    torch.manual_seed(0)
    t0 = time.perf_counter()
    rows = (bench_erasing(args.batch, args.rounds, args.min_time, device) if "erasing" in tasks else []) + (
        bench_gradcam(args.cam_batch, args.rounds, device, not args.contiguous) if "gradcam" in tasks else [])
    result = {
        "rows": rows,
        "provenance": provenance.collect(
            params={k: v for k, v in vars(args).items() if k != "json"},
            wall_time_s=time.perf_counter() - t0, threads=torch.get_num_threads(),
            cpu=platform.processor() or platform.machine(), cpu_count=os.cpu_count(),
            load_average_1min_before=load, malloc=malloc,
            gradcam_memory_format="contiguous" if args.contiguous else "channels_last"),
    }
    print(format_table(rows))
    for r in rows:
        if "speedup_vs_cam_loop" in r:
            print(f"{r['method']}: {r['speedup_vs_cam_loop']:.1f}x its own per-image loop (CAM arg-max, "
                  "official box loop, v2 erase); the target is against the torchvision loop")
    cam_rows = [r for r in rows if "speedup_vs_lean_loop" in r]
    for r in cam_rows:
        print(f"{r['method']}: {r['speedup_vs_lean_loop']:.1f}x the lean loop; "
              f"{r['folded_batchnorm_pairs']} BatchNorm layers folded; max |difference| of the maps "
              f"{r['max_abs_diff']:.1e}")
    print(f"(speed-up: median over {args.rounds} alternating rounds of the per-round ratio, with its "
          f"range; torch {torch.__version__}, {torch.get_num_threads()} threads, {device}, "
          f"{os.cpu_count()} CPUs, load average before {load:.1f}; malloc: {malloc}, "
          f"SIMAUG_MALLOC=system for the C library's defaults)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


def main(argv: Optional[List[str]] = None) -> int:
    run(argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
