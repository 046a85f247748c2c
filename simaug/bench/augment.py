"""Benchmark: batched erasing kernels and batched Grad-CAM against per-image loops.

Run as ``python -m simaug.bench augment [--repeats 5] [--threads N] [--json out.json]``.

* Erasing: every simaug kernel (sample + apply, one call on a float batch 512x3x32x32)
  against torchvision's ``transforms.v2.RandomErasing`` applied image by image in a
  Python loop, the correct way to get one rectangle per image with torchvision (called
  on a batch it erases the same rectangle in every image).
* Grad-CAM: ``GradCAM(resnet20, "layer3")`` on a batch of 256 against a plain loop doing
  the same computation one image at a time (forward hook, ``autograd.grad``, weights,
  ReLU, upsampling, min-max, as pytorch-grad-cam does per call); the two results are
  checked to agree. simaug's ``GradCAM`` called one image at a time is shown as well: it
  separates the gain of batching from that of not recording the layers before F. Model
  and inputs are channels_last, as ``TrainConfig(channels_last=True)`` trains them.

Grad-CAM is compute-bound: a ResNet-20 forward pass is ~41 MFLOP per image and runs in
oneDNN convolutions either way, so batching removes only the per-call overhead of the
loop (on a loaded 2-core CPU about 3-4x), unlike erasing, where the loop is all overhead.

Each timing is the median of ``--repeats`` runs after one warm-up run. Targets on a
2-core CPU: erasing >= 30x, Grad-CAM >= 5x.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from simaug.augment import create_augment
from simaug.cam import GradCAM, normalize_cam

ERASING_TARGET, CAM_TARGET = 30.0, 5.0  # required speed-ups over the per-image loops


def timings(fn: Callable[[], object], repeats: int, min_total: float = 0.5) -> Tuple[float, float]:
    """(median, best) wall time of ``fn`` over at least ``repeats`` runs and at least
    ``min_total`` seconds, after one warm-up run. Fast kernels get many runs. On a shared
    CPU a ~1 ms call is often preempted for a whole time slice (~8 ms), so the median of a
    short kernel is noisy; the best time is the reproducible one and is shown too."""
    fn()  # warm-up: allocator, kernels, lazy imports
    times: List[float] = []
    while len(times) < repeats or sum(times) < min_total:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def row(task: str, method: str, batch: int, t: Tuple[float, float], base: Tuple[float, float],
        target: Optional[float]) -> Dict:
    return dict(task=task, method=method, seconds=t[0], best_seconds=t[1], images_per_s=batch / t[0],
                speedup=base[0] / t[0], best_speedup=base[1] / t[1], target=target)


def resnet20() -> nn.Module:
    """The lead's CIFAR ResNet-20 when available, else a local copy (He et al. 2016, 0.27M)."""
    try:
        from simaug.models import create_model

        return create_model("resnet20")
    except ImportError:
        return _LocalResNet20()


class _Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.pad = cout - cin  # option-A shortcut: subsample and zero-pad channels

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        short = x if self.pad == 0 else F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad // 2, self.pad // 2))
        return F.relu(out + short)


