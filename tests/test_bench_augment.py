"""The benchmark's per-image CAM-erasing loop (the informational reference of the batched
kernel) erases what CAM erasing erases: a box of the Random Erasing law holding p_m + d_e."""
import random

import torch

from simaug.bench.augment import cam_erasing_loop


def test_cam_erasing_loop_erases_a_box_at_the_cam_peak():
    x = torch.rand(64, 3, 32, 32) + 1.0  # no zero pixels before erasing
    cam = torch.zeros(64, 32, 32)
    peaks = torch.randint(0, 32, (64, 2), generator=torch.Generator().manual_seed(0))
    cam[torch.arange(64), peaks[:, 0], peaks[:, 1]] = 1.0
    before = x.clone()
    out = cam_erasing_loop(x, cam, random.Random(0), b_h=0)
    assert torch.equal(x, before) and out.shape == x.shape  # the input is not modified
    erased = (out == 0).all(1)  # (B, H, W): every channel erased
    assert torch.equal((out == 0).any(1), erased)  # whole pixels, never single channels
    for b in range(64):
        assert erased[b, peaks[b, 0], peaks[b, 1]]  # b_h = 0: the box holds the peak
        rows, cols = erased[b].any(1).nonzero(), erased[b].any(0).nonzero()
        h, w = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        assert int(erased[b].sum()) == h * w  # one axis-aligned rectangle
        assert int(erased[b].sum()) <= 0.4 * 32 * 32 + 32  # Random Erasing's largest area, rounded
