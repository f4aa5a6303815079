"""A small convolutional network: stacked conv/batch-norm/ReLU blocks with pooling, then a classifier."""

import torch
from torch import nn

from mlsandbox.nets import scores


def conv_block(inputs: int, outputs: int, kernel: int) -> list[nn.Module]:
    return [nn.Conv2d(inputs, outputs, kernel, padding=kernel // 2, bias=False), nn.BatchNorm2d(outputs), nn.ReLU()]


class CNN(nn.Module):
    """Each stage is a list of (channels, kernel) convolutions followed by 2x2 max pooling; with global_max,
    the last stage ends in the largest value of each feature anywhere in the picture instead, so what is
    found counts wherever it is. With locate, a 1x1 convolution (the locator) reads each cell of the last
    feature map as object or not: training can teach the features where the object is (located); it is
    never served."""

    def __init__(self, classes: int, stages: tuple[tuple[tuple[int, int], ...], ...], size: int = 28,
                 hidden: int = 128, dropout: float = 0.3, mean: float = 0.0, std: float = 1.0, mirror: bool = False,
                 inputs: int = 1, global_max: bool = False, locate: bool = False):
        super().__init__()
        self.mirror = mirror
        self.register_buffer("mean", torch.tensor(mean))
        self.register_buffer("std", torch.tensor(std))
        layers: list[nn.Module] = []
        channels = inputs
        for number, stage in enumerate(stages):
            for outputs, kernel in stage:
                layers += conv_block(channels, outputs, kernel)
                channels = outputs
            if global_max and number == len(stages) - 1:
                layers.append(nn.AdaptiveMaxPool2d(1))
                size = 1
            else:  # pooled before its ReLU: the same values (ReLU and max commute) for a quarter of the ReLU's work
                layers.insert(-1, nn.MaxPool2d(2))
                size //= 2
        self.features = nn.Sequential(*layers)
        self.locator = nn.Conv2d(channels, 1, 1) if locate else None
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(channels * size * size, hidden), nn.BatchNorm1d(hidden),
            nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, classes),
        )

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The hidden layer's activations: what the last layer reads (and a taught head, for hands). With
        mirror, outside training, the mean of the picture's and its mirror image's: the last layer is
        linear, so its scores are then the mean of the two pictures' scores (nets.scores)."""
        return scores(lambda x: self.classifier[:-2](self.features[-1](self.cells(x))), x, self.mirror, self.training)

    def cells(self, x: torch.Tensor) -> torch.Tensor:
        """The last feature map, before its pooling."""
        return self.features[:-1]((x - self.mean) / self.std)

    def located(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The scores, and the locator's logit for each cell of the last feature map (N, 1, h, w)."""
        cells = self.cells(x)
        return self.classifier(self.features[-1](cells)), self.locator(cells)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return self.classifier[-2:](features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))
