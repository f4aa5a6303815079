"""Handwritten digit recognition on MNIST: a multilayer perceptron and a convolutional network."""

from mlsandbox import imaging
from mlsandbox.data import mnist
from mlsandbox.kinds.image_classifier import ImageClassifier, ImageRecipe

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def build_mlp():
    from mlsandbox.nets.mlp import MLP

    return MLP(28 * 28, 10, hidden=(1024, 1024), dropout=0.2, mean=MNIST_MEAN, std=MNIST_STD)


def build_cnn():
    from mlsandbox.nets.cnn import CNN

    return CNN(10, stages=(((32, 3),), ((64, 3), (64, 3)), ((128, 3), (128, 3))), hidden=128, dropout=0.3,
               mean=MNIST_MEAN, std=MNIST_STD)


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
        **COMMON,
    ),
    ImageClassifier(
        id="digits_cnn",
        title="Digits: convolutional network",
        summary="Draw a digit; a convolutional network looks for strokes and shapes, then names it.",
        build_net=build_cnn,
        recipe=ImageRecipe(epochs=15, learning_rate=3e-3, weight_decay=0.05, **TRAINING),
        **COMMON,
    ),
)
