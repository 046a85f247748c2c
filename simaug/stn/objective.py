"""The stage-2 min-max objective of Cho, Kim & Yoon (SPEC §01, Section 3.2)::

    min_G max_D  E_I[ log D(I) + log(1 - D(G(I))) ] + lambda * E_I[ L_ME(G(I)) ]

D outputs a logit l; D(.) = sigmoid(l). In logits, log D = -softplus(-l) and
log(1 - D) = -softplus(l), which stay finite when D saturates.

* D descends ``discriminator_loss`` = -[log D(I) + log(1 - D(G(I)))] (binary cross-entropy,
  originals labelled 1). The paper's printed D gradient has log D(I') in the first term; we
  read it as the standard GAN objective it states one line above.
* G descends ``adv + lam * objective (+ theta_penalty * |θ - I|_F^2)``. ``adv`` is the
  paper's saturating ``log(1 - D(G(I)))`` or Goodfellow et al.'s non-saturating
  ``-log D(G(I))`` (same fixed point, stronger gradient while D wins).

The classifier C is used, never trained, here: the caller freezes it (``frozen``).
"""
from __future__ import annotations

from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..augment.affine import identity_theta
from .config import STNConfig, VariantSpec
from .entropy_loss import entropy_bits, entropy_margin_loss, max_entropy_loss


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-[mean log D(I) + mean log(1 - D(G(I)))] from D's logits.

    Shape: (B,), (B',) -> ().

    Example:
        >>> round(discriminator_loss(torch.zeros(4), torch.zeros(4)).item(), 4)  # 2 log 2
        1.3863
    """
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def adversarial_term(fake_logits: torch.Tensor, form: str = "saturating") -> torch.Tensor:
    """G's per-image adversarial term: log(1 - D) ("saturating", paper) or -log D.

    Shape: (B,) -> (B,).
    """
    if form == "saturating":
        return -F.softplus(fake_logits)
    if form == "non_saturating":
        return F.softplus(-fake_logits)
    raise ValueError(f"unknown adversarial form {form!r}; choose 'saturating' or 'non_saturating'")


def theta_penalty(theta: torch.Tensor) -> torch.Tensor:
    """|θ - [I | 0]|_F^2 per image. Shape: (B, 2, 3) -> (B,)."""
    eye = identity_theta(theta.shape[0], theta.device, theta.dtype)
    return (theta - eye).pow(2).flatten(1).sum(1)


def entropy_objective(logits: torch.Tensor, cfg: STNConfig, spec: VariantSpec) -> torch.Tensor:
    """The entropy part of G's loss, per image, before the weight lam. Shape: (B, m) -> (B,)."""
    if spec.objective == "margin":
        return entropy_margin_loss(logits, cfg.entropy_target, reduction="none")
    return max_entropy_loss(logits, eps=cfg.eps, reduction="none", form=cfg.me_form)


def generator_loss(
    classifier: nn.Module,
    G: nn.Module,
    D: Optional[nn.Module],
    x: torch.Tensor,
    cfg: STNConfig,
) -> Dict[str, torch.Tensor]:
    """G's loss on a batch and everything the diagnostics need.

    Args:
        classifier: frozen C (gradients flow *through* it into G, not into its weights).
        G: the augmenter, returning (images, θ) with ``return_theta=True``.
        D: the discriminator, or None for variants without one.
        x: float normalised images (B, C, H, W).

    Returns:
        dict with ``loss`` () to backpropagate, per-image (B,) ``adv``, ``objective``,
        ``penalty``, ``entropy`` (bits, on G(x)), and ``x_aug``, ``theta``, ``logits``.
    """
    spec = cfg.spec
    if spec.use_disc and D is None:
        raise ValueError(f"variant {spec.name!r} trains against a discriminator; pass D")
    x_aug, theta = G(x, return_theta=True)  # (B, C, H, W), (B, 2, 3)
    logits = classifier(x_aug)  # (B, m)
    zeros = torch.zeros(x.shape[0], device=x.device, dtype=x_aug.dtype)
    adv = adversarial_term(D(x_aug), cfg.adv_form) if spec.use_disc else zeros
    objective = entropy_objective(logits, cfg, spec)
    penalty = theta_penalty(theta) if spec.penalty else zeros
    loss = adv.mean() + cfg.lam * objective.mean() + cfg.theta_penalty * penalty.mean()
    return dict(
        loss=loss, adv=adv, objective=objective, penalty=penalty,
        entropy=entropy_bits(logits.detach()), x_aug=x_aug, theta=theta, logits=logits,
    )
