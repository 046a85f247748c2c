"""torchvision's ResNet-18/34 and VGG-13 adapted to small (32x32 / 64x64) images.

The ImageNet stems shrink a 32x32 input to 1x1 before the last stage; as is usual for
CIFAR we use a 3x3 stride-1 stem without max-pool for the ResNets (last feature map 4x4
at 32x32 input — the thesis' reason why CAM on ResNet-18 is coarse), and for VGG-13 (with
batch norm) an adaptive 1x1 average pool and a single linear classifier instead of the
4096-wide ImageNet head. Weights are random (no pretrained downloads here).
"""
from __future__ import annotations

import torch.nn as nn
from torchvision import models as tvm

from ._registry import register_model


def _small_resnet(builder, num_classes: int, in_channels: int) -> nn.Module:
    model = builder(weights=None, num_classes=num_classes)
    model.conv1 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
    model.maxpool = nn.Identity()
    return model


@register_model("resnet18")
def resnet18(num_classes: int = 10, in_channels: int = 3) -> nn.Module:
    return _small_resnet(tvm.resnet18, num_classes, in_channels)


@register_model("resnet34")
def resnet34(num_classes: int = 10, in_channels: int = 3) -> nn.Module:
    return _small_resnet(tvm.resnet34, num_classes, in_channels)


@register_model("vgg13")
def vgg13(num_classes: int = 10, in_channels: int = 3) -> nn.Module:
    model = tvm.vgg13_bn(weights=None, num_classes=num_classes)
    if in_channels != 3:
        first = model.features[0]
        model.features[0] = nn.Conv2d(in_channels, first.out_channels, 3, padding=1)
    model.avgpool = nn.AdaptiveAvgPool2d(1)
    model.classifier = nn.Linear(512, num_classes)
    return model
