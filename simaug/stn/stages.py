"""The three training stages of Cho, Kim & Yoon (SPEC §01, Section 3).

1. Train the classifier C with cross-entropy: ``simaug.train.Trainer`` as is.
2. Freeze C; train G (and D) with the min-max objective: ``train_augmenter`` here.
3. Drop D; fine-tune C on G's outputs together with the originals:
   ``Trainer(..., callbacks=[STNAugmentCallback(G)])``.

``train_augmenter`` logs one history row every ``log_every`` steps (losses, D's outputs,
the classifier's entropy on G(x) and x, θ's distance from the identity and its parts, see
``simaug.stn.diagnostics``) and keeps θ of a few fixed images every ``snapshot_every``
steps, to draw the paper's Fig. 2 (curves) and Fig. 3 (input vs output) with
``simaug.plots.stn``.

Determinism: ``grid_sample``'s backward is not deterministic on CUDA, so stage 2 on a GPU
is not bit-reproducible even with fixed seeds; on CPU it is.
"""
from __future__ import annotations

import math
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Callable, List, NamedTuple, Optional

import pandas as pd
import torch
import torch.nn as nn

from ._freeze import frozen, no_param_grad
from ..augment.affine import apply_affine
from .config import STNConfig
from .diagnostics import theta_summary
from .entropy_loss import entropy_bits
from .objective import discriminator_loss, generator_loss


@dataclass
class STNSnapshots:
    """θ of fixed images at chosen steps; ``images(i)`` replays the warps for display.

    ``images`` warps the [0, 1] display images with the stored θ, so G's zero padding
    (the mean colour in normalised space) shows as black.
    """

    inputs: torch.Tensor  # uint8 (K, C, H, W), CPU
    padding_mode: str = "zeros"
    align_corners: bool = False
    steps: List[int] = field(default_factory=list)
    thetas: List[torch.Tensor] = field(default_factory=list)  # each (K, 2, 3), CPU

    def images(self, i: int) -> torch.Tensor:
        """Display images (K, C, H, W) in [0, 1] of snapshot ``i`` (an index into ``steps``)."""
        x = self.inputs.float() / 255.0
        return apply_affine(x, self.thetas[i], self.padding_mode, self.align_corners).clamp(0, 1)


class STNResult(NamedTuple):
    history: pd.DataFrame
    snapshots: Optional[STNSnapshots]


def _check_images(name: str, images: Optional[torch.Tensor], labels: Optional[torch.Tensor]) -> None:
    if images is None:
        return
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.ndim != 4:
        raise TypeError(f"{name} must be a uint8 tensor (N, C, H, W), e.g. ImageSet.images")
    if labels is not None and (labels.ndim != 1 or labels.shape[0] != images.shape[0]):
        raise ValueError(f"labels for {name} must have shape ({images.shape[0]},), got {tuple(labels.shape)}")


def _row(classifier, x, y, out: dict, real: Optional[torch.Tensor], fake: Optional[torch.Tensor]) -> dict:
    """History columns of one batch from G's loss dict and D's logits on x and G(x)."""
    with torch.no_grad():
        logits_orig = classifier(x)  # (B, m)
        row = dict(loss_g=out["loss"].item(), loss_g_adv=out["adv"].mean().item(),
                   loss_g_obj=out["objective"].mean().item(), loss_g_penalty=out["penalty"].mean().item(),
                   entropy_aug=out["entropy"].mean().item(), entropy_orig=entropy_bits(logits_orig).mean().item())
        if real is not None:
            row.update(loss_d=discriminator_loss(real, fake).item(),
                       d_real=torch.sigmoid(real).mean().item(), d_fake=torch.sigmoid(fake).mean().item())
        else:
            row.update(loss_d=math.nan, d_real=math.nan, d_fake=math.nan)
        if y is not None:
            row.update(acc_orig=(logits_orig.argmax(1) == y).float().mean().item(),
                       acc_aug=(out["logits"].argmax(1) == y).float().mean().item())
    row.update(theta_summary(out["theta"]))
    return row


@torch.no_grad()
def _measure(classifier, G, D, x, y, cfg) -> dict:
    """``_row`` of a held-out batch, nothing updated."""
    out = generator_loss(classifier, G, D, x, cfg)
    real, fake = (D(x), D(out["x_aug"])) if D is not None else (None, None)
    return {"test_" + k: v for k, v in _row(classifier, x, y, out, real, fake).items()}


