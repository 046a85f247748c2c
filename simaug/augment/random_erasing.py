"""Random Erasing (Zhong et al., "Random Erasing Data Augmentation", AAAI 2020), batched.

With probability ``p`` an image gets one rectangle R_e = (x_e, y_e, x_e + W_e, y_e + H_e)
erased, with area S_e ~ U[s_l, s_h] * H * W (``scale``), aspect r_e ~ U[r_1, 1 / r_1]
(``ratio``; torchvision v2's names) and (Eq. 2)

    W_e = sqrt(S_e / r_e),    H_e = sqrt(S_e * r_e)

rounded to whole pixels. As in the official code (zhunzhong07/Random-Erasing,
``transforms.py``) the aspect is drawn *uniformly* in [r_1, 1 / r_1] (timm draws it
log-uniformly: ``aspect_sampling="log"``), a candidate is kept only if H_e < H and W_e < W
(strict), the corner is uniform over all positions where the box fits, and up to 100
candidates are tried; an image with no fitting candidate is left unerased. Here the
candidates are drawn for the whole batch at once, a block of 4 per image at a time (a
further block only for the rare images whose 4 all failed, up to 100 in total), and the
first that fits is taken: exactly the distribution of the official sequential loop. Unlike torchvision v2's
``RandomErasing`` on a batch (one rectangle shared by all images), every image gets its own.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np
import torch

from simaug.augment.boxes import box_fraction, box_weight
from simaug.augment.erasing import Erasing
from simaug.augment.registry import AUGMENTS
from simaug.augment.transform import on_host, rand01


def check_box_distribution(scale: Tuple[float, float], ratio: Tuple[float, float], attempts: int,
                           aspect_sampling: str) -> None:
    lo, hi = scale
    if not 0.0 < lo <= hi <= 1.0:
        raise ValueError(
            f"scale must be (low, high) fractions of the image area with 0 < low <= high <= 1, got {scale}"
        )
    r1, r2 = ratio
    if not 0.0 < r1 <= r2:
        raise ValueError(f"ratio must be (low, high) aspect ratios with 0 < low <= high, got {ratio}")
    if int(attempts) < 1:
        raise ValueError(f"attempts must be >= 1, got {attempts}")
    if aspect_sampling not in ("uniform", "log"):
        raise ValueError(f"aspect_sampling must be 'uniform' (official code) or 'log' (timm), "
                         f"got {aspect_sampling!r}")


def _candidates(n: int, k: int, H: int, W: int, scale, ratio, aspect_sampling, generator, device):
    """k candidate boxes for each of n images: sizes (2, n, k) float32 (whole pixels;
    heights, then widths) and fit flags (n, k), as numpy arrays on CPU and tensors on other
    devices. One draw of (2, n, k) uniforms: areas, aspects."""
    u = rand01((2, n, k), generator, device)
    host = on_host(device)
    if host:
        u = u.numpy()  # shares memory: the in-place steps below are the torch path's, in numpy
    s, r = u[0], u[1]
    s *= np.float32((scale[1] - scale[0]) * H * W)
    s += np.float32(scale[0] * H * W)  # (n, k) pixels^2
    if aspect_sampling == "uniform":
        r *= np.float32(ratio[1] - ratio[0])
        r += np.float32(ratio[0])
    else:
        lo, hi = math.log(ratio[0]), math.log(ratio[1])
        r *= np.float32(hi - lo)
        r += np.float32(lo)
        torch.as_tensor(r).exp_()  # torch's exp on either path (numpy's may differ in the last bit)
    # H_e = sqrt(S_e r_e), W_e = sqrt(S_e / r_e); round half to even, like Python's
    # round() in the official code.
    if host:
        hw = np.empty((2, n, k), dtype=np.float32)
        np.multiply(s, r, out=hw[0])
        np.divide(s, r, out=hw[1])
        np.rint(np.sqrt(hw, out=hw), out=hw)
    else:
        hw = torch.stack((s * r, s / r)).sqrt_().round_()  # (2, n, k)
    if H == W:  # the official strict fit test, H_e < H and W_e < W
        fits = (np.maximum if host else torch.maximum)(hw[0], hw[1]) < H
    else:
        fits = (hw[0] < H) & (hw[1] < W)
    return hw, fits


def _first_fit(hw, fits):
    """Sizes (2, n) int64 of the first fitting candidate of each image (the first
    candidate where none fits)."""
    n = fits.shape[0]
    if isinstance(fits, np.ndarray):
        return hw[:, np.arange(n), fits.argmax(1)].astype(np.int64)  # argmax: the first True
    first = fits.to(torch.uint8).argmax(1)  # (n,)
    return hw.gather(2, first.view(1, n, 1).expand(2, n, 1)).squeeze(2).long()


def sample_box_size(B: int, H: int, W: int, scale, ratio, attempts: int, aspect_sampling: str,
                    generator: Optional[torch.Generator], device, block: int = 4) -> Tuple[torch.Tensor, ...]:
    """Sizes (2, B) int64 (heights, then widths) of the first of ``attempts`` candidates
    that fits (H_e < H and W_e < W), and ``fits`` (B,) bool (False: no candidate fitted;
    the size is then 0).

    Candidates are drawn ``block`` per image at a time, for all images still without a
    fitting one, until ``attempts`` have been tried. Taking the first fit in this order
    gives exactly the distribution of the official one-candidate-at-a-time loop; on
    32 x 32 images with the paper's settings 5.3% of candidates fail, so the first block
    almost always settles every image (all 4 fail with probability ~1e-5) and 4 draws
    per image cost far less than 100.
    """
    k = min(block, attempts)
    hw, ok = _candidates(B, k, H, W, scale, ratio, aspect_sampling, generator, device)
    sizes, fits, tried = _first_fit(hw, ok), ok.any(1), k
    if not bool(fits.all()):  # rare: the images whose whole block failed draw more
        sizes[:, ~fits] = 0
        todo = (~fits).nonzero()[0] if isinstance(fits, np.ndarray) else (~fits).nonzero().squeeze(1)
        while tried < attempts and todo.shape[0] > 0:
            k = min(block, attempts - tried)
            hw, ok = _candidates(todo.shape[0], k, H, W, scale, ratio, aspect_sampling, generator, device)
            found = ok.any(1)
            idx = todo[found]
            sizes[:, idx] = _first_fit(hw, ok)[:, found]
            fits[idx] = True
            todo, tried = todo[~found], tried + k
    if isinstance(sizes, np.ndarray):
        sizes, fits = torch.from_numpy(sizes), torch.from_numpy(fits)
    return sizes, fits


@AUGMENTS.register("random_erasing")
@dataclass(kw_only=True, eq=False)
class RandomErasing(Erasing):
    """Random Erasing with the official code's sampling (see the module docstring).

    Args:
        p: probability that an image is erased.
        scale: (s_l, s_h), erased area as a fraction of the image area.
        ratio: (r_1, r_2), aspect ratio H_e / W_e; the paper uses r_2 = 1 / r_1.
        attempts: candidates tried per image before giving up (official: 100).
        aspect_sampling: ``"uniform"`` (official) or ``"log"`` (timm) in [r_1, r_2].
        fill: ``"zero"``, ``"constant"`` (``value``: one number or one per channel),
            ``"mean"`` (``value`` or by default the CIFAR-10 channel means, of [0, 1]
            pixels for float images and of 0..255 for uint8 ones; for standardised
            inputs the data mean is 0, i.e. ``"zero"``) or
            ``"random"`` (per-pixel N(0, 1); see ``simaug.augment.erasing``).
        value: the fill value for ``"constant"`` / ``"mean"``.

    Shape: (B, C, H, W) -> (B, C, H, W). Params: ``apply`` (B,) bool and the clipped box
    ``y0, y1, x0, x1`` (B,) int64, half-open.

    Example (in a plain PyTorch loop, with torchvision's v2 transforms):
        >>> from torchvision.transforms import v2
        >>> augment = v2.Compose([v2.RandomHorizontalFlip(), RandomErasing(p=1.0)])
        >>> out = augment(torch.ones(8, 3, 32, 32))  # a batch: one rectangle per image
        >>> bool((out == 0).any(dim=(1, 2, 3)).all())  # every image has a hole
        True
        >>> augment(torch.ones(3, 32, 32)).shape  # or one image
        torch.Size([3, 32, 32])
    """

    name = "random_erasing"
    p: float = 0.5
    scale: Tuple[float, float] = (0.02, 0.4)
    ratio: Tuple[float, float] = (0.3, 1 / 0.3)
    attempts: int = 100
    aspect_sampling: str = "uniform"

    def __post_init__(self):
        super().__post_init__()
        check_box_distribution(self.scale, self.ratio, self.attempts, self.aspect_sampling)

    def _sample(self, shape, generator, device):
        B, _, H, W = shape
        hw, fits = sample_box_size(B, H, W, self.scale, self.ratio, int(self.attempts),
                                   self.aspect_sampling, generator, device)  # (2, B)
        u = rand01((3, B), generator, device)  # apply, corner row, corner column
        apply = (u[0] < self.p) & fits
        # Corner uniform over the H - h + 1 (W - w + 1) positions where the box fits; in
        # float64 so that u * n < n holds for every float32 u < 1. In numpy on CPU (see
        # ``transform.on_host``; float64 products and truncation are the same either way).
        if on_host(device):
            n = np.array([[H + 1], [W + 1]]) - hw.numpy()
            yx0 = torch.from_numpy((u[1:].numpy().astype(np.float64) * n).astype(np.int64))  # (2, B): y0, x0
        else:
            n = torch.tensor([[H + 1], [W + 1]], device=hw.device) - hw
            yx0 = (u[1:].double() * n).long()  # (2, B): y0, x0
        yx1 = yx0 + hw
        return {"apply": apply, "y0": yx0[0], "y1": yx1[0], "x0": yx0[1], "x1": yx1[1]}

    def weight(self, params, size, dtype=torch.float32):
        return box_weight(params, size, dtype)

    def erased_fraction(self, params, size):
        return box_fraction(params, size)
