"""Class-conditional generators for CIFAR-10 (conditional DCGAN with a projection
discriminator; conditional VAE fallback), their training loop, sampling and export as an
image-folder data set with provenance."""
from . import cdcgan, cvae  # noqa: F401  (register the generators)
from .cdcgan import ConditionalDCGAN
from .cvae import ConditionalVAE
from .generator import GENERATORS, create_generator, list_generators, load_generator, sample
from .image_dataset import save_image_dataset, sha256_file, sha256_tensor
from .training import train_generator

__all__ = [
    "ConditionalDCGAN",
    "ConditionalVAE",
    "create_generator",
    "GENERATORS",
    "list_generators",
    "load_generator",
    "sample",
    "save_image_dataset",
    "sha256_file",
    "sha256_tensor",
    "train_generator",
]
