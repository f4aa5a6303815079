"""MobileNetV2 (Sandler et al., 2018), laid out as torchvision lays it out, so that torchvision's ImageNet
state dict loads into it key for key. Besides the class probabilities it returns the class activation map of
the most likely class: the last convolutional features weighted by that class's classifier weights."""

from pathlib import Path

import torch
from torch import nn

# (expansion, output channels, repeats, stride of the first repeat), per stage.
STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


def conv_bn_relu6(inputs: int, outputs: int, kernel: int = 3, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(inputs, outputs, kernel, stride, kernel // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(outputs), nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    """Expand with a 1x1 convolution, filter each channel with a 3x3 one, project back down linearly."""

    def __init__(self, inputs: int, outputs: int, stride: int, expansion: int):
        super().__init__()
        hidden = inputs * expansion
        layers = [conv_bn_relu6(inputs, hidden, kernel=1)] if expansion != 1 else []
        layers += [conv_bn_relu6(hidden, hidden, stride=stride, groups=hidden),
                   nn.Conv2d(hidden, outputs, 1, bias=False), nn.BatchNorm2d(outputs)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and inputs == outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, classes: int = 1000, dropout: float = 0.2):
        super().__init__()
        layers: list[nn.Module] = [conv_bn_relu6(3, 32, stride=2)]
        channels = 32
        for expansion, outputs, repeats, stride in STAGES:
            for i in range(repeats):
                layers.append(InvertedResidual(channels, outputs, stride if i == 0 else 1, expansion))
                channels = outputs
        layers.append(conv_bn_relu6(channels, 1280, kernel=1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(1280, classes))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, 3, 224, 224) normalised images -> probabilities (N, classes) and the top class's activation
        map (N, 7, 7), in the units of the logits (each cell's share of the top logit, before the bias)."""
        features = self.features(images)
        logits = self.classifier(features.mean(dim=(2, 3)))
        top_weights = self.classifier[1].weight[logits.argmax(dim=1)]  # (N, 1280)
        activation = torch.einsum("nc,nchw->nhw", top_weights, features) / features[0, 0].numel()
        return logits.softmax(dim=1), activation


IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class MobileNetV2Transfer(nn.Module):
    """MobileNetV2's ImageNet features under a new classifier, for pictures in 0..1 (normalised here).

    The first `frozen` blocks of features (lower) keep their ImageNet weights and statistics, always in eval
    mode; the blocks above them (upper, with the head) are fine-tuned from epoch `tune_from` on, at
    `tune_scale` of the head's learning rate; until then only the new head trains (see parameter_groups)."""

    def __init__(self, classes: int, weights: Path | None = None, frozen: int = 14, tune_from: int = 3,
                 tune_scale: float = 0.1, dropout: float = 0.2):
        super().__init__()
        base = MobileNetV2()
        if weights is not None:
            base.load_state_dict(torch.load(weights, weights_only=True))
        self.features, self.frozen, self.tune_from, self.tune_scale = base.features, frozen, tune_from, tune_scale
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(1280, classes))
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        self.features[:frozen].requires_grad_(False)

    def train(self, mode: bool = True) -> "MobileNetV2Transfer":
        super().train(mode)
        self.features[:self.frozen].eval()
        return self

    def parameter_groups(self) -> list[dict]:
        """For the training loop: the head from the start; the tuned blocks from tune_from, more gently."""
        return [{"params": list(self.classifier.parameters())},
                {"params": list(self.features[self.frozen:].parameters()), "lr_scale": self.tune_scale,
                 "from_epoch": self.tune_from}]

    def lower(self, x: torch.Tensor) -> torch.Tensor:
        """The frozen blocks' output: training computes it once per picture (hand_classifier_training)."""
        return self.features[:self.frozen]((x - self.mean) / self.std)

    def upper(self, h: torch.Tensor) -> torch.Tensor:
        return self.head(self.features[self.frozen:](h).mean(dim=(2, 3)))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1280): the last feature maps averaged over the picture."""
        return self.features[self.frozen:](self.lower(x)).mean(dim=(2, 3))

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return self.classifier(features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.upper(self.lower(x))
