"""The TensorFlow CIFAR-10 tutorial CNN (SPEC §04).

Conv(32, 3x3) -> MaxPool 2 -> Conv(64, 3x3) -> MaxPool 2 -> Conv(64, 3x3) -> Flatten ->
Dense 64 -> Dense 10, ReLU after each hidden layer, "valid" padding. At 3x32x32 and ten
classes it has exactly 122,570 parameters, as Keras' ``model.summary()`` reports. The final
softmax of the tutorial is folded into the loss: the model returns logits. Weights start
as in Keras (Glorot-uniform kernels, zero biases) rather than PyTorch's default, to stay close
to the tutorial's training curve.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ._registry import register_model


def _spatial_after(size: int) -> int:
    size = size - 2  # conv 3x3 valid
    size = size // 2  # max-pool 2
    size = size - 2
    size = size // 2
    size = size - 2
    if size < 1:
        raise ValueError(f"simple_cnn needs images of at least 18x18 pixels, got {size}")
    return size


class SimpleCNN(nn.Module):
    def __init__(self, num_classes: int = 10, in_channels: int = 3, image_size: int = 32, hidden: int = 64):
        super().__init__()
        s = _spatial_after(image_size)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3), nn.ReLU(inplace=True), nn.MaxPool2d(2),  # (B, 32, 15, 15) at 32x32
            nn.Conv2d(32, 64, 3), nn.ReLU(inplace=True), nn.MaxPool2d(2),  # (B, 64, 6, 6)
            nn.Conv2d(64, 64, 3), nn.ReLU(inplace=True),  # (B, 64, 4, 4)
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * s * s, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, num_classes)
        )
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@register_model("simple_cnn")
def simple_cnn(num_classes: int = 10, in_channels: int = 3, image_size: int = 32) -> SimpleCNN:
    return SimpleCNN(num_classes, in_channels, image_size)
