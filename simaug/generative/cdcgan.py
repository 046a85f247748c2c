"""Conditional DCGAN with a projection discriminator (the default generator).

Why a GAN and not a VAE or diffusion: the book trains classifiers on generated CIFAR-10
images (SPEC §03, experiment 1), so samples must be sharp *and* clearly of their class,
on a 2-core CPU in about 30 minutes. A conditional VAE is the most stable option but its
samples are blurred averages; a diffusion model needs far more compute than that budget
for recognisable 32x32 samples. A small DCGAN (Radford et al., 2016) gets sharp samples
within a few epochs, and a few well-tested additions make it reliable enough:

* generator: a class embedding concatenated to z and class-conditional batch norm (de
  Vries et al., 2017; Miyato & Koyama, 2018; BigGAN's shared embedding), so the class
  drives every layer;
* discriminator: spectral normalisation on every layer (Miyato et al., 2018), a
  minibatch-std feature against mode collapse (Karras et al., 2018) and the projection
  head ``D(x, y) = psi(h) + <embed(y), h>`` (Miyato & Koyama, 2018, eq. 3);
* hinge loss (Lim & Ye, 2017), Adam(lr, betas=(0.5, 0.999)), one D step per G step;
* the mode-seeking term of MSGAN (Mao et al., 2019), which stops the generator from
  mapping every z of a class to the same image (without it, short CPU runs produced one
  image per class).

If the GAN collapses on some run, ``create_generator("cvae")`` is the stable fallback
with the same API. Images are in [-1, 1]; sizes are fixed to 32x32.
"""
from __future__ import annotations

from typing import Dict, Optional

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from .generator import GENERATORS


