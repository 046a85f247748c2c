"""Conditional variational autoencoder (Kingma & Welling, 2014; Sohn et al., 2015), the
stable fallback generator.

Encoder q(z | x, y) and decoder p(x | z, y) are small conv nets; the label enters both as
a learned embedding (added as extra input channels to the encoder and concatenated to z
for the decoder). The loss per image is the negative ELBO

    sum_pixels (x - x_hat)^2 / (2 sigma_x^2) + KL(N(mu, diag s^2) || N(0, I))

with a fixed Gaussian decoder std ``sigma_x`` (in [-1, 1] pixel units; smaller = sharper,
less regularised). Training is a single, non-adversarial objective, so it cannot
collapse, but samples are blurrier than the GAN's (see :mod:`.cdcgan`).
"""
from __future__ import annotations

from typing import Dict, Optional

import torch
from torch import nn

from .generator import GENERATORS


@GENERATORS.register("cvae")
class ConditionalVAE(nn.Module):
    """Args:
        num_classes: number of classes.
        z_dim: latent size.
        width: base channel count.
        sigma_x: decoder noise std in [-1, 1] pixel units.

    Example:
        >>> vae = ConditionalVAE(10, width=8)
        >>> opts = vae.configure_optimizers(1e-3)
        >>> sorted(vae.training_step(torch.rand(4, 3, 32, 32) * 2 - 1, torch.arange(4), opts))
        ['kl', 'loss', 'recon']
    """

    def __init__(self, num_classes: int = 10, z_dim: int = 64, width: int = 32, sigma_x: float = 0.1):
        super().__init__()
        if sigma_x <= 0:
            raise ValueError(f"sigma_x must be > 0, got {sigma_x}")
        self.config = dict(num_classes=num_classes, z_dim=z_dim, width=width, sigma_x=sigma_x)
        w = width
        self.label_map = nn.Embedding(num_classes, 32 * 32)  # one extra input channel
        self.encoder = nn.Sequential(
            nn.Conv2d(4, w, 4, 2, 1), nn.LeakyReLU(0.2),  # 16x16
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2),  # 8x8
            nn.Conv2d(2 * w, 4 * w, 4, 2, 1), nn.BatchNorm2d(4 * w), nn.LeakyReLU(0.2),  # 4x4
            nn.Flatten(), nn.Linear(4 * w * 16, 2 * z_dim),
        )
        self.label_vec = nn.Embedding(num_classes, z_dim)
        self.decoder_in = nn.Linear(2 * z_dim, 4 * w * 16)
        self.decoder = nn.Sequential(
            nn.BatchNorm2d(4 * w), nn.ReLU(),
            nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), nn.ReLU(),  # 8x8
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.BatchNorm2d(w), nn.ReLU(),  # 16x16
            nn.ConvTranspose2d(w, w, 4, 2, 1), nn.BatchNorm2d(w), nn.ReLU(),  # 32x32
            nn.Conv2d(w, 3, 3, padding=1), nn.Tanh(),
        )

    def configure_optimizers(self, lr: float) -> Dict[str, torch.optim.Optimizer]:
        return {"vae": torch.optim.Adam(self.parameters(), lr=lr)}

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.decoder_in(torch.cat([z, self.label_vec(y)], dim=1))
        return self.decoder(h.view(z.shape[0], -1, 4, 4))  # (B, 3, 32, 32)

    def generate(self, labels: torch.Tensor, z: Optional[torch.Tensor] = None,
                 generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """Images in [-1, 1] for ``labels`` (B,); latent ``z`` (B, z_dim) drawn if not given."""
        if z is None:
            z = torch.randn(labels.shape[0], self.config["z_dim"], generator=generator, device=labels.device)
        return self.decode(z, labels)

    def training_step(self, x, y, optimizers) -> Dict[str, float]:
        label_plane = self.label_map(y).view(-1, 1, 32, 32)
        mu, log_var = self.encoder(torch.cat([x, label_plane], dim=1)).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * (0.5 * log_var).exp()  # reparameterisation
        x_hat = self.decode(z, y)
        recon = ((x - x_hat) ** 2).flatten(1).sum(1).mean() / (2 * self.config["sigma_x"] ** 2)
        kl = 0.5 * (mu**2 + log_var.exp() - 1 - log_var).sum(1).mean()
        loss = recon + kl  # nats per image (up to the decoder's constant)
        optimizers["vae"].zero_grad(set_to_none=True)
        loss.backward()
        optimizers["vae"].step()
        return {"loss": loss.item(), "recon": recon.item(), "kl": kl.item()}
