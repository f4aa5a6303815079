"""A DCGAN for 28x28 grey pictures (Radford, Metz and Chintala, 2016): a generator that draws a picture from a
point of its latent space, and a discriminator that tells drawn pictures from real ones."""

import torch
from torch import nn


class Generator(nn.Module):
    """(N, latent) points -> (N, 1, 28, 28) pictures in 0..1: a 7x7 map of 4 channels-widths, doubled twice in
    size by transposed convolutions, with batch norm and ReLU between."""

    def __init__(self, latent: int = 64, channels: int = 32):
        super().__init__()
        self.latent = latent
        self.project = nn.Sequential(nn.Linear(latent, 4 * channels * 7 * 7, bias=False),
                                     nn.BatchNorm1d(4 * channels * 7 * 7), nn.ReLU())
        self.draw = nn.Sequential(
            nn.Unflatten(1, (4 * channels, 7, 7)),
            nn.ConvTranspose2d(4 * channels, 2 * channels, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(2 * channels), nn.ReLU(),
            nn.ConvTranspose2d(2 * channels, 1, 4, stride=2, padding=1), nn.Sigmoid(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.draw(self.project(z))


class Discriminator(nn.Module):
    """(N, 1, 28, 28) pictures in 0..1 -> (N,) logits, high for real: strided convolutions with leaky ReLU, batch
    norm (if normalise) on all but the first."""

    def __init__(self, channels: int = 32, normalise: bool = True):
        super().__init__()
        self.judge = nn.Sequential(
            nn.Conv2d(1, 2 * channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * channels, 4 * channels, 4, stride=2, padding=1, bias=not normalise),
            nn.BatchNorm2d(4 * channels) if normalise else nn.Identity(), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(4 * channels * 7 * 7, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.judge(x * 2 - 1).squeeze(1)


class GAN(nn.Module):
    """The two networks, trained as one module by the one training loop: forward draws; the loss is the
    kind's (mlsandbox.kinds.image_generator_training). Both use Adam with a first beta of 0.5 (beta1), as DCGAN
    does: a shorter memory of past gradients, for a target that moves. The discriminator learns at a fifth of the
    generator's rate (two time-scales, as InfoGAN's MNIST recipe): at the same rate it wins too easily."""

    def __init__(self, latent: int = 64, channels: int = 32, beta1: float = 0.5, normalise: bool = True,
                 discriminator_lr_scale: float = 0.2):
        super().__init__()
        self.beta1, self.discriminator_lr_scale = beta1, discriminator_lr_scale
        self.generator, self.discriminator = Generator(latent, channels), Discriminator(channels, normalise)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)

    def parameter_groups(self) -> list[dict]:
        return [{"params": list(self.generator.parameters()), "betas": (self.beta1, 0.999)},
                {"params": list(self.discriminator.parameters()), "betas": (self.beta1, 0.999),
                 "lr_scale": self.discriminator_lr_scale}]
