"""Sketch recognition on Quick, Draw!: 345 categories from 100 drawings each, an MLP and a CNN.

With 70 training drawings per category, the recipe leans on augmentation and regularisation (weight
decay, dropout, label smoothing, a moving average of the weights). Each network keeps the augmentation
that validated best at full length (benchmarks/ablation.py): mirror images and gentle rotations, shifts
and zooms; thicker strokes cost both networks accuracy and were dropped. Since a mirrored drawing keeps its
category, both networks also judge a drawing and its mirror image together.
"""

from mlsandbox import imaging
from mlsandbox.data import quickdraw
from mlsandbox.kinds.image_classifier import ImageClassifier, ImageRecipe
from mlsandbox.settings import CHANNELS, DEPTH, DROPOUT, STAGES, WIDTH, image_settings

SKETCH_MEAN, SKETCH_STD = 0.115, 0.28  # of the training bitmaps, centred in 32x32
SIZE = imaging.SKETCH_SIZE


def build_mlp(width: int = 1024, depth: int = 2, dropout: float = 0.4):
    from mlsandbox.nets.mlp import MLP

    return MLP(SIZE * SIZE, len(quickdraw.LABELS), hidden=(width,) * depth, dropout=dropout, mean=SKETCH_MEAN,
               std=SKETCH_STD, mirror=True)


def build_cnn(channels: int = 32, stages: int = 3, dropout: float = 0.4):
    from mlsandbox.nets.cnn import CNN

    widths = tuple(((channels * 2**i, 3), (channels * 2**i, 3)) for i in range(stages))
    return CNN(len(quickdraw.LABELS), stages=widths, size=SIZE, hidden=512, dropout=dropout, mean=SKETCH_MEAN,
               std=SKETCH_STD, mirror=True)


# A drawing is recognisable mirrored (no category is defined by which way it faces), rotated a
# little, moved and zoomed: the MLP validated best with more of that, the CNN with less.
TRAINING = dict(batch_size=128, label_smoothing=0.1, flip=True, warmup=0.1, ema=0.999)

COMMON = dict(
    family="sketches",
    demo="sketch",
    labels=quickdraw.LABELS,
    assets=quickdraw.ASSETS,
    load_data=quickdraw.load,
    examples=quickdraw.training_drawings,
    prepare_ink=imaging.sketch,
    input_size=(SIZE, SIZE),
)

EXPERIMENTS = (
    ImageClassifier(
        id="sketch_mlp",
        title="Sketches: multilayer perceptron",
        summary="Draw one of 345 things; a fully connected network guesses what it is.",
        build_net=build_mlp,
        recipe=ImageRecipe(epochs=80, learning_rate=1e-3, weight_decay=0.05, rotate_degrees=12, shift=0.08,
                           scale=(0.8, 1.05), **TRAINING),
        settings=image_settings(WIDTH, DEPTH, DROPOUT),
        quick=dict(width=512, epochs=8),
        **COMMON,
    ),
    ImageClassifier(
        id="sketch_cnn",
        title="Sketches: convolutional network",
        summary="Draw one of 345 things; a convolutional network guesses what it is while you draw.",
        build_net=build_cnn,
        recipe=ImageRecipe(epochs=30, learning_rate=3e-3, weight_decay=0.05, rotate_degrees=6, shift=0.04,
                           scale=(0.9, 1.0), **TRAINING),
        settings=image_settings(CHANNELS, STAGES, DROPOUT),
        quick=dict(channels=16, epochs=4),
        **COMMON,
    ),
)
