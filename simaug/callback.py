"""Trainer callbacks (minGPT's ``Trainer`` callbacks, Lightning's hook names): the base class,
below every package that provides a callback (``simaug.train`` re-exports it).

A callback sees the trainer at fixed points of the loop. Notebooks attach confusion-rate
bookkeeping, CAM-guided erasing or STN augmentation through these hooks instead of copying
the loop. Every hook is optional; the default does nothing.

Hook order per epoch::

    on_epoch_start -> [on_batch_start -> forward/backward -> on_batch_end] * steps
                   -> evaluation -> on_epoch_end

``on_batch_start`` may replace the batch: it returns ``(x, y)`` (for example the batch
concatenated with its erased copies) or ``None`` to keep it. ``x`` is float, normalised,
already cropped/flipped, on the training device, shape (B, C, H, W).

A callback with state that must survive a resume implements ``state_dict`` /
``load_state_dict``; the trainer stores it in every checkpoint.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import torch


class Callback:
    def on_fit_start(self, trainer) -> None: ...

    def on_epoch_start(self, trainer, epoch: int) -> None: ...

    def on_batch_start(
        self, trainer, x: torch.Tensor, y: torch.Tensor
    ) -> Optional[Tuple[torch.Tensor, torch.Tensor]]:
        return None

    def on_batch_end(self, trainer, out: Dict[str, Any]) -> None:
        """``out`` holds ``loss`` (float tensor, detached), ``logits`` (B, K, detached),
        ``targets`` (B,), ``step`` (global step)."""

    def on_epoch_end(self, trainer, epoch: int, record: Dict[str, Any]) -> None:
        """``record`` is this epoch's history row; a callback may add keys to it.
        ``trainer.train_cm`` / ``trainer.test_cm`` hold the epoch's confusion matrices."""

    def on_fit_end(self, trainer) -> None: ...

    def state_dict(self) -> Dict[str, Any]:
        return {}

    def load_state_dict(self, state: Dict[str, Any]) -> None: ...
