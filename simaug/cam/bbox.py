"""Bounding box of the thresholded CAM (the thesis' Fig. 7, after Zhou et al.'s CAM
localisation): the box of all pixels with cam >= threshold (0.4 in the thesis). Unlike
the CAM paper we do not keep only the largest connected component."""
from __future__ import annotations

import torch


def cam_bbox(cam: torch.Tensor, threshold: float = 0.4) -> torch.Tensor:
    """Boxes (B, 4) int64 as (x0, y0, x1, y1), half-open pixel bounds (width x1 - x0).

    Args:
        cam: maps (B, H, W) or one map (H, W), normally in [0, 1].
        threshold: pixels with cam >= threshold are inside the region.

    Returns:
        (B, 4), or (4,) for a single map; (0, 0, 0, 0) when no pixel reaches the threshold.

    Example:
        >>> cam = torch.zeros(1, 6, 6); cam[0, 1:3, 2:5] = 1.0
        >>> cam_bbox(cam).tolist()
        [[2, 1, 5, 3]]
    """
    single = cam.ndim == 2
    if single:
        cam = cam[None]
    if cam.ndim != 3:
        raise ValueError(f"cam must be (B, H, W) or (H, W), got shape {tuple(cam.shape)}")
    B, H, W = cam.shape
    hot = cam >= threshold  # (B, H, W)
    rows, cols = hot.any(2), hot.any(1)  # (B, H), (B, W)

    def span(flags: torch.Tensor, n: int):
        idx = torch.arange(n, device=flags.device)
        first = torch.where(flags, idx, n).min(1).values
        last = torch.where(flags, idx, -1).max(1).values + 1
        return first, last

    y0, y1 = span(rows, H)
    x0, x1 = span(cols, W)
    boxes = torch.stack([x0, y0, x1, y1], 1)
    boxes = torch.where(rows.any(1, keepdim=True), boxes, torch.zeros_like(boxes))
    return boxes[0] if single else boxes
