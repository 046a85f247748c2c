"""The discriminator D of Cho, Kim & Yoon (SPEC §01, Section 3.2): it tells original
images from G's outputs, so that G, trained against it, keeps its outputs realistic.
D maximises log D(I) + log(1 - D(G(I))) (``simaug.stn.objective.discriminator_loss``).
"""
from __future__ import annotations

import torch
import torch.nn as nn


class Discriminator(nn.Module):
    """D: original vs augmented image, returns one logit per image (sigmoid = P(original)).

    Three stride-2 convs with LeakyReLU (DCGAN's discriminator recipe, no batch norm so
    real and augmented batches do not leak statistics into each other), pooled to 4x4 so
    D still sees where the empty borders of a warped image are.

    Shape: (B, C, H, W) -> (B,) logits.

    Example:
        >>> Discriminator(3)(torch.randn(5, 3, 32, 32)).shape
        torch.Size([5])
    """

    def __init__(self, in_channels: int = 3, width: int = 16):
        super().__init__()
        act = lambda: nn.LeakyReLU(0.2)  # noqa: E731
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, stride=2, padding=1), act(),  # (B, w, H/2, W/2)
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), act(),  # (B, 2w, H/4, W/4)
            nn.Conv2d(2 * width, 4 * width, 3, stride=2, padding=1), act(),  # (B, 4w, H/8, W/8)
            nn.AdaptiveAvgPool2d(4), nn.Flatten(),  # (B, 64w)
            nn.Linear(64 * width, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4:
            raise ValueError(f"D expects images (B, C, H, W), got {tuple(x.shape)}")
        return self.net(x).squeeze(1)  # (B,)
