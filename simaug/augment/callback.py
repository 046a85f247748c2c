"""One trainer callback for every batch augmentation: erasing (the thesis' schedule, Oh
2024, Section III.2, Fig. 8), random affine copies and a trained STN augmenter (Cho, Kim
& Yoon's stage 3).

From epoch ``start_epoch`` on, every training batch (float, normalised, on the device,
after the trainer's crop + flip) is augmented, and either the copy is appended,
``(x, y) -> (cat([x, t(x)]), cat([y, y]))`` (the effective batch doubles, 128 -> 256:
"trained together with the originals"), or it replaces the batch, ``(t(x), y)``.

Seeding: the transform's generator is seeded with a mix of (seed, step), ``step`` being
the trainer's global optimiser step (restored on resume; this callback's own count of
augmented batches, saved by ``state_dict``, for a trainer without one), so a resumed run
draws the same boxes as an uninterrupted one, and nothing depends on how many random
numbers earlier batches used.
"""
from __future__ import annotations

import contextlib
from typing import Any, Dict, Optional, Tuple, Union

import torch
from torch import nn

from simaug.augment.registry import create_augment
from simaug.augment.transform import BatchTransform
from simaug.cam.source import CamSource
from simaug.callback import Callback

_GOLDEN = 0x9E3779B97F4A7C15  # odd 64-bit constant: spreads (seed, step) over seed space
MODES = ("append", "replace")


def step_seed(seed: int, step: int) -> int:
    """The generator seed of batch ``step``: (seed * golden + step) mod 2^63."""
    return (int(seed) * _GOLDEN + int(step)) % (1 << 63)


