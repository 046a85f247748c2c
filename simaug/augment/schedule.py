"""The thesis' erasing schedule as a trainer callback (Oh 2024, Section III.2, Fig. 8).

The first ``start_epoch`` epochs train without erasing (warm-up: the CAM needs a model
that has learned something; the thesis uses half of the epochs, when ResNet-20 passes
90% training accuracy). From then on every batch is trained together with its erased
copy: ``(x, y) -> (cat([x, erase(x)]), cat([y, y]))``, so the effective batch doubles
(128 -> 256). For CAM-guided erasing the CAM comes either from the model being trained
(``cam_source="self"``, the thesis' main variant, error 6.40 on ResNet-20) or from a
separately trained model (``cam_source="model"``, 6.44).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Union

import torch
from torch import nn

from simaug.augment._base import Augment, create_augment
from simaug.train.callback import Callback

_GOLDEN = 0x9E3779B97F4A7C15  # odd 64-bit constant: spreads (seed, step) over seed space


class ErasingCallback(Callback):
    """Append an erased copy of every batch once ``epoch >= start_epoch``.

    Args:
        augment: an ``Augment`` or a name for ``create_augment`` (e.g. ``"cam_erasing"``).
        start_epoch: first epoch (0-based, as passed to ``on_epoch_start``) with erasing;
            None: ``trainer.config.epochs // 2``.
        cam_source: ``"self"`` (Grad-CAM of ``trainer.model`` on the current batch) or
            ``"model"`` (of ``cam_model``, a separately trained network).
        cam_model: the network for ``cam_source="model"``.
        target_layer: layer explained by Grad-CAM: a dotted name (``"layer3"``, the last
            stage of the CIFAR ResNets) or a callable ``model -> module``.
        cam_target: ``"label"`` (CAM of the true class, default) or ``"predicted"``.
        seed: base seed of the sampling generator; None: ``trainer.config.seed`` (or 0).

    The generator of each batch is seeded with a mix of (seed, step), ``step`` being the
    trainer's global step ``trainer.step`` (restored on resume), or this callback's own
    count of erased batches (saved by ``state_dict``) for a trainer without one, so a
    resumed run draws the same regions.

    Example:
        >>> cb = ErasingCallback("cutout", start_epoch=0)
        >>> cb.on_epoch_start(None, 0)
        >>> x2, y2 = cb.on_batch_start(None, torch.rand(4, 3, 32, 32), torch.arange(4))
        >>> x2.shape, y2.tolist()
        (torch.Size([8, 3, 32, 32]), [0, 1, 2, 3, 0, 1, 2, 3])
    """

    def __init__(
        self,
        augment: Union[str, Augment],
        start_epoch: Optional[int] = None,
        cam_source: str = "self",
        cam_model: Optional[nn.Module] = None,
        target_layer: Union[str, Callable[[nn.Module], nn.Module]] = "layer3",
        cam_target: str = "label",
        seed: Optional[int] = None,
    ):
        self.augment = create_augment(augment) if isinstance(augment, str) else augment
        if not isinstance(self.augment, Augment):
            raise TypeError(f"augment must be an Augment or a registered name, got {type(augment)}")
        if cam_source not in ("self", "model"):
            raise ValueError(f"cam_source must be 'self' or 'model', got {cam_source!r}")
        if (cam_source == "model") != (cam_model is not None):
            raise ValueError("cam_model= is required with cam_source='model' and only used with it")
        if cam_target not in ("label", "predicted"):
            raise ValueError(f"cam_target must be 'label' or 'predicted', got {cam_target!r}")
        if start_epoch is not None and int(start_epoch) < 0:
            raise ValueError(f"start_epoch must be >= 0 or None, got {start_epoch}")
        self.start_epoch = start_epoch
        self.cam_source, self.cam_model = cam_source, cam_model
        self.target_layer, self.cam_target, self.seed = target_layer, cam_target, seed
        self.needs_cam = "cam" in self.augment.inputs
        self.epoch = 0
        self.step = 0  # batches erased so far: the generator's position

    # -- hooks --------------------------------------------------------------------------
    def on_fit_start(self, trainer) -> None:
        if self.start_epoch is None:
            self.start_epoch = int(trainer.config.epochs) // 2
        if self.seed is None:
            self.seed = int(getattr(trainer.config, "seed", 0) or 0)
        if self.cam_model is not None:
            self.cam_model.to(trainer.device).eval()

    def on_epoch_start(self, trainer, epoch: int) -> None:
        self.epoch = int(epoch)

    @property
    def active(self) -> bool:
        start = 0 if self.start_epoch is None else self.start_epoch
        return self.epoch >= start

    def on_batch_start(self, trainer, x: torch.Tensor, y: torch.Tensor):
        if not self.active:
            return None
        step = getattr(trainer, "step", None)
        step = self.step if step is None else int(step)
        g = torch.Generator(device=x.device)
        g.manual_seed(((int(self.seed or 0) * _GOLDEN) + step) % (1 << 63))
        self.step += 1
        inputs = {"cam": self.cam(trainer, x, y)} if self.needs_cam else {}
        with torch.no_grad():
            x_erased = self.augment(x.detach(), generator=g, **inputs)  # (B, C, H, W)
        return torch.cat([x, x_erased]), torch.cat([y, y])  # (2B, C, H, W), (2B,)

    def on_epoch_end(self, trainer, epoch: int, record: Dict[str, Any]) -> None:
        record["erasing"] = self.active

    def state_dict(self) -> Dict[str, Any]:
        return {"step": self.step, "start_epoch": self.start_epoch, "seed": self.seed}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        self.step = int(state["step"])
        self.start_epoch, self.seed = state["start_epoch"], state["seed"]

    # -- CAM ----------------------------------------------------------------------------
    def cam(self, trainer, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Grad-CAM maps (B, H, W) of the batch from the configured source."""
        from simaug.cam import GradCAM  # deferred: simaug.cam is optional for other augments

        model = trainer.model if self.cam_source == "self" else self.cam_model
        layer = self.target_layer(model) if callable(self.target_layer) else self.target_layer
        targets = y if self.cam_target == "label" else None
        with GradCAM(model, layer) as grad_cam:
            return grad_cam(x.detach(), targets=targets)