def train_augmenter(
    classifier: nn.Module,
    G: nn.Module,
    D: Optional[nn.Module],
    images: torch.Tensor,
    *,
    to_input: Callable[[torch.Tensor], torch.Tensor],
    cfg: Optional[STNConfig] = None,
    steps: int = 100,
    labels: Optional[torch.Tensor] = None,
    test_images: Optional[torch.Tensor] = None,
    test_labels: Optional[torch.Tensor] = None,
    snapshot_images: Optional[torch.Tensor] = None,
    snapshot_every: int = 0,
    log_every: int = 1,
    seed: int = 0,
    device=None,
) -> STNResult:
    """Stage 2: C frozen (eval mode, no grad), G and D trained adversarially.

    Each step draws ``cfg.batch_size`` images uniformly with replacement (seeded
    ``torch.Generator``), takes one SGD step of D on -[log D(x) + log(1 - D(G(x)))] and one
    Adam step of G on its loss (``simaug.stn.objective``). The paper's "50 epochs" are
    ``steps = 50 * N // batch_size``.

    Args:
        classifier: trained C; left exactly as it was (weights, BN buffers, mode, flags).
        G: the augmenter (``build_stn``); its parameterisation must match ``cfg.variant``.
        D: the discriminator, or None iff the variant has none.
        images: uint8 (N, C, H, W) training images, CPU or device.
        to_input: uint8 batch on ``device`` -> float normalised (B, C, H, W), as C was trained.
        cfg: ``STNConfig`` (default: the paper's settings).
        labels: optional (N,) to log accuracies on x and G(x).
        test_images, test_labels: optional held-out images; a fixed batch of them is scored
            at every logged step, in columns prefixed ``test_`` (the paper's orange curves).
        snapshot_images: optional uint8 (K, C, H, W) whose θ is stored at step 0, every
            ``snapshot_every`` steps and at the end.
        log_every: steps between history rows. A row holds the values of that step's batch:
            D's before D's update, G's after D's update and before G's (the usual GAN log);
            the ``test_`` columns are measured after both updates.
        seed: seeds the batch sampler (weights are seeded by ``build_stn``).
        device: default: the classifier's device.

    Returns:
        ``STNResult(history, snapshots)``: history is a DataFrame with one row per logged
        step (``step`` 1..steps), snapshots an ``STNSnapshots`` or None.
    """
    cfg = cfg if cfg is not None else STNConfig()
    spec = cfg.spec
    _check_images("images", images, labels)
    _check_images("test_images", test_images, test_labels)
    _check_images("snapshot_images", snapshot_images, None)
    if getattr(G, "param", spec.theta) != spec.theta:
        raise ValueError(f"variant {spec.name!r} needs a {spec.theta!r} G, got {G.param!r}; build G and D "
                         "with build_stn(cfg)")
    if spec.use_disc != (D is not None):
        raise ValueError(f"variant {spec.name!r} {'needs' if spec.use_disc else 'has no'} discriminator; "
                         f"pass {'a D' if spec.use_disc else 'D=None'} (build_stn(cfg) returns the right pair)")
    if steps < 1 or log_every < 1 or snapshot_every < 0:
        raise ValueError("need steps >= 1, log_every >= 1 and snapshot_every >= 0")
    device = torch.device(device) if device is not None else next(classifier.parameters()).device
    G.to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.g_lr, betas=cfg.g_betas)
    if D is not None:
        D.to(device)
        opt_d = torch.optim.SGD(D.parameters(), lr=cfg.d_lr, momentum=cfg.d_momentum)
    gen = torch.Generator().manual_seed(seed)
    batch = lambda imgs, idx: to_input(imgs[idx.to(imgs.device)].to(device))  # noqa: E731
    test_x = test_y = None
    if test_images is not None:
        idx = torch.randperm(test_images.shape[0], generator=gen)[: cfg.batch_size]
        test_x = batch(test_images, idx)
        test_y = test_labels[idx.to(test_labels.device)].to(device) if test_labels is not None else None
    snaps = None
    if snapshot_images is not None:
        snaps = STNSnapshots(snapshot_images.cpu(), getattr(G, "padding_mode", "zeros"),
                             getattr(G, "align_corners", False))
        snap_x = to_input(snapshot_images.to(device))

    def snapshot(step: int) -> None:
        if snaps is not None and (not snaps.steps or snaps.steps[-1] != step):
            with torch.no_grad():
                snaps.thetas.append(G.theta(snap_x).cpu())
            snaps.steps.append(step)

    rows = []
    with frozen(classifier):
        snapshot(0)
        for step in range(1, steps + 1):
            idx = torch.randint(images.shape[0], (cfg.batch_size,), generator=gen)
            x = batch(images, idx)  # (B, C, H, W) float
            y = labels[idx.to(labels.device)].to(device) if labels is not None else None
            real = fake = None
            if D is not None:  # D ascends log D(x) + log(1 - D(G(x))), G fixed
                with torch.no_grad():
                    x_fake = G(x)
                real, fake = D(x), D(x_fake)  # (B,) logits
                opt_d.zero_grad(set_to_none=True)
                discriminator_loss(real, fake).backward()
                opt_d.step()
            # G's step: gradients flow through D into G, not into D's weights
            with no_param_grad(D) if D is not None else nullcontext():
                out = generator_loss(classifier, G, D, x, cfg)
                opt_g.zero_grad(set_to_none=True)
                out["loss"].backward()
            opt_g.step()
            if (step - 1) % log_every == 0 or step == steps:
                real, fake = (real.detach(), fake.detach()) if D is not None else (None, None)
                row = dict(step=step, **_row(classifier, x, y, out, real, fake))
                if test_x is not None:
                    row.update(_measure(classifier, G, D, test_x, test_y, cfg))
                rows.append(row)
            if snapshot_every and step % snapshot_every == 0:
                snapshot(step)
        snapshot(steps)
    return STNResult(pd.DataFrame(rows), snaps)