class AugmentCallback(Callback):
    """Augment every training batch from ``start_epoch`` on.

    Args:
        transform: a ``BatchTransform``, a name for ``create_augment`` (e.g.
            ``"random_erasing"``, ``"cam_erasing"``), or any other ``nn.Module`` mapping
            (B, C, H, W) -> (B, C, H, W) without randomness of its own (e.g. a trained
            STN augmenter G; it runs in eval mode, moved to the batch's device).
        start_epoch: first epoch (0-based) with augmentation; None: half of
            ``trainer.config.epochs`` (the thesis' warm-up).
        mode: ``"append"`` (originals + copies, labels repeated) or ``"replace"``.
        seed: base seed of the per-batch generator; None: ``trainer.config.seed`` (or 0).
        cam_source: where a CAM-guided transform (``"cam"`` in its ``inputs``) gets its
            maps; None: ``CamSource()``, Grad-CAM of the trained model's ``layer3`` for
            the true class. Built in ``on_fit_start``, released in ``on_fit_end``.

    The copies are computed under ``torch.no_grad`` from ``x.detach()``; the originals
    pass through untouched.

    Example (in simaug's Trainer):
        >>> import torch
        >>> from simaug.augment import AugmentCallback, create_augment
        >>> cb = AugmentCallback(create_augment("random_erasing", p=1.0), start_epoch=0, seed=0)
        >>> # Trainer(model, TrainConfig(epochs=30), train, test, callbacks=[cb]).fit()
        >>> x2, y2 = cb.on_batch_start(None, torch.rand(4, 3, 32, 32), torch.arange(4))
        >>> x2.shape, y2.tolist()
        (torch.Size([8, 3, 32, 32]), [0, 1, 2, 3, 0, 1, 2, 3])
    """

    def __init__(self, transform: Union[str, nn.Module], start_epoch: Optional[int] = 0, mode: str = "append",
                 seed: Optional[int] = None, cam_source: Optional[CamSource] = None):
        transform = create_augment(transform) if isinstance(transform, str) else transform
        if not isinstance(transform, nn.Module):
            raise TypeError(f"transform must be a BatchTransform, a registered name or an nn.Module, got {type(transform)}")
        if mode not in MODES:
            raise ValueError(f"mode must be 'append' or 'replace', got {mode!r}")
        if start_epoch is not None and int(start_epoch) < 0:
            raise ValueError(f"start_epoch must be >= 0 or None (half the epochs), got {start_epoch}")
        if cam_source is not None and not isinstance(cam_source, CamSource):
            raise TypeError(f"cam_source must be a simaug.cam.CamSource, got {type(cam_source)}")
        self.transform, self.mode = transform, mode
        self.start_epoch, self.seed = start_epoch, seed
        self.needs_cam = "cam" in getattr(transform, "inputs", ())
        if cam_source is not None and not self.needs_cam:
            raise ValueError(f"cam_source= is only used by CAM-guided transforms, not {type(transform).__name__}")
        self.cam_source = (cam_source or CamSource()) if self.needs_cam else None
        self.epoch = 0
        self.step = 0  # batches augmented so far: the generator's position without trainer.step

    # -- hooks --------------------------------------------------------------------------
    def on_fit_start(self, trainer) -> None:
        config = getattr(trainer, "config", None)
        if self.start_epoch is None:
            self.start_epoch = int(getattr(config, "epochs", 0)) // 2
        if self.seed is None:
            self.seed = int(getattr(config, "seed", 0) or 0)
        device = getattr(trainer, "device", None)
        if device is not None and not isinstance(self.transform, BatchTransform):
            self.transform.to(device)
        if self.cam_source is not None:
            self.cam_source.start(trainer.model, device)

    def on_epoch_start(self, trainer, epoch: int) -> None:
        self.epoch = int(epoch)

    @property
    def active(self) -> bool:
        return self.epoch >= (0 if self.start_epoch is None else self.start_epoch)

    def on_batch_start(self, trainer, x: torch.Tensor, y: torch.Tensor) -> Optional[Tuple[torch.Tensor, torch.Tensor]]:
        if not self.active:
            return None
        step = getattr(trainer, "step", None)
        step = self.step if step is None else int(step)
        generator = self.generator_for(step, x.device)
        self.step += 1
        x_aug = self.transform_batch(trainer, x, y, generator)  # (B, C, H, W)
        if self.mode == "replace":
            return x_aug, y
        return torch.cat([x, x_aug]), torch.cat([y, y])  # (2B, C, H, W), (2B,)

    def on_fit_end(self, trainer) -> None:
        if self.cam_source is not None:
            self.cam_source.close()

    def state_dict(self) -> Dict[str, Any]:
        return {"step": self.step, "start_epoch": self.start_epoch, "seed": self.seed}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        self.step = int(state["step"])
        self.start_epoch, self.seed = state["start_epoch"], state["seed"]

    # -- the augmentation ---------------------------------------------------------------
    def generator_for(self, step: int, device: torch.device) -> torch.Generator:
        """The generator of batch ``step``, on the batch's device, seeded by (seed, step)."""
        g = torch.Generator(device=device)
        return g.manual_seed(step_seed(self.seed or 0, step))

    def transform_batch(self, trainer, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """The augmented copy (B, C, H, W) of the batch."""
        t = self.transform
        if isinstance(t, BatchTransform):
            inputs = {"cam": self.cam(trainer, x, y)} if self.needs_cam else {}
            with torch.no_grad():
                return t(x.detach(), generator=generator, **inputs)
        param = next(t.parameters(), None)
        if param is not None and param.device != x.device:
            t.to(x.device)
        modes = {m: m.training for m in t.modules()}
        t.eval()
        try:
            with torch.no_grad():
                return t(x.detach())
        finally:
            for m, flag in modes.items():
                m.training = flag

    def cam(self, trainer, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """CAM maps (B, H, W) of the batch from ``cam_source`` (started on first use when
        ``on_fit_start`` was not called), at the trainer's precision (``trainer.autocast``)."""
        if not self.cam_source.started:
            self.cam_source.start(getattr(trainer, "model", None), getattr(trainer, "device", None))
        autocast = getattr(trainer, "autocast", None)
        with autocast() if callable(autocast) else contextlib.nullcontext():
            return self.cam_source(x, y)
