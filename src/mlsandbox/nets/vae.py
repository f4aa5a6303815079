"""A conditional variational autoencoder for 28x28 grey pictures (Kingma and Welling, 2014; Sohn et al., 2015): the
encoder places a picture of a known class at a small region of a latent space, the decoder draws a picture of a
class from any point of it. The class is given as ten weights (one-hot for one digit); what the latent point
holds is the rest: slant, thickness, width."""

import torch
from torch import nn


class Encoder(nn.Module):
    """(N, 1, 28, 28) pictures in 0..1 and (N, classes) class weights -> the mean and log-variance of each
    picture's region of the latent space, (N, latent) each."""

    def __init__(self, latent: int = 2, classes: int = 10, channels: int = 32, hidden: int = 256):
        super().__init__()
        self.convolutions = nn.Sequential(
            nn.Conv2d(1, channels, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1), nn.ReLU(), nn.Flatten(),
        )
        self.dense = nn.Sequential(nn.Linear(2 * channels * 7 * 7 + classes, hidden), nn.ReLU(),
                                   nn.Linear(hidden, 2 * latent))

    def forward(self, x: torch.Tensor, digit: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_variance = self.dense(torch.cat([self.convolutions(x), digit], 1)).chunk(2, dim=1)
        return mean, log_variance


class Decoder(nn.Module):
    """(N, latent) points and (N, classes) class weights -> (N, 1, 28, 28) logits of each pixel's ink."""

    def __init__(self, latent: int = 2, classes: int = 10, channels: int = 32, hidden: int = 256):
        super().__init__()
        self.dense = nn.Sequential(nn.Linear(latent + classes, hidden), nn.ReLU(),
                                   nn.Linear(hidden, 2 * channels * 7 * 7), nn.ReLU(),
                                   nn.Unflatten(1, (2 * channels, 7, 7)))
        self.deconvolutions = nn.Sequential(
            nn.ConvTranspose2d(2 * channels, channels, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(channels, 1, 4, stride=2, padding=1),
        )

    def forward(self, z: torch.Tensor, digit: torch.Tensor) -> torch.Tensor:
        return self.deconvolutions(self.dense(torch.cat([z, digit], 1)))


class VAE(nn.Module):
    def __init__(self, latent: int = 2, classes: int = 10, channels: int = 32, hidden: int = 256):
        super().__init__()
        self.latent = latent
        self.encoder = Encoder(latent, classes, channels, hidden)
        self.decoder = Decoder(latent, classes, channels, hidden)

    def forward(self, z: torch.Tensor, digit: torch.Tensor) -> torch.Tensor:
        """The picture drawn at z for digit, in 0..1."""
        return torch.sigmoid(self.decoder(z, digit))
