"""Grad-CAM++ (Chattopadhyay et al., "Grad-CAM++: Improved Visual Explanations for Deep
Convolutional Networks", WACV 2018, Eqs. 7 and 19), batched and device-resident.

With g = d s_c / d F^k_ij (the score taken as exp(s), which turns the higher derivatives of
Eq. 10 into powers of g, as in the paper's Eq. 19 and in pytorch-grad-cam):

    alpha^k_ij = g^2 / (2 g^2 + sum_ab F^k_ab * g^3 + eps),   0 where g = 0,
    w_k        = sum_ij alpha^k_ij * ReLU(g),

with eps = 1e-6 (pytorch-grad-cam's). Grad-CAM++ weighs each location by how much it
contributes, so several instances of a class all show up (Grad-CAM favours the largest).
"""
from __future__ import annotations

import torch

from simaug.cam.base_cam import CAM_METHODS, BaseCAM

EPS = 1e-6


@CAM_METHODS.register("gradcam++")
class GradCAMPlusPlus(BaseCAM):
    """Grad-CAM++ maps for a batch.

    Args: as ``BaseCAM`` (model, target_layer, eval_mode=True, fold_bn=True).

    Shape: x (B, C, H, W) -> (B, H, W) in [0, 1], on x's device.

    Example:
        >>> from torch import nn
        >>> model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
        ...                       nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
        >>> with GradCAMPlusPlus(model, model[1]) as cam:
        ...     maps = cam(torch.rand(2, 3, 8, 8))
        >>> bool(maps.min() >= 0) and bool(maps.max() <= 1)
        True
    """

    def cam_weights(self, activations: torch.Tensor, gradients: torch.Tensor) -> torch.Tensor:
        g2 = gradients.pow(2)
        g3 = g2 * gradients
        total = activations.sum(dim=(2, 3), keepdim=True)  # (B, K', 1, 1): sum_ab F^k_ab
        alpha = g2 / (2 * g2 + total * g3 + EPS)  # (B, K', h, w)
        alpha = torch.where(gradients != 0, alpha, torch.zeros_like(alpha))
        return (alpha * gradients.clamp_min(0)).sum(dim=(2, 3), keepdim=True)  # (B, K', 1, 1)
