"""Benchmark: batched erasing kernels and batched Grad-CAM against per-image loops.

Run as ``python -m simaug.bench augment [--repeats 5] [--threads N] [--json out.json]``.

* Erasing: every simaug kernel (sample + apply, one call on a float batch 512x3x32x32)
  against torchvision's ``transforms.v2.RandomErasing`` applied image by image in a
  Python loop, the correct way to get one rectangle per image with torchvision (called
  on a batch it erases the same rectangle in every image).
* Grad-CAM: ``GradCAM(resnet20, "layer3")`` on a batch of 256 against a plain loop doing
  the same computation one image at a time (forward hook, ``autograd.grad``, weights,
  ReLU, upsampling, min-max); the two results are checked to agree.

Each timing is the median of ``--repeats`` runs after one warm-up run. Targets on a
2-core CPU: erasing >= 30x, Grad-CAM >= 5x.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from typing import Callable, Dict, List, Optional

import torch
import torch.nn.functional as F
from torch import nn

from simaug.augment import create_augment
from simaug.cam import GradCAM, normalize_cam

ERASING_TARGET, CAM_TARGET = 30.0, 5.0  # required speed-ups over the per-image loops


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: allocator, kernels, lazy imports
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


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
    base = median_seconds(lambda: torch.stack([tv(img) for img in x]), repeats)
    rows = [dict(task="erasing", method="torchvision v2 RandomErasing, per-image loop", seconds=base,
                 images_per_s=batch / base, speedup=1.0, target=None)]
    for name in ("random_erasing", "cutout", "hide_and_seek", "cam_erasing"):
        aug = create_augment(name)
        inputs = {"cam": cam} if name == "cam_erasing" else {}
        g = torch.Generator(device=device).manual_seed(0)
        t = median_seconds(lambda: aug(x, generator=g, **inputs), repeats)
        rows.append(dict(task="erasing", method=f"simaug {name}, batched", seconds=t,
                         images_per_s=batch / t, speedup=base / t, target=ERASING_TARGET))
    return rows


def bench_gradcam(batch: int, repeats: int, device: torch.device) -> List[Dict]:
    model = resnet20().to(device).eval()
    x = torch.randn(batch, 3, 32, 32, device=device)
    with GradCAM(model, "layer3") as cam:
        batched = cam(x)
        t_batch = median_seconds(lambda: cam(x), repeats)
    looped = gradcam_loop(model, model.layer3, x)
    max_diff = (batched - looped).abs().max().item()
    if max_diff > 1e-3:
        raise AssertionError(f"batched and per-image Grad-CAM differ by {max_diff:.2e}")
    t_loop = median_seconds(lambda: gradcam_loop(model, model.layer3, x), max(1, repeats // 2))
    return [
        dict(task="grad-cam", method="per-image loop (hook + autograd.grad)", seconds=t_loop,
             images_per_s=batch / t_loop, speedup=1.0, target=None),
        dict(task="grad-cam", method=f"simaug GradCAM, batch {batch}", seconds=t_batch,
             images_per_s=batch / t_batch, speedup=t_loop / t_batch, target=CAM_TARGET,
             max_abs_diff=max_diff),
    ]


def format_table(rows: List[Dict]) -> str:
    head = f"{'task':<9} {'method':<48} {'images/s':>10} {'speed-up':>9} {'target':>7}"
    lines = [head, "-" * len(head)]
    for r in rows:
        target = "" if r["target"] is None else f">={r['target']:.0f}x " + ("ok" if r["speedup"] >= r["target"] else "MISS")
        lines.append(f"{r['task']:<9} {r['method']:<48} {r['images_per_s']:>10.0f} {r['speedup']:>8.1f}x {target:>7}")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> Dict:
    ap = argparse.ArgumentParser(prog="python -m simaug.bench augment", description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=512, help="erasing batch size (images)")
    ap.add_argument("--cam-batch", type=int, default=256, help="Grad-CAM batch size (images)")
    ap.add_argument("--repeats", type=int, default=5, help="timed runs per method (median)")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    rows = bench_erasing(args.batch, args.repeats, device) + bench_gradcam(args.cam_batch, args.repeats, device)
    result = {
        "rows": rows,
        "provenance": {"torch": torch.__version__, "threads": torch.get_num_threads(), "device": str(device),
                       "cpu": platform.processor() or platform.machine(), "repeats": args.repeats,
                       "batch": args.batch, "cam_batch": args.cam_batch},
    }
    print(format_table(rows))
    print(f"(median of {args.repeats} runs after a warm-up; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {device})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
