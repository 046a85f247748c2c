"""What did G learn? Batch summaries of θ for the stage-2 history, and a per-image table.

The paper (SPEC §01, Section 4) judged the collapse by eye from Fig. 3. Here it is measured:
``distance`` = |θ - [I | 0]|_F is 0 for the identity, and ``theta_components`` splits θ into
rotation / scale / shear / translation (QR-style, see ``simaug.augment.affine``). As a yardstick,
a pure 10-degree rotation has distance 2 sqrt(1 - cos 10°) ≈ 0.25 and a 1-pixel shift of
a 32x32 image 1/16 ≈ 0.06; ``NEAR_IDENTITY`` = 0.05 counts G's outputs below that as
"collapsed".
"""
from __future__ import annotations

from typing import Callable, Dict, Optional

import pandas as pd
import torch
import torch.nn as nn

from ._freeze import eval_mode
from ..augment.affine import theta_components
from .entropy_loss import entropy_bits

NEAR_IDENTITY = 0.05  # |θ - I|_F below which a warp is treated as the identity


def theta_summary(theta: torch.Tensor) -> Dict[str, float]:
    """Batch means of the size of each component of θ (history columns).

    Returns:
        floats ``theta_dist`` (mean |θ - I|_F), ``theta_translation`` (mean |t|_2,
        normalised units), ``theta_rotation_deg`` (mean |phi|), ``theta_scale`` (mean of
        (|sx - 1| + |sy - 1|) / 2), ``theta_shear`` (mean |sh|) and ``frac_near_identity``.

    Example:
        >>> from simaug.augment.affine import identity_theta
        >>> theta_summary(identity_theta(4))["frac_near_identity"]
        1.0
    """
    c = {k: v.detach().float() for k, v in theta_components(theta).items()}
    return dict(
        theta_dist=c["distance"].mean().item(),
        theta_translation=c["translation"].mean().item(),
        theta_rotation_deg=c["rotation_deg"].abs().mean().item(),
        theta_scale=((c["scale_x"] - 1).abs() + (c["scale_y"] - 1).abs()).mul(0.5).mean().item(),
        theta_shear=c["shear"].abs().mean().item(),
        frac_near_identity=(c["distance"] < NEAR_IDENTITY).float().mean().item(),
    )


@torch.no_grad()
def describe_augmenter(
    G: nn.Module,
    classifier: nn.Module,
    images: torch.Tensor,
    to_input: Callable[[torch.Tensor], torch.Tensor],
    labels: Optional[torch.Tensor] = None,
    batch_size: int = 256,
) -> pd.DataFrame:
    """One row per image: G's θ components and the classifier on the original vs G(x).

    G and the classifier are put in eval mode for the call and restored afterwards.

    Args:
        images: uint8 (N, C, H, W), any device.
        to_input: uint8 batch on the model's device -> float normalised batch.
        labels: optional int64 (N,) to add ``correct_orig`` / ``correct_aug``.

    Returns:
        DataFrame with the ``theta_components`` columns, ``entropy_orig`` / ``entropy_aug``
        (bits), ``pred_orig`` / ``pred_aug`` and ``pred_changed``.
    """
    if images.dtype != torch.uint8 or images.ndim != 4:
        raise TypeError(f"images must be uint8 (N, C, H, W), got {images.dtype} {tuple(images.shape)}")
    device = next(classifier.parameters()).device
    rows = []
    with eval_mode(G, classifier):
        for start in range(0, images.shape[0], batch_size):
            x = to_input(images[start:start + batch_size].to(device))  # (b, C, H, W) float
            x_aug, theta = G(x, return_theta=True)
            lo, la = classifier(x), classifier(x_aug)  # (b, m)
            part = {k: v.cpu() for k, v in theta_components(theta).items()}
            part.update(entropy_orig=entropy_bits(lo).cpu(), entropy_aug=entropy_bits(la).cpu(),
                        pred_orig=lo.argmax(1).cpu(), pred_aug=la.argmax(1).cpu())
            rows.append(pd.DataFrame({k: v.numpy() for k, v in part.items()}))
    df = pd.concat(rows, ignore_index=True)
    df["pred_changed"] = df["pred_orig"] != df["pred_aug"]
    if labels is not None:
        y = labels.cpu().numpy()
        df["correct_orig"], df["correct_aug"] = df["pred_orig"] == y, df["pred_aug"] == y
    return df
