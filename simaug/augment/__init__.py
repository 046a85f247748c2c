"""Batched augmentations behind one protocol: the erasing kernels (Random Erasing, Cutout,
Hide-and-Seek, CAM-guided erasing), random affine warps, random crop + flip and (from
``simaug.shift``) the CIFAR-10-C corruptions, in one ``AUGMENTS`` registry; their
erase-ratio distributions; and ``AugmentCallback``, which applies any of them to the
trainer's batches.

Every transform is a ``BatchTransform``: a keyword-only dataclass and an ``nn.Module``
with a sampler and a pure batched kernel::

    aug = create_augment("random_erasing", p=0.5)
    x_aug = aug(x)                                     # (B, C, H, W) or (C, H, W)
    params = aug.sample(x, g); aug.apply(x, params)    # the same, replayable
    v2.Compose([v2.RandomHorizontalFlip(), aug])       # composes with torchvision v2
"""
from simaug.augment.callback import AugmentCallback
from simaug.augment.cam_erasing import CORNERS, CamErasing, cam_peaks
from simaug.augment.crop_flip import RandomCropFlip
from simaug.augment.crop_source import CropSource
from simaug.augment.cutout import Cutout
from simaug.augment.erase_ratio import erase_ratios
from simaug.augment.erasing import CIFAR10_MEAN, FILL_MODES, Augment, Erasing
from simaug.augment.hide_and_seek import HideAndSeek
from simaug.augment.identity import NoErasing
from simaug.augment.random_affine import RandomAffine
from simaug.augment.random_erasing import RandomErasing
from simaug.augment.registry import AUGMENTS, create_augment, list_augments
from simaug.augment.schedule import ErasingCallback
from simaug.augment.transform import BatchTransform, Params

import simaug.shift  # noqa: E402,F401  (registers the corruptions in AUGMENTS)

__all__ = [
    "AUGMENTS", "Augment", "AugmentCallback", "BatchTransform", "CIFAR10_MEAN", "CORNERS", "CamErasing",
    "CropSource", "Cutout", "Erasing", "ErasingCallback", "FILL_MODES", "HideAndSeek", "NoErasing", "Params", "RandomAffine",
    "RandomCropFlip", "RandomErasing", "cam_peaks", "create_augment", "erase_ratios", "list_augments",
]
