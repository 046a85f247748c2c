"""Digital corruptions of CIFAR-10-C (Hendrycks & Dietterich, 2019; ``make_cifar_c.py``).

* jpeg_compression: encode with JPEG quality ``c`` and decode with PIL, as the reference
  (torchvision's image codecs are deprecated since 0.29). A codec works per image, so
  this one kernel loops over the batch on the CPU.
* pixelate: PIL ``BOX`` resize to ``int(32 c)`` pixels and back. PIL's box filter weights
  every input pixel whose *centre* falls inside the output pixel's footprint, runs the
  horizontal pass first and rounds to uint8 after each pass; we build the same weight
  matrices and round the same way, so results match PIL up to its fixed-point rounding.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from .corruption import CORRUPTIONS, Corruption, register_corruption

JPEG_QUALITY = (80, 65, 58, 50, 40)
PIXELATE_FACTOR = (0.95, 0.9, 0.85, 0.75, 0.65)


@register_corruption("jpeg_compression")
@dataclass(kw_only=True, eq=False)
class JpegCompression(Corruption):
    """JPEG round trip at the severity's quality (deterministic); C in {1, 3}."""

    def corrupt(self, x, params):
        if x.shape[1] not in (1, 3):
            raise ValueError(f"jpeg_compression needs 1 or 3 channels, got {x.shape[1]}")
        quality = JPEG_QUALITY[self.severity - 1]
        arrays = x.permute(0, 2, 3, 1).cpu().numpy()  # (N, H, W, C) for PIL
        out = np.empty_like(arrays)
        for i, a in enumerate(arrays):  # the codec takes one image at a time
            buf = io.BytesIO()
            Image.fromarray(a[..., 0] if a.shape[-1] == 1 else a).save(buf, "JPEG", quality=quality)
            buf.seek(0)
            out[i] = np.asarray(Image.open(buf)).reshape(a.shape)
        return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous().to(x.device)


def box_resize_matrix(in_size: int, out_size: int, device=None) -> torch.Tensor:
    """PIL's ``BOX`` resampling weights as a matrix: ``out = M @ in`` along one axis.

    Shape:
        -> (out_size, in_size) float64, rows sum to 1.
    """
    scale = in_size / out_size
    filterscale = max(scale, 1.0)  # upsampling keeps a one-pixel footprint
    support = 0.5 * filterscale
    center = (torch.arange(out_size, dtype=torch.float64, device=device) + 0.5) * scale  # (out,)
    src = torch.arange(in_size, dtype=torch.float64, device=device)  # (in,)
    xmin = (center - support + 0.5).trunc().clamp(min=0)  # C int() truncation, as PIL
    xmax = (center + support + 0.5).trunc().clamp(max=in_size)
    arg = (src[None, :] - center[:, None] + 0.5) / filterscale  # (out, in)
    inside = (src[None, :] >= xmin[:, None]) & (src[None, :] < xmax[:, None])
    w = ((arg > -0.5) & (arg <= 0.5) & inside).to(torch.float64)  # box(x) = 1 on (-1/2, 1/2]
    return w / w.sum(dim=1, keepdim=True)


def box_resize(images: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """PIL-style ``BOX`` resize of uint8 images, horizontal pass first, rounding after each.

    Shape:
        (N, C, H, W) uint8 -> (N, C, height, width) uint8
    """
    x = images.to(torch.float64)
    if width != x.shape[-1]:
        mw = box_resize_matrix(x.shape[-1], width, images.device)
        x = (x @ mw.T + 0.5).floor().clamp(0, 255)  # (N, C, H, width)
    if height != x.shape[-2]:
        mh = box_resize_matrix(x.shape[-2], height, images.device)
        x = (mh @ x + 0.5).floor().clamp(0, 255)  # (N, C, height, width)
    return x.to(torch.uint8)


@register_corruption("pixelate")
@dataclass(kw_only=True, eq=False)
class Pixelate(Corruption):
    """Box-downsample by the severity's factor and box-upsample back (deterministic)."""

    def corrupt(self, x, params):
        c = PIXELATE_FACTOR[self.severity - 1]
        h, w = x.shape[-2:]
        small = box_resize(x, int(h * c), int(w * c))
        return box_resize(small, h, w)


jpeg_compression = CORRUPTIONS.get("jpeg_compression")
pixelate = CORRUPTIONS.get("pixelate")
