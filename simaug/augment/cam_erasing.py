"""CAM-guided erasing (Oh, MSc thesis 2024, Section III.2 and Eq. 3), batched.

The Grad-CAM arg-max p_m of each image is taken as the object centre. The erased
rectangle has Random Erasing's size and aspect distribution (area U[s_l, s_h] * H * W,
aspect U[r_1, 1 / r_1], W_e = sqrt(S_e / r_e), H_e = sqrt(S_e * r_e), first fitting of
``attempts`` candidates) and one corner p_n at

    p_n = p_m + d_e,    d_e = (rand(0, b_h), rand(0, b_h))        (Eq. 3)

with rand(0, b_h) an integer uniform in {0, ..., b_h} (inclusive; b_h = 2 is the thesis'
best). The thesis says only that p_n is "one of the vertices" of the patch. Here
``corner="random"`` (default) picks one of the four corners uniformly per image and the
box extends from p_n away from that corner (the top-left corner box covers rows
[p_n.y, p_n.y + H_e), the bottom-right one rows (p_n.y - H_e, p_n.y], ...);
``corner="top_left"`` etc. fix one. The anchored box may run out of the image: it is
clipped at the border (like Cutout), so the erased area can be smaller than S_e; when
p_n itself lies past the border (a peak on the last rows/columns plus d_e) and the box
points outwards, nothing is left and the image is not erased, which is what slicing
``img[y:y + h, x:x + w]`` in a per-image implementation does.

The sampler takes the batch's CAM maps ``cam`` (B, h, w) (any resolution: the arg-max
cell is mapped to the pixel at its centre) or the arg-max points directly,
``points`` (B, 2) as (row, col) pixels.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Tuple

import numpy as np
import torch

from simaug.augment.boxes import box_fraction, box_weight
from simaug.augment.erasing import Erasing
from simaug.augment.random_erasing import check_box_distribution, sample_box_size
from simaug.augment.registry import AUGMENTS
from simaug.augment.transform import rand01

CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")
_NUMPY_FLOATS = (torch.float16, torch.float32, torch.float64)


def _on_host(device) -> bool:
    """Whether (B,)-sized work on ``device`` goes through numpy (CPU tensors share memory
    with numpy arrays, so the round trip is free)."""
    return torch.device(device).type == "cpu"


@functools.lru_cache(maxsize=8)
def _positions(n: int, device: torch.device) -> torch.Tensor:
    """0, 1, ..., n - 1 as int64 (cached: the same batch size comes back every batch)."""
    return torch.arange(n, device=device)


def cam_peaks(cam: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """Arg-max pixel (B, 2) as (row, col) of CAM maps (B, h, w), in an H x W image.

    Ties go to the first maximum in row-major order, NaN counting as the largest value
    (as ``cam.flatten(1).argmax(1)``). A map at another resolution is mapped cell-centre
    to pixel: row = floor((i + 0.5) * H / h).
    """
    if cam.ndim != 3:
        raise ValueError(f"cam must be (B, h, w) maps, got shape {tuple(cam.shape)}")
    B, h, w = cam.shape
    H, W = size
    cam = cam.detach()
    if _on_host(cam.device) and cam.dtype in _NUMPY_FLOATS:
        # numpy's row-wise arg-max is vectorised: on CPU it takes ~0.4x the time of the
        # two-stage amax below, and ATen's own ``argmax`` over (B, h * w) is ~3x slower.
        flat = np.argmax(cam.reshape(B, h * w).numpy(), axis=1)  # (B,) int64, first maximum
        i, j = (torch.from_numpy(a) for a in np.divmod(flat, w))
    else:
        # Two-stage arg-max (first row holding the maximum, then the first maximum in it):
        # the same answer, ties and NaN included, with ops that are vectorised on any device.
        i = cam.amax(2).max(1).indices  # (B,) first row holding the global maximum
        j = cam[_positions(B, cam.device), i].max(1).indices  # (B,) first maximum in it
    if (h, w) != (H, W):  # cell centre -> pixel
        i = torch.floor((i.double() + 0.5) * H / h).long().clamp(0, H - 1)
        j = torch.floor((j.double() + 0.5) * W / w).long().clamp(0, W - 1)
    return torch.stack([i, j], 1)  # (B, 2)


@AUGMENTS.register("cam_erasing")
@dataclass(kw_only=True, eq=False)
class CamErasing(Erasing):
    """Erase a Random-Erasing-sized box anchored next to the Grad-CAM peak.

    Args:
        p: probability that an image is erased. 1 by default: in the thesis' schedule
            the erased copies are trained *alongside* the originals.
        scale, ratio, attempts, aspect_sampling: the box size distribution, as in
            ``RandomErasing`` (an image whose candidates all fail is left unerased).
        b_h: largest offset in pixels between p_m and the corner p_n (Eq. 3).
        corner: which corner of the box sits at p_n: ``"random"`` or one of
            ``"top_left"``, ``"top_right"``, ``"bottom_left"``, ``"bottom_right"``.
        fill, value: as in ``RandomErasing`` (the thesis fills with 0).

    Shape: x (B, C, H, W), cam (B, h, w) -> (B, C, H, W). Params: ``apply``, the peak
    ``py, px``, offset ``dy, dx``, ``corner`` index into ``CORNERS``, box size
    ``h, w`` and the clipped box ``y0, y1, x0, x1``, all (B,).

    Example:
        >>> cam = torch.zeros(1, 32, 32); cam[0, 5, 7] = 1.0
        >>> params = CamErasing(b_h=0, corner="top_left").sample((1, 3, 32, 32), cam=cam)
        >>> (int(params["y0"]), int(params["x0"]))
        (5, 7)
    """

    name = "cam_erasing"
    inputs = ("cam",)
    optional_inputs = ("points",)
    p: float = 1.0
    scale: Tuple[float, float] = (0.02, 0.4)
    ratio: Tuple[float, float] = (0.3, 1 / 0.3)
    attempts: int = 100
    aspect_sampling: str = "uniform"
    b_h: int = 2
    corner: str = "random"

    def __post_init__(self):
        super().__post_init__()
        check_box_distribution(self.scale, self.ratio, self.attempts, self.aspect_sampling)
        if int(self.b_h) != self.b_h or self.b_h < 0:
            raise ValueError(f"b_h must be a non-negative whole number of pixels, got {self.b_h}")
        if self.corner not in CORNERS + ("random",):
            raise ValueError(f"corner must be 'random' or one of {CORNERS}, got {self.corner!r}")

    def _sample(self, shape, generator, device, cam=None, points=None):
        B, _, H, W = shape
        if (cam is None) == (points is None):
            raise ValueError(
                "cam_erasing needs the batch's CAM maps: call it with cam=<(B, h, w) tensor> "
                "(e.g. from simaug.cam.GradCAM) or points=<(B, 2) arg-max pixels>"
            )
        peaks = cam_peaks(cam.detach(), (H, W)) if cam is not None else torch.as_tensor(points)
        if peaks.shape != (B, 2):
            raise ValueError(f"expected CAM/points for {B} images, got {tuple(peaks.shape)[:1]}")
        peaks = peaks.to(device=device, dtype=torch.long)
        hw, fits = sample_box_size(B, H, W, self.scale, self.ratio, int(self.attempts),
                                   self.aspect_sampling, generator, device)  # (2, B): h, w
        u = rand01((B,), generator, device)
        apply = (u < self.p) & fits
        # d_e = (rand(0, b_h), rand(0, b_h)), inclusive; the corner as two fair bits.
        where = generator.device if generator is not None else device
        d = torch.randint(0, int(self.b_h) + 1, (2, B), generator=generator, device=where).to(device)
        if self.corner == "random":
            flip = torch.randint(0, 2, (2, B), generator=generator, device=where).to(device)
        else:
            c = CORNERS.index(self.corner)
            flip = torch.tensor([[c // 2], [c % 2]], device=device).expand(2, B)
        # The box arithmetic on (B,) integers: in numpy on CPU, where an op costs ~1 us
        # against ~3-5 us for a torch call (the same integers either way).
        cpu = _on_host(device)
        pk, d, flip, hw = (t.numpy() if cpu else t for t in (peaks.T, d, flip, hw))
        corner = flip[0] * 2 + flip[1]  # (B,) index into CORNERS: 2 * bottom + right
        # The box contains p_n = p_m + d_e and extends down / right from it, or up / left
        # for the bottom / right corners: rows [y0, y0 + h) with y0 = p_n.y - (h - 1) * bottom.
        yx0 = pk + d - flip * (hw - 1)  # (2, B)
        yx1 = yx0 + hw
        if H == W:
            yx0, yx1 = yx0.clip(0, H), yx1.clip(0, H)
        else:
            lim = np.array([[H], [W]]) if cpu else torch.tensor([[H], [W]], device=device)
            minimum = np.minimum if cpu else torch.minimum
            yx0, yx1 = minimum(yx0.clip(0, None), lim), minimum(yx1.clip(0, None), lim)
        t = torch.from_numpy if cpu else (lambda a: a)
        return {
            "apply": apply, "py": t(pk[0]), "px": t(pk[1]), "dy": t(d[0]), "dx": t(d[1]),
            "corner": t(corner), "h": t(hw[0]), "w": t(hw[1]),
            "y0": t(yx0[0]), "y1": t(yx1[0]), "x0": t(yx0[1]), "x1": t(yx1[1]),
        }

    def weight(self, params, size, dtype=torch.float32):
        return box_weight(params, size, dtype)

    def erased_fraction(self, params, size):
        return box_fraction(params, size)
