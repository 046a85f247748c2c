"""Grad-CAM (Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
Gradient-based Localization", ICCV 2017, Eq. 1), batched and device-resident:

    w_k = mean_ij  d s_c / d F^k_ij

(the shared pass, ReLU, upsampling and normalisation: ``simaug.cam.base_cam``).
"""
from __future__ import annotations

import torch

from simaug.cam.base_cam import CAM_METHODS, BaseCAM


@CAM_METHODS.register("gradcam")
class GradCAM(BaseCAM):
    """Grad-CAM maps for a batch: feature maps weighted by their mean gradient.

    Args: as ``BaseCAM`` (model, target_layer, eval_mode=True, fold_bn=True).

    Shape: x (B, C, H, W) -> (B, H, W) in [0, 1], on x's device.

    Example:
        >>> from torch import nn
        >>> model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
        ...                       nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
        >>> with GradCAM(model, model[1]) as cam:
        ...     maps = cam(torch.rand(2, 3, 8, 8), targets=torch.tensor([0, 1]))
        >>> maps.shape
        torch.Size([2, 8, 8])
    """

    def cam_weights(self, activations: torch.Tensor, gradients: torch.Tensor) -> torch.Tensor:
        return gradients.mean(dim=(2, 3), keepdim=True)  # (B, K', 1, 1)
