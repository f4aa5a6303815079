"""Clothes on Fashion-MNIST: a convolutional network that names them, and judges the pictures a GAN draws of them."""

import functools

from mlsandbox import imaging
from mlsandbox.data import fashion_mnist
from mlsandbox.kinds.image_classifier import ImageClassifier, ImageRecipe
from mlsandbox.settings import CHANNELS, DROPOUT, STAGES, image_settings

FASHION_MEAN, FASHION_STD = 0.286, 0.353


def build_cnn(channels: int = 32, stages: int = 3, dropout: float = 0.3):
    from mlsandbox.nets.cnn import CNN

    widths = (((channels, 3),), ((2 * channels, 3), (2 * channels, 3)), ((4 * channels, 3), (4 * channels, 3)))
    return CNN(10, stages=widths[:stages], hidden=128, dropout=dropout, mean=FASHION_MEAN, std=FASHION_STD)


JUDGE = ImageClassifier(
    id="clothes_cnn",
    title="Clothes: convolutional network",
    summary="Draw a shirt, a shoe or a bag; a network trained on photos of clothes names it.",
    family="clothes",
    demo="draw",
    labels=fashion_mnist.LABELS,
    assets=fashion_mnist.ASSETS,
    load_data=fashion_mnist.load,
    # A picture of clothes fills its frame: a drawing is cropped to its ink and fitted to the whole 28x28.
    prepare_ink=functools.partial(imaging.mnist_digit, box=28),
    build_net=build_cnn,
    # Mirrored clothes are still the same clothes; they are not turned, so no rotation.
    recipe=ImageRecipe(epochs=12, batch_size=128, learning_rate=3e-3, weight_decay=0.05, label_smoothing=0.05,
                       flip=True, shift=0.06, scale=(0.95, 1.05), warmup=0.1, ema=0.998),
    settings=image_settings(CHANNELS, STAGES, DROPOUT),
    quick=dict(channels=16, epochs=2, augment=False),
)

EXPERIMENTS = (JUDGE,)