class ConditionalBatchNorm2d(nn.Module):
    """``BN(x) * (1 + gamma(c)) + beta(c)``: batch norm with an affine map computed from a
    class vector ``c`` by linear layers (BigGAN's shared-embedding form, Brock et al., 2019).

    Shape:
        x (B, C, H, W), c (B, D) -> (B, C, H, W)
    """

    def __init__(self, num_features: int, cond_dim: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(num_features, affine=False)
        self.gamma = nn.Linear(cond_dim, num_features)
        self.beta = nn.Linear(cond_dim, num_features)
        for lin in (self.gamma, self.beta):  # start as plain BN
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return self.bn(x) * (1 + self.gamma(c)[:, :, None, None]) + self.beta(c)[:, :, None, None]


class ConditionalGenerator(nn.Module):
    """z (B, z_dim), y (B,) -> image (B, 3, 32, 32) in [-1, 1]; DCGAN's 4 -> 8 -> 16 -> 32.

    The class embedding is concatenated to z, and ``[z, embedding]`` feeds the first layer
    and every batch norm's gain and bias (BigGAN's shared embedding with skip-z). Both
    paths go through dense layers shared by all classes: a per-class bias table alone (one
    Adam step of ~lr per update) needs thousands of steps before the class shows, and
    feeding z to every layer keeps the samples of one class from collapsing onto one image.
    """

    def __init__(self, num_classes: int, z_dim: int, width: int):
        super().__init__()
        chans = [4 * width, 2 * width, width]
        self.embed = nn.Embedding(num_classes, z_dim)  # N(0, 1) init, as z
        self.fc = nn.Linear(2 * z_dim, chans[0] * 4 * 4)
        self.bn0 = ConditionalBatchNorm2d(chans[0], 2 * z_dim)
        self.ups = nn.ModuleList(nn.ConvTranspose2d(a, b, 4, 2, 1) for a, b in zip(chans[:-1], chans[1:]))
        self.bns = nn.ModuleList(ConditionalBatchNorm2d(b, 2 * z_dim) for b in chans[1:])
        self.out = nn.ConvTranspose2d(chans[-1], 3, 4, 2, 1)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        c = torch.cat([z, self.embed(y)], dim=1)  # (B, 2 z_dim) noise + class vector
        h = self.fc(c).view(z.shape[0], -1, 4, 4)  # (B, 4w, 4, 4)
        h = F.relu(self.bn0(h, c))
        for up, bn in zip(self.ups, self.bns):
            h = F.relu(bn(up(h), c))  # doubles H and W: 8x8, then 16x16
        return torch.tanh(self.out(h))  # (B, 3, 32, 32)


class ProjectionDiscriminator(nn.Module):
    """image (B, 3, 32, 32), y (B,) -> realness score (B,), spectral-normalised.

    Before the last layer a minibatch-standard-deviation channel (Karras et al., 2018,
    §3) tells D how diverse the batch is, so a generator that maps every z of a class to
    one image is easy to spot.
    """

    def __init__(self, num_classes: int, width: int):
        super().__init__()
        sn = spectral_norm
        self.convs = nn.ModuleList([
            sn(nn.Conv2d(3, width, 4, 2, 1)),  # 16x16
            sn(nn.Conv2d(width, 2 * width, 4, 2, 1)),  # 8x8
            sn(nn.Conv2d(2 * width, 4 * width, 4, 2, 1)),  # 4x4
        ])
        self.final = sn(nn.Conv2d(4 * width + 1, 4 * width, 3, 1, 1))  # 4x4, sees the std channel
        self.linear = sn(nn.Linear(4 * width, 1))
        self.embed = sn(nn.Embedding(num_classes, 4 * width))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = x
        for conv in self.convs:
            h = F.leaky_relu(conv(h), 0.1)
        # one scalar per batch: mean over features and positions of the std over the batch
        std = h.std(dim=0, unbiased=False).mean().expand(h.shape[0], 1, *h.shape[2:])  # (B, 1, 4, 4)
        h = F.leaky_relu(self.final(torch.cat([h, std], dim=1)), 0.1)
        h = h.sum(dim=(2, 3))  # (B, 4w) global sum pooling
        return self.linear(h).squeeze(1) + (self.embed(y) * h).sum(1)  # projection term


@GENERATORS.register("cdcgan")
class ConditionalDCGAN(nn.Module):
    """Generator + discriminator pair trained with the hinge loss.

    Args:
        num_classes: number of classes.
        z_dim: latent size.
        width: base channel count of both networks. The default 32 (G 0.81M, D 0.32M
            parameters) took ~7 ms per image per step on one core of a busy 2-core machine
            (load 8), ~6 min per CIFAR-10 epoch, so ~5 epochs (~3,900 steps of 64) fit
            the 30-minute budget; 64 (G 1.9M, D 1.3M) was ~2.7x slower per image.
        mode_seeking: weight of the MSGAN term (0 turns it off).

    Example:
        >>> gan = ConditionalDCGAN(10, width=8)
        >>> opts = gan.configure_optimizers(2e-4)
        >>> sorted(gan.training_step(torch.rand(4, 3, 32, 32) * 2 - 1, torch.arange(4), opts))
        ['d_loss', 'd_real', 'g_loss', 'g_mode_seeking']
    """

    def __init__(self, num_classes: int = 10, z_dim: int = 128, width: int = 32, mode_seeking: float = 1.0):
        super().__init__()
        if mode_seeking < 0:
            raise ValueError(f"mode_seeking must be >= 0, got {mode_seeking}")
        self.config = dict(num_classes=num_classes, z_dim=z_dim, width=width, mode_seeking=mode_seeking)
        self.generator = ConditionalGenerator(num_classes, z_dim, width)
        self.discriminator = ProjectionDiscriminator(num_classes, width)

    def configure_optimizers(self, lr: float) -> Dict[str, torch.optim.Optimizer]:
        betas = (0.5, 0.999)  # DCGAN's momentum; the default 0.9 oscillates
        return {
            "g": torch.optim.Adam(self.generator.parameters(), lr=lr, betas=betas),
            "d": torch.optim.Adam(self.discriminator.parameters(), lr=lr, betas=betas),
        }

    def generate(self, labels: torch.Tensor, z: Optional[torch.Tensor] = None,
                 generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """Images in [-1, 1] for ``labels`` (B,); latent ``z`` (B, z_dim) drawn if not given."""
        if z is None:
            z = torch.randn(labels.shape[0], self.config["z_dim"], generator=generator, device=labels.device)
        return self.generator(z, labels)

    def training_step(self, x, y, optimizers) -> Dict[str, float]:
        # fakes come in pairs: two latents per label, labels drawn from the real batch
        half = x.shape[0] // 2
        y_fake = y[:half].repeat(2)  # (2 * half,)
        z = torch.randn(2 * half, self.config["z_dim"], device=x.device)
        fake = self.generator(z, y_fake)  # (2 * half, 3, 32, 32)
        # discriminator: hinge loss, real vs detached fake
        d_real = self.discriminator(x, y)
        d_fake = self.discriminator(fake.detach(), y_fake)
        d_loss = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
        optimizers["d"].zero_grad(set_to_none=True)
        d_loss.backward()
        optimizers["d"].step()
        # generator: raise D's score of its samples, and keep the two samples of a pair
        # apart relative to their latents (mode seeking, Mao et al., 2019, eq. 3)
        g_adv = -self.discriminator(fake, y_fake).mean()
        ratio = (fake[:half] - fake[half:]).abs().flatten(1).mean(1) / (z[:half] - z[half:]).abs().mean(1)
        g_ms = self.config["mode_seeking"] / (ratio.mean() + 1e-5)
        optimizers["g"].zero_grad(set_to_none=True)
        (g_adv + g_ms).backward()
        optimizers["g"].step()
        return {"d_loss": d_loss.item(), "g_loss": g_adv.item(), "g_mode_seeking": g_ms.item(),
                "d_real": d_real.detach().mean().item()}
