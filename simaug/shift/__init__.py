"""Distribution shift: CIFAR-10-C style corruptions (Hendrycks & Dietterich, 2019), as
functions and as batch transforms (``Corruption``, in ``simaug.augment.AUGMENTS``), and
out-of-distribution scores with their AUROC."""
from . import blur, digital, noise, photometric  # noqa: F401  (register the corruptions)
from .blur import defocus_blur, gaussian_blur
from .corruption import CORRUPTIONS, SEVERITIES, Corruption, corrupt, list_corruptions
from .digital import box_resize, jpeg_compression, pixelate
from .noise import gaussian_noise, impulse_noise, shot_noise, speckle_noise
from .ood_score import HIGHER_IS_OOD, auroc, average_ranks, ood_auroc, ood_scores
from .photometric import brightness, contrast

__all__ = [
    "auroc",
    "average_ranks",
    "box_resize",
    "brightness",
    "contrast",
    "corrupt",
    "Corruption",
    "CORRUPTIONS",
    "defocus_blur",
    "gaussian_blur",
    "gaussian_noise",
    "HIGHER_IS_OOD",
    "impulse_noise",
    "jpeg_compression",
    "list_corruptions",
    "ood_auroc",
    "ood_scores",
    "pixelate",
    "SEVERITIES",
    "shot_noise",
    "speckle_noise",
]
