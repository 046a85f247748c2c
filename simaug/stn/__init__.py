"""Learned affine augmentation with a spatial transformer and a max-entropy adversary
(Cho, Kim & Yoon; SPEC §01), its diagnostics, the remedies for its collapse to the
identity and the matched random-affine baseline."""
from ._freeze import eval_mode, frozen
from ..augment.affine import (
    PARAM_KEYS, AffineBounds, apply_affine, bounded_theta, compose_theta, identity_theta, theta_components,
)
from .arms import arm_config, list_arms
from .augmenter import STNAugmenter
from .config import STNConfig, VariantSpec, build_stn, get_variant, list_variants, VARIANTS
from .diagnostics import NEAR_IDENTITY, describe_augmenter, theta_summary
from .discriminator import Discriminator
from .entropy_loss import entropy_bits, entropy_margin_loss, max_entropy_loss
from .fine_tune import STNAugmentCallback
from .objective import adversarial_term, discriminator_loss, generator_loss, theta_penalty
from .random_affine import RandomAffineCallback, random_affine, sample_affine_params
from .stages import STNResult, STNSnapshots, train_augmenter

__all__ = [
    "AffineBounds", "Discriminator", "NEAR_IDENTITY", "PARAM_KEYS", "RandomAffineCallback",
    "STNAugmentCallback", "STNAugmenter", "STNConfig", "STNResult", "STNSnapshots", "VARIANTS",
    "VariantSpec", "adversarial_term", "apply_affine", "arm_config", "list_arms", "bounded_theta", "build_stn", "compose_theta",
    "describe_augmenter", "discriminator_loss", "entropy_bits", "entropy_margin_loss", "eval_mode",
    "frozen", "generator_loss", "get_variant", "identity_theta", "list_variants", "max_entropy_loss",
    "random_affine",
    "sample_affine_params", "theta_components", "theta_penalty", "theta_summary", "train_augmenter",
]
