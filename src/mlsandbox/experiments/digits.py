"""Handwritten digit recognition on MNIST: a multilayer perceptron and a convolutional network."""

from mlsandbox import imaging
from mlsandbox.data import mnist
from mlsandbox.kinds.image_classifier import ImageClassifier, ImageRecipe
from mlsandbox.settings import CHANNELS, DEPTH, DROPOUT, STAGES, WIDTH, image_settings

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def build_mlp(width: int = 1024, depth: int = 2, dropout: float = 0.2):
    from mlsandbox.nets.mlp import MLP

    return MLP(28 * 28, 10, hidden=(width,) * depth, dropout=dropout, mean=MNIST_MEAN, std=MNIST_STD)


def build_cnn(channels: int = 32, stages: int = 3, dropout: float = 0.3):
    from mlsandbox.nets.cnn import CNN

    widths = (((channels, 3),), ((2 * channels, 3), (2 * channels, 3)), ((4 * channels, 3), (4 * channels, 3)))
    return CNN(10, stages=widths[:stages], hidden=128, dropout=dropout, mean=MNIST_MEAN, std=MNIST_STD)


# Both networks train the same way: small random rotations, shifts and zooms, label smoothing, and a
# moving average of the weights; they differ in length, learning rate and weight decay. The CNN's
# recipe and shape were chosen by validation accuracy among a few candidates.
TRAINING = dict(batch_size=128, label_smoothing=0.05, rotate_degrees=10, shift=0.1, scale=(0.9, 1.1), warmup=0.1,
                ema=0.998)

COMMON = dict(
    family="digits",
    demo="draw",
    labels=mnist.LABELS,
    assets=mnist.ASSETS,
    load_data=mnist.load,
    prepare_ink=imaging.mnist_digit,
)

EXPERIMENTS = (
    ImageClassifier(
        id="digits_mlp",
        title="Digits: multilayer perceptron",
        summary="Draw a digit; a fully connected network reads it as 784 numbers and names it.",
        build_net=build_mlp,
        recipe=ImageRecipe(epochs=30, learning_rate=2e-3, weight_decay=1e-4, **TRAINING),
        settings=image_settings(WIDTH, DEPTH, DROPOUT),
        quick=dict(width=256, epochs=2),
        **COMMON,
    ),
    ImageClassifier(
        id="digits_cnn",
        title="Digits: convolutional network",
        summary="Draw a digit; a convolutional network looks for strokes and shapes, then names it.",
        build_net=build_cnn,
        recipe=ImageRecipe(epochs=15, learning_rate=3e-3, weight_decay=0.05, **TRAINING),
        settings=image_settings(CHANNELS, STAGES, DROPOUT),
        quick=dict(channels=16, epochs=2, augment=False),
        **COMMON,
    ),
)
