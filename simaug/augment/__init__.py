"""Batched erasing augmentations (Random Erasing, Cutout, Hide-and-Seek, CAM-guided
erasing), their erase-ratio distributions and the thesis' training schedule.

Every augmentation is a sampler (per-image parameters from a ``torch.Generator``) plus a
pure batched kernel; build them by name::

    aug = create_augment("random_erasing", p=0.5)
    x_aug = aug(x, generator=g)                 # (B, C, H, W)
    params = aug.sample(x, g); aug.apply(x, params)  # the same, replayable
"""
from simaug.augment._base import AUGMENTS, CIFAR10_MEAN, FILL_MODES, Augment, create_augment, list_augments
from simaug.augment.cam_erasing import CORNERS, CamErasing, cam_peaks
from simaug.augment.cutout import Cutout
from simaug.augment.erase_ratio import erase_ratios
from simaug.augment.hide_and_seek import HideAndSeek
from simaug.augment.identity import NoErasing
from simaug.augment.random_erasing import RandomErasing
from simaug.augment.schedule import ErasingCallback

__all__ = [
    "AUGMENTS", "Augment", "CIFAR10_MEAN", "CORNERS", "CamErasing", "Cutout", "ErasingCallback",
    "FILL_MODES", "HideAndSeek", "NoErasing", "RandomErasing", "cam_peaks", "create_augment",
    "erase_ratios", "list_augments",
]
