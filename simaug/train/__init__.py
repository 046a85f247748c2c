"""Training: ``Trainer``, ``TrainConfig``, ``Callback``."""
from .batch_transforms import random_crop_flip
from ..callback import Callback
from .checkpoint import load_checkpoint, save_checkpoint
from .config import TrainConfig
from .trainer import Trainer, channel_stats, resolve_device

__all__ = ["Trainer", "TrainConfig", "Callback", "random_crop_flip", "save_checkpoint", "load_checkpoint",
           "channel_stats", "resolve_device"]
