"""Class activation maps for batches, kept on the device: the machinery shared by the CAM
methods (pytorch-grad-cam's ``BaseCAM``), which differ only in how they weigh the feature
maps (``cam_weights``).

For a target score s_c and the K feature maps F^k of a chosen layer, a method computes
weights w_k (B, K, 1, 1) from F and dS/dF and the map

    M = ReLU( sum_k w_k F^k ),

then upsamples M bilinearly to the input size and min-max normalises it per image (a
constant map becomes all zeros). One forward pass and one ``torch.autograd.grad`` of the
summed scores with respect to the layer's activation serve the whole batch: the images do
not interact, so the gradient of the sum is each image's own gradient.

Safe inside a training loop: the gradient is taken with respect to the activation only
(``autograd.grad``, never ``.backward()``), so the parameters' ``.grad`` is untouched, and
the model runs in eval mode (no BatchNorm running-statistics update, no dropout); every
module's previous train/eval flag is restored afterwards. The layers before the target
layer run without autograd recording (only dS/dF is needed), which saves about a quarter
of the time and most of the memory of a recorded forward pass, and with every eval-mode
BatchNorm folded into the convolution before it (``simaug.cam.fold``; the model is
patched for the duration of the call only), which saves another 15-20% on CPU. Folding
changes the maps only by float rounding (~1e-6). Build a CAM once (it traces the model
to find the BatchNorm pairs and registers one forward hook) and call it on every batch.
"""
from __future__ import annotations

from typing import List, Optional, Union

import torch
import torch.nn.functional as F
from torch import nn

from simaug._registry import Registry
from simaug.cam.fold import BatchNormFolder, find_conv_bn_pairs
from simaug.cam.targets import select_scores

CAM_METHODS = Registry("CAM method")


def _resolve_layer(model: nn.Module, layer: Union[str, nn.Module]) -> nn.Module:
    if isinstance(layer, nn.Module):
        if not any(m is layer for m in model.modules()):
            raise ValueError("target_layer is not a submodule of model")
        return layer
    try:
        return model.get_submodule(layer)
    except AttributeError:
        names = [n for n, _ in model.named_modules() if n][:12]
        raise ValueError(f"model has no submodule {layer!r}; some of its modules: {names}") from None


