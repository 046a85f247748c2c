"""Matplotlib overlay of a CAM on its image with the thresholded box (the thesis' Fig. 7)."""
from __future__ import annotations

from typing import Optional, Sequence

import torch

from simaug.cam.bbox import cam_bbox


def _to_hwc(image: torch.Tensor, mean: Optional[Sequence[float]], std: Optional[Sequence[float]]):
    img = torch.as_tensor(image).detach().cpu()
    if img.ndim != 3:
        raise ValueError(f"image must be (C, H, W), got shape {tuple(img.shape)}")
    img = img.float() / 255.0 if not img.is_floating_point() else img.float()
    if std is not None:
        img = img * torch.as_tensor(std, dtype=torch.float32).view(-1, 1, 1)
    if mean is not None:
        img = img + torch.as_tensor(mean, dtype=torch.float32).view(-1, 1, 1)
    img = img.clamp(0, 1).permute(1, 2, 0)  # (H, W, C)
    return img[..., 0] if img.shape[-1] == 1 else img


def cam_overlay(ax, image: torch.Tensor, cam: torch.Tensor, threshold: Optional[float] = 0.4,
                alpha: float = 0.5, cmap: str = "jet", mean=None, std=None, box_color: str = "lime"):
    """Draw ``image`` with ``cam`` as a translucent heat map and the box of cam >= threshold.

    Args:
        ax: a matplotlib Axes.
        image: (C, H, W), uint8 or float in [0, 1] (give ``mean``/``std`` to undo a
            normalisation).
        cam: (H, W) map in [0, 1] at the image's resolution.
        threshold: box threshold (thesis: 0.4); None draws no box.
        alpha: opacity of the heat map.

    Returns:
        the box (4,) as (x0, y0, x1, y1), or None without a threshold.

    Example:
        >>> import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots()
        >>> cam_overlay(ax, torch.rand(3, 8, 8), torch.rand(8, 8), threshold=0.0).tolist()
        [0, 0, 8, 8]
    """
    from matplotlib.patches import Rectangle

    cam = torch.as_tensor(cam).detach().cpu().float()
    if cam.ndim != 2:
        raise ValueError(f"cam must be one (H, W) map, got shape {tuple(cam.shape)}")
    img = _to_hwc(image, mean, std)
    if tuple(img.shape[:2]) != tuple(cam.shape):
        raise ValueError(f"image is {tuple(img.shape[:2])} but cam is {tuple(cam.shape)}; upsample the cam")
    ax.imshow(img.numpy(), cmap="gray" if img.ndim == 2 else None, interpolation="nearest")
    ax.imshow(cam.numpy(), cmap=cmap, alpha=alpha, vmin=0.0, vmax=1.0, interpolation="bilinear")
    ax.set_axis_off()
    if threshold is None:
        return None
    box = cam_bbox(cam, threshold)
    x0, y0, x1, y1 = box.tolist()
    if x1 > x0 and y1 > y0:  # pixel i spans [i - 0.5, i + 0.5] in imshow coordinates
        ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False,
                               edgecolor=box_color, linewidth=2))
    return box
