"""Class-conditional generators for CIFAR-10 (conditional DCGAN with a projection
discriminator; conditional VAE fallback), their training loop, sampling and export as an
image-folder data set with provenance. Sample grids are drawn by
:func:`simaug.plots.image_grid.plot_class_grid`."""
from . import cdcgan, cvae  # noqa: F401  (register the generators)
from .cdcgan import ConditionalDCGAN
from .cvae import ConditionalVAE
from .generator import GENERATORS, create_generator, list_generators, load_generator, sample, save_generator, weights_digest
from .image_dataset import save_image_dataset, sha256_file, sha256_tensor
from .mixing import concat_sets, holdout_split
from .training import train_generator

__all__ = [
    "concat_sets",
    "ConditionalDCGAN",
    "ConditionalVAE",
    "create_generator",
    "GENERATORS",
    "holdout_split",
    "list_generators",
    "load_generator",
    "sample",
    "save_generator",
    "save_image_dataset",
    "sha256_file",
    "sha256_tensor",
    "train_generator",
    "weights_digest",
]