class _LocalResNet20(nn.Module):
    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        stage = lambda cin, cout, s: nn.Sequential(_Block(cin, cout, s), _Block(cout, cout, 1), _Block(cout, cout, 1))  # noqa: E731
        self.layer1, self.layer2, self.layer3 = stage(16, 16, 1), stage(16, 32, 2), stage(32, 64, 2)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(F.relu(self.bn1(self.conv1(x))))))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def gradcam_loop(model: nn.Module, layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The per-image baseline: the same Grad-CAM, one image per forward/backward."""
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
        m = F.relu((g.mean((2, 3), keepdim=True) * store["a"]).sum(1, keepdim=True)).detach()
        m = F.interpolate(m, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
        maps.append(normalize_cam(m)[0])
    return torch.stack(maps)


def bench_erasing(batch: int, repeats: int, device: torch.device) -> List[Dict]:
    from torchvision.transforms import v2

    x = torch.rand(batch, 3, 32, 32, device=device)
    cam = torch.rand(batch, 32, 32, device=device)
    tv = v2.RandomErasing(p=0.5, scale=(0.02, 0.4), ratio=(0.3, 1 / 0.3), value=0)
    base = timings(lambda: torch.stack([tv(img) for img in x]), repeats)
    rows = [row("erasing", "torchvision v2 RandomErasing, per-image loop", batch, base, base, None)]
    for name in ("random_erasing", "cutout", "hide_and_seek", "cam_erasing"):
        aug = create_augment(name)
        inputs = {"cam": cam} if name == "cam_erasing" else {}
        g = torch.Generator(device=device).manual_seed(0)
        t = timings(lambda: aug(x, generator=g, **inputs), repeats)
        rows.append(row("erasing", f"simaug {name}, batched", batch, t, base, ERASING_TARGET))
    return rows


def bench_gradcam(batch: int, repeats: int, device: torch.device, channels_last: bool = True) -> List[Dict]:
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = resnet20().to(device, memory_format=fmt).eval()
    x = torch.randn(batch, 3, 32, 32, device=device).contiguous(memory_format=fmt)
    with GradCAM(model, "layer3") as cam:
        batched = cam(x)
        t_batch = timings(lambda: cam(x), repeats)
    looped = gradcam_loop(model, model.layer3, x)
    max_diff = (batched - looped).abs().max().item()
    if max_diff > 1e-3:
        raise AssertionError(f"batched and per-image Grad-CAM differ by {max_diff:.2e}")
    t_loop = timings(lambda: gradcam_loop(model, model.layer3, x), max(1, repeats // 2), 0.0)
    with GradCAM(model, "layer3") as cam:  # the same code, one image per call
        t_ours1 = timings(lambda: [cam(x[i : i + 1]) for i in range(batch)], max(1, repeats // 2), 0.0)
    rows = [
        row("grad-cam", "per-image loop (hook + autograd.grad)", batch, t_loop, t_loop, None),
        row("grad-cam", "simaug GradCAM, one image per call", batch, t_ours1, t_loop, None),
        row("grad-cam", f"simaug GradCAM, batch {batch}", batch, t_batch, t_loop, CAM_TARGET),
    ]
    rows[-1]["max_abs_diff"] = max_diff
    return rows


def format_table(rows: List[Dict]) -> str:
    head = f"{'task':<9} {'method':<46} {'images/s':>9} {'speed-up':>9} {'best':>7}  target"
    lines = [head, "-" * len(head)]
    for r in rows:
        target = "" if r["target"] is None else f">={r['target']:.0f}x " + ("ok" if r["speedup"] >= r["target"] else "MISS")
        lines.append(f"{r['task']:<9} {r['method']:<46} {r['images_per_s']:>9.0f} {r['speedup']:>8.1f}x "
                     f"{r['best_speedup']:>6.1f}x  {target}")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> Dict:
    ap = argparse.ArgumentParser(prog="python -m simaug.bench augment", description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=512, help="erasing batch size (images)")
    ap.add_argument("--cam-batch", type=int, default=256, help="Grad-CAM batch size (images)")
    ap.add_argument("--repeats", type=int, default=5, help="timed runs per method (median)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch CPU threads; 0 = torch's default. One by default: on a shared "
                         "CPU a thread pool that spins against other processes ruins every timing")
    ap.add_argument("--contiguous", action="store_true",
                    help="Grad-CAM in contiguous NCHW instead of channels_last (TrainConfig's default)")
    ap.add_argument("--tasks", default="erasing,gradcam", help="comma-separated subset of erasing,gradcam")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    device = torch.device(args.device)
    torch.manual_seed(0)
    tasks = set(args.tasks.split(","))
    if not tasks <= {"erasing", "gradcam"}:
        raise SystemExit(f"unknown --tasks {sorted(tasks - {'erasing', 'gradcam'})}; use erasing,gradcam")
    rows = (bench_erasing(args.batch, args.repeats, device) if "erasing" in tasks else []) + (
        bench_gradcam(args.cam_batch, args.repeats, device, not args.contiguous) if "gradcam" in tasks else [])
    result = {
        "rows": rows,
        "provenance": {"torch": torch.__version__, "threads": torch.get_num_threads(), "device": str(device),
                       "cpu": platform.processor() or platform.machine(), "repeats": args.repeats,
                       "batch": args.batch, "cam_batch": args.cam_batch,
                       "cpu_count": os.cpu_count(), "load_average_1min": load,
                       "gradcam_memory_format": "contiguous" if args.contiguous else "channels_last"},
    }
    print(format_table(rows))
    print(f"(speed-up: ratio of medians over >= {args.repeats} runs after a warm-up; best: ratio of "
          f"best runs; torch {torch.__version__}, {torch.get_num_threads()} threads, {device}, "
          f"{os.cpu_count()} CPUs, load average {load:.1f})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
