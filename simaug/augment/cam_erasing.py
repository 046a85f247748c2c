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
from simaug.augment.transform import on_host, rand01

CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")
_NUMPY_FLOATS = (torch.float16, torch.float32, torch.float64)


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
    rc = _peak_pixels(cam, size, on_host(cam.device))
    return (torch.from_numpy(rc) if isinstance(rc, np.ndarray) else rc).T  # (B, 2)


def _peak_pixels(cam: torch.Tensor, size: Tuple[int, int], host: bool):
    """Rows and columns (2, B) int64 of the CAM peaks: a numpy array when ``host``, else a
    tensor on the CAM's device."""
    if cam.ndim != 3:
        raise ValueError(f"cam must be (B, h, w) maps, got shape {tuple(cam.shape)}")
    B, h, w = cam.shape
    H, W = size
    cam = cam.detach()
    if host and cam.dtype in _NUMPY_FLOATS:
        # numpy's row-wise arg-max is vectorised: ~0.4x the time of the two-stage amax
        # below on CPU, and ATen's own ``argmax`` over (B, h * w) is ~3x slower still.
        flat = np.argmax(cam.cpu().reshape(B, h * w).numpy(), axis=1)  # (B,) first maximum
        rc = np.empty((2, B), dtype=np.int64)
        np.divmod(flat, w, out=(rc[0], rc[1]))
    else:
        # Two-stage arg-max (first row holding the maximum, then the first maximum in it):
        # the same answer, ties and NaN included, with ops that are vectorised on any device.
        i = cam.amax(2).max(1).indices  # (B,) first row holding the global maximum
        j = cam[_positions(B, cam.device), i].max(1).indices  # (B,) first maximum in it
        rc = torch.stack([i, j])
        if host:
            rc = rc.cpu().numpy()
    if (h, w) != (H, W):  # cell centre -> pixel: floor((i + 0.5) * H / h), in float64
        if host:
            px, cells = np.array([[H], [W]], dtype=np.float64), np.array([[h], [w]], dtype=np.float64)
            rc = np.floor((rc + 0.5) * px / cells).astype(np.int64).clip(0, np.array([[H - 1], [W - 1]]))
        else:
            px = torch.tensor([[H], [W]], dtype=torch.float64, device=rc.device)
            cells = torch.tensor([[h], [w]], dtype=torch.float64, device=rc.device)
            rc = torch.minimum(torch.floor((rc.double() + 0.5) * px / cells).long().clamp(min=0), (px - 1).long())
    return rc


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
        # The (B,)-sized arithmetic runs in numpy on CPU (see ``transform.on_host``): the same
        # integers as the torch ops used on other devices, at ~1 us per op instead of ~3-5.
        host = on_host(device)
        if cam is not None:
            pk = _peak_pixels(cam, (H, W), host)  # (2, B): rows, columns
        else:
            pts = torch.as_tensor(points)
            pk = pts.T if pts.ndim == 2 else pts
        if tuple(pk.shape) != (2, B):
            given = f"cam of shape {tuple(cam.shape)}" if cam is not None else f"points of shape {tuple(pts.shape)}"
            raise ValueError(f"expected (B, h, w) CAMs or (B, 2) points for the batch's {B} images, got {given}")
        if host:
            pk = pk.cpu().numpy().astype(np.int64, copy=False) if isinstance(pk, torch.Tensor) else pk
        else:
            pk = pk.to(device=device, dtype=torch.long)
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
        if host:
            d, flip, hw = d.numpy(), flip.numpy(), hw.numpy()
        corner = flip[0] * 2 + flip[1]  # (B,) index into CORNERS: 2 * bottom + right
        # The box contains p_n = p_m + d_e and extends down / right from it, or up / left
        # for the bottom / right corners: rows [y0, y0 + h) with y0 = p_n.y - (h - 1) * bottom.
        box = pk + d - flip * (hw - 1)  # (2, B): y0, x0
        box = (np if host else torch).stack((box, box + hw))  # (2, 2, B): (y0, x0), (y1, x1)
        if host:
            lim = H if H == W else np.array([[H], [W]])
            box = np.minimum(np.maximum(box, 0, out=box), lim, out=box)
        else:
            lim = H if H == W else torch.tensor([[H], [W]], device=device)
            box = torch.minimum(box.clamp_(min=0), torch.as_tensor(lim, device=device))
        t = torch.from_numpy if host else (lambda a: a)
        return {
            "apply": apply, "py": t(pk[0]), "px": t(pk[1]), "dy": t(d[0]), "dx": t(d[1]),
            "corner": t(corner), "h": t(hw[0]), "w": t(hw[1]),
            "y0": t(box[0, 0]), "y1": t(box[1, 0]), "x0": t(box[0, 1]), "x1": t(box[1, 1]),
        }

    def weight(self, params, size, dtype=torch.float32):
        return box_weight(params, size, dtype)

    def erased_fraction(self, params, size):
        return box_fraction(params, size)
