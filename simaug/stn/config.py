"""Stage-2 settings of Cho, Kim & Yoon (SPEC §01) and the remedies, selected by name.

The paper's own analysis (Section 4.2) blames the collapse of G to the identity on the
min-max game being too easy for G and proposes three fixes: a lower-freedom loss,
regularising the localisation net's outputs, and removing the discriminator. Each variant
below changes one switch, so neighbouring rows are ablations of each other:

=============  ========  =====  ===========  ==========================================
variant        θ         D      objective    what it tests
=============  ========  =====  ===========  ==========================================
paper          free      yes    L_ME         the published method
bounded        bounded   yes    L_ME         θ parameterised inside ``bounds`` (tanh)
penalty        free      yes    L_ME + pen   + theta_penalty * |θ - I|_F^2 on G's output
no_disc        bounded   no     L_ME         D removed (the bound keeps images usable)
low_freedom    bounded   yes    margin       L_ME -> relu(target - H / log2 m)
=============  ========  =====  ===========  ==========================================

"L_ME" follows ``STNConfig.me_form``: "paper" (printed sign, which lowers the entropy,
see ``simaug.stn.entropy_loss``) or "ascent" (the sign that raises it). The margin
objective raises the entropy by construction, whatever ``me_form`` says.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple

import torch

from simaug._registry import Registry

from ..augment.affine import AffineBounds
from .augmenter import STNAugmenter
from .discriminator import Discriminator
from .entropy_loss import FORMS

VARIANTS = Registry("STN variant")
ADV_FORMS = ("saturating", "non_saturating")


@dataclass(frozen=True)
class VariantSpec:
    """Switches of one stage-2 variant (module table)."""

    name: str
    theta: str  # "free" | "bounded": G's parameterisation
    use_disc: bool  # train against D
    objective: str  # "me" | "margin"
    penalty: bool  # add theta_penalty * |θ - I|_F^2


for _spec in (
    VariantSpec("paper", "free", True, "me", False),
    VariantSpec("bounded", "bounded", True, "me", False),
    VariantSpec("penalty", "free", True, "me", True),
    VariantSpec("no_disc", "bounded", False, "me", False),
    VariantSpec("low_freedom", "bounded", True, "margin", False),
):
    VARIANTS.register(_spec.name)(_spec)


def get_variant(name: str) -> VariantSpec:
    """The ``VariantSpec`` registered as ``name`` (KeyError lists the known names)."""
    return VARIANTS.get(name)


def list_variants() -> list:
    return VARIANTS.names()


@dataclass
class STNConfig:
    """Defaults = the paper's stage 2 (G Adam 1e-4, D SGD 1e-4, lambda = 2).

    Unknown keys raise TypeError (dataclass constructor); bad values raise ValueError.
    ``bounds`` may be given as a dict (papermill parameters are plain literals).
    """

    variant: str = "paper"  # one of list_variants()
    lam: float = 2.0  # weight of the entropy term in G's loss (the paper's lambda)
    g_lr: float = 1e-4  # Adam learning rate of G
    g_betas: Tuple[float, float] = (0.9, 0.999)  # Adam betas of G (PyTorch defaults)
    d_lr: float = 1e-4  # SGD learning rate of D
    d_momentum: float = 0.0  # SGD momentum of D (the paper names plain SGD)
    batch_size: int = 128  # images per stage-2 step (not given in the paper)
    eps: float = 1e-6  # keeps L_ME finite at the uniform prediction
    me_form: str = "paper"  # "paper" (printed sign) | "ascent" (sign that raises H)
    adv_form: str = "saturating"  # G's term: log(1 - D(G(I))) (paper) | "non_saturating": -log D(G(I))
    theta_penalty: float = 1.0  # lambda_theta of variant "penalty", per |θ - I|_F^2
    entropy_target: float = 0.5  # target H / log2 m of variant "low_freedom"
    bounds: AffineBounds = field(default_factory=AffineBounds)  # box of the bounded θ

    def __post_init__(self):
        if isinstance(self.bounds, dict):
            self.bounds = AffineBounds(**self.bounds)
        if not isinstance(self.bounds, AffineBounds):
            raise TypeError(f"bounds must be an AffineBounds or a dict of its fields, got {type(self.bounds)}")
        get_variant(self.variant)  # KeyError with close matches for a typo
        if self.me_form not in FORMS:
            raise ValueError(f"unknown me_form {self.me_form!r}; choose one of {FORMS}")
        if self.adv_form not in ADV_FORMS:
            raise ValueError(f"unknown adv_form {self.adv_form!r}; choose one of {ADV_FORMS}")
        for name in ("g_lr", "d_lr", "eps"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.lam < 0 or self.theta_penalty < 0 or self.d_momentum < 0:
            raise ValueError("lam, theta_penalty and d_momentum must be >= 0")
        if int(self.batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if not 0.0 < self.entropy_target <= 1.0:
            raise ValueError(f"entropy_target is a normalised entropy in (0, 1], got {self.entropy_target}")
        self.g_betas = tuple(self.g_betas)

    @property
    def spec(self) -> VariantSpec:
        return get_variant(self.variant)


def build_stn(
    cfg: STNConfig, in_channels: int = 3, width: int = 16, seed: Optional[int] = None
) -> Tuple[STNAugmenter, Optional[Discriminator]]:
    """G and D (None for variants without D) shaped for ``cfg.variant``.

    Args:
        seed: seeds the initial weights of G and D (None: the global RNG).

    Example:
        >>> G, D = build_stn(STNConfig(variant="no_disc"), seed=0)
        >>> G.param, D
        ('bounded', None)
    """
    spec = cfg.spec
    # fork_rng: seeding here does not disturb the caller's global RNG stream.
    with torch.random.fork_rng(devices=[], enabled=seed is not None):
        if seed is not None:
            torch.manual_seed(seed)
        bounds = cfg.bounds if spec.theta == "bounded" else None
        G = STNAugmenter(in_channels, param=spec.theta, bounds=bounds, width=width)
        D = Discriminator(in_channels, width=width) if spec.use_disc else None
    return G, D
