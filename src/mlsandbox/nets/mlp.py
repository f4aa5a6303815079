"""A multilayer perceptron: the image as one flat vector through fully connected layers."""

import torch
from torch import nn

from mlsandbox.nets import scores


class MLP(nn.Module):
    def __init__(self, inputs: int, classes: int, hidden: tuple[int, ...] = (1024, 1024), dropout: float = 0.2,
                 mean: float = 0.0, std: float = 1.0, mirror: bool = False):
        super().__init__()
        self.mirror = mirror
        self.register_buffer("mean", torch.tensor(mean))
        self.register_buffer("std", torch.tensor(std))
        layers: list[nn.Module] = [nn.Flatten()]
        for size in hidden:
            layers += [nn.Linear(inputs, size), nn.BatchNorm1d(size), nn.ReLU(), nn.Dropout(dropout)]
            inputs = size
        layers.append(nn.Linear(inputs, classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return scores(lambda x: self.layers((x - self.mean) / self.std), x, self.mirror, self.training)