class BaseCAM:
    """A CAM method for batches; subclasses implement ``cam_weights``.

    Args:
        model: a classifier returning logits (B, K).
        target_layer: the layer whose output F (B, K', h, w) is explained, as a module or
            a dotted name (``"layer3"``: the last stage of the CIFAR ResNets).
        eval_mode: run the model in eval mode during the CAM pass (default True).
        fold_bn: fold eval-mode BatchNorm layers into their convolutions during the CAM
            pass (default True; only with ``eval_mode``, and only where the model can be
            traced by ``torch.fx``). ``folded_pairs`` lists the folded (conv, bn) names,
            found once here.

    Shape: x (B, C, H, W) -> (B, H, W) in [0, 1], on x's device.

    Example (a new method is one method; this is Grad-CAM):
        >>> class MeanGradCAM(BaseCAM):
        ...     def cam_weights(self, activations, gradients):
        ...         return gradients.mean(dim=(2, 3), keepdim=True)
        >>> model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
        ...                       nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
        >>> with MeanGradCAM(model, model[1]) as cam:
        ...     maps = cam(torch.rand(2, 3, 8, 8))
        >>> maps.shape
        torch.Size([2, 8, 8])
    """

    def __init__(self, model: nn.Module, target_layer: Union[str, nn.Module], eval_mode: bool = True,
                 fold_bn: bool = True):
        self.model = model
        self.layer = _resolve_layer(model, target_layer)
        self.eval_mode = eval_mode
        self.folded_pairs = find_conv_bn_pairs(model, keep=[self.layer]) if (fold_bn and eval_mode) else []
        self._folder = BatchNormFolder(model, self.folded_pairs)
        self._active = False
        self._act: Optional[torch.Tensor] = None
        self._handle = self.layer.register_forward_hook(self._hook)

    # -- to implement -------------------------------------------------------------------
    def cam_weights(self, activations: torch.Tensor, gradients: torch.Tensor) -> torch.Tensor:
        """Weights w (B, K', 1, 1) of the feature maps, from F and dS/dF (B, K', h, w)."""
        raise NotImplementedError

    # -- the pass -----------------------------------------------------------------------
    def _hook(self, module, inputs, output):
        if not self._active:  # the model's ordinary forward passes are left alone
            return None
        if not isinstance(output, torch.Tensor) or output.ndim != 4:
            raise ValueError(f"target_layer must output (B, K, h, w) feature maps, got {type(output)}")
        # The forward runs under no_grad up to here: nothing before F is recorded (less
        # time and memory; only dS/dF is needed). F becomes a leaf and the rest of the
        # forward is recorded; leaving the no_grad block restores the caller's grad mode.
        self._act = output.detach().requires_grad_(True)
        torch.set_grad_enabled(True)
        return self._act.clone()  # later in-place ops (ReLU(inplace=True)) must not touch F

    def activations_and_grads(self, x: torch.Tensor, targets=None):
        """Activation F and d(sum of scores)/dF, both (B, K', h, w), detached; and logits."""
        if self._handle is None:
            raise RuntimeError(f"this {type(self).__name__} was closed; build a new one")
        modes = {m: m.training for m in self.model.modules()}
        if self.eval_mode:
            self.model.eval()
        self._active = True
        try:
            with torch.no_grad():  # the hook switches grad on from F onwards
                with self._folder:
                    logits = self.model(x)  # (B, K)
                if self._act is None:
                    raise RuntimeError("target_layer was not called in the forward pass")
                scores = select_scores(logits, targets)  # (B,)
                (grads,) = torch.autograd.grad(scores.sum(), self._act)
            act = self._act.detach()
        finally:
            self._active, self._act = False, None
            for m, flag in modes.items():
                m.training = flag
        return act, grads.detach(), logits.detach()

    def __call__(self, x: torch.Tensor, targets=None) -> torch.Tensor:
        """CAM maps (B, H, W) in [0, 1] for ``targets`` (None: the predicted class; an int
        tensor (B,); or callables such as ``ClassifierOutputTarget``)."""
        if x.ndim != 4:
            raise ValueError(f"expected x of shape (B, C, H, W), got {tuple(x.shape)}")
        act, grads, _ = self.activations_and_grads(x, targets)
        weights = self.cam_weights(act, grads)  # (B, K', 1, 1): w_k
        cam = F.relu((weights * act).sum(1, keepdim=True))  # (B, 1, h, w)
        cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
        return normalize_cam(cam).to(x.device)  # (B, H, W)

    def close(self) -> None:
        """Remove the forward hook (idempotent)."""
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def __enter__(self) -> "BaseCAM":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def normalize_cam(cam: torch.Tensor) -> torch.Tensor:
    """Per-image min-max scaling of maps (B, H, W) to [0, 1]; a constant map -> zeros."""
    flat = cam.flatten(1)
    lo, hi = flat.min(1).values, flat.max(1).values
    span = (hi - lo)[:, None, None]
    out = (cam - lo[:, None, None]) / torch.where(span > 0, span, torch.ones_like(span))
    return torch.where(span > 0, out, torch.zeros_like(out))


def create_cam(name: str, model: nn.Module, target_layer: Union[str, nn.Module], **kw) -> BaseCAM:
    """Build a registered CAM method (``"gradcam"``, ``"gradcam++"``) by name.

    Example:
        >>> model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
        ...                       nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
        >>> with create_cam("gradcam++", model, model[1]) as cam:
        ...     cam(torch.rand(2, 3, 8, 8)).shape
        torch.Size([2, 8, 8])
    """
    return CAM_METHODS.get(name)(model, target_layer, **kw)


def list_cams() -> List[str]:
    """Names accepted by ``create_cam``."""
    return CAM_METHODS.names()
