"""Where CAM-guided erasing gets the CAM of each training batch: a CAM method built once
per fit (hooks registered and BatchNorm pairs found at the start, hooks released at the
end), either on the model being trained or on a separately trained one.

The thesis' main variant takes the CAM of the model being trained (error 6.40 on
ResNet-20), the alternative that of a separately trained model (6.44); both explain the
true class by default.
"""
from __future__ import annotations

from typing import Callable, Optional, Union

import torch
from torch import nn

from simaug.cam.base_cam import BaseCAM, create_cam

TARGETS = ("label", "predicted")


class CamSource:
    """CAM maps (B, H, W) of training batches, from one CAM object per fit.

    Args:
        model: the explained network; None (default): the model being trained,
            ``trainer.model``, bound in ``start``.
        target_layer: a dotted name (``"layer3"``, the last stage of the CIFAR ResNets),
            a module of the model, or a callable ``model -> module``.
        method: a CAM method of ``simaug.cam.list_cams()`` (``"gradcam"``, ``"gradcam++"``).
        target: ``"label"`` (the CAM of the true class) or ``"predicted"``.

    ``start(model)`` builds the CAM, ``__call__(x, y)`` computes the maps, ``close()``
    removes its hook; ``AugmentCallback`` calls them in ``on_fit_start``, per batch and in
    ``on_fit_end``.

    Example:
        >>> model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
        ...                       nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
        >>> source = CamSource(target_layer="1")
        >>> source.start(model)
        >>> source(torch.rand(2, 3, 8, 8), torch.tensor([0, 1])).shape
        torch.Size([2, 8, 8])
        >>> source.close()
    """

    def __init__(self, model: Optional[nn.Module] = None,
                 target_layer: Union[str, nn.Module, Callable[[nn.Module], nn.Module]] = "layer3",
                 method: str = "gradcam", target: str = "label"):
        if target not in TARGETS:
            raise ValueError(f"target must be 'label' or 'predicted', got {target!r}")
        if model is not None and not isinstance(model, nn.Module):
            raise TypeError(f"model must be an nn.Module or None (the trained model), got {type(model)}")
        self.model, self.target_layer, self.method, self.target = model, target_layer, method, target
        self.cam: Optional[BaseCAM] = None

    def start(self, model: Optional[nn.Module] = None, device: Optional[torch.device] = None) -> None:
        """Build the CAM on ``self.model`` or else on ``model`` (the trained one); a
        separate model is moved to ``device`` and set to eval mode."""
        self.close()
        explained = self.model if self.model is not None else model
        if explained is None:
            raise ValueError("CamSource needs a model: give model= or start(trainer.model)")
        if self.model is not None:
            self.model.to(device).eval() if device is not None else self.model.eval()
        layer = self.target_layer
        if callable(layer) and not isinstance(layer, nn.Module):
            layer = layer(explained)
        self.cam = create_cam(self.method, explained, layer)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """CAM maps (B, H, W) in [0, 1] of the batch x (B, C, H, W) with labels y (B,)."""
        if self.cam is None:
            raise RuntimeError("CamSource was not started; call start(model) first")
        return self.cam(x.detach(), targets=y if self.target == "label" else None)

    def close(self) -> None:
        """Release the CAM's hook (idempotent)."""
        if self.cam is not None:
            self.cam.close()
            self.cam = None

    @property
    def started(self) -> bool:
        return self.cam is not None

    def __repr__(self) -> str:
        model = "trained model" if self.model is None else type(self.model).__name__
        return f"CamSource({model}, target_layer={self.target_layer!r}, method={self.method!r}, target={self.target!r})"
