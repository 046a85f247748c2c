"""``ErasingCallback``: the name of the thesis' erasing schedule (Oh 2024, Section III.2,
Fig. 8) before issue 13, kept as a thin subclass of ``AugmentCallback`` so existing code
and stored runs keep working. New code: ``AugmentCallback(transform, start_epoch, ...)``
with a ``simaug.cam.CamSource`` for CAM-guided erasing.

The first ``start_epoch`` epochs train without erasing (warm-up: the CAM needs a model
that has learned something; the thesis uses half of the epochs), then every batch is
trained together with its erased copy. The draws are exactly those of
``AugmentCallback`` with the same seed.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Union

from torch import nn

from simaug.augment.callback import AugmentCallback
from simaug.augment.erasing import Erasing
from simaug.augment.registry import create_augment
from simaug.cam.source import CamSource


class ErasingCallback(AugmentCallback):
    """``AugmentCallback(augment, start_epoch, mode="append", seed, cam_source=...)``
    under its old name and arguments; adds ``erasing`` (bool) to each epoch's record.

    Args:
        augment: an erasing transform or its registered name.
        start_epoch: first epoch (0-based) with erasing; None: ``trainer.config.epochs // 2``.
        cam_source: ``"self"`` (Grad-CAM of the model being trained) or ``"model"``
            (of ``cam_model``, a separately trained network).
        cam_model: the network for ``cam_source="model"``.
        target_layer: the layer Grad-CAM explains: a dotted name (``"layer3"``) or a
            callable ``model -> module``.
        cam_target: ``"label"`` (CAM of the true class, default) or ``"predicted"``.
        seed: base seed of the per-batch generator; None: ``trainer.config.seed`` (or 0).

    Example:
        >>> import torch
        >>> cb = ErasingCallback("cutout", start_epoch=0)
        >>> cb.on_epoch_start(None, 0)
        >>> x2, y2 = cb.on_batch_start(None, torch.rand(4, 3, 32, 32), torch.arange(4))
        >>> x2.shape, y2.tolist()
        (torch.Size([8, 3, 32, 32]), [0, 1, 2, 3, 0, 1, 2, 3])
    """

    def __init__(self, augment: Union[str, Erasing], start_epoch: Optional[int] = None, cam_source: str = "self",
                 cam_model: Optional[nn.Module] = None,
                 target_layer: Union[str, Callable[[nn.Module], nn.Module]] = "layer3",
                 cam_target: str = "label", seed: Optional[int] = None):
        augment = create_augment(augment) if isinstance(augment, str) else augment
        if not isinstance(augment, Erasing):
            raise TypeError(f"augment must be an erasing transform or its registered name, got {type(augment)}")
        if cam_source not in ("self", "model"):
            raise ValueError(f"cam_source must be 'self' or 'model', got {cam_source!r}")
        if (cam_source == "model") != (cam_model is not None):
            raise ValueError("cam_model= is required with cam_source='model' and only used with it")
        if cam_target not in ("label", "predicted"):
            raise ValueError(f"cam_target must be 'label' or 'predicted', got {cam_target!r}")
        source = None
        if "cam" in augment.inputs:
            source = CamSource(model=cam_model, target_layer=target_layer, target=cam_target)
        super().__init__(augment, start_epoch=start_epoch, mode="append", seed=seed, cam_source=source)

    @property
    def augment(self) -> Erasing:
        """The erasing transform (``transform`` under its old name)."""
        return self.transform

    def on_epoch_end(self, trainer, epoch: int, record: Dict[str, Any]) -> None:
        record["erasing"] = self.active
