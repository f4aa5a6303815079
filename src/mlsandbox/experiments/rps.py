"""Rock, paper, scissors from the camera, three ways: a CNN trained from scratch on rendered hands
(mlsandbox.data.hands), as the 2020 project did; MobileNetV2's ImageNet features, a new head, then its top
blocks fine-tuned on them; and MediaPipe's hand landmarks read from the frame, with a small network trained
here naming the pose from the 21 points. A person can also teach MobileNetV2 their own hand on the page.

The held-out renders have skin tones, backgrounds and viewing angles that training never had, so the recipe
leans on what carries over to a real camera: colour changes, mirror images (left and right hands),
rotations, shifts and zooms."""

import functools

from mlsandbox import assets
from mlsandbox.data import hands, imagenet, photos
from mlsandbox.data.hands import points
from mlsandbox.kinds.hand_classifier import HandClassifier, HandRecipe
from mlsandbox.kinds.hand_landmarks import HandLandmarks
from mlsandbox.kinds.image_classifier import ImageRecipe
from mlsandbox.settings import (AUGMENT, AUGMENT_STRENGTH, BATCH_SIZE, DEPTH, DROPOUT, EPOCHS, LEARNING_RATE, SEED,
                                TRAINING_SHARE, WEIGHT_DECAY, WIDTH, image_settings)

SIZE, CNN_SIZE = 224, 96
RENDERS = 10_800  # training pictures for the image models (probes: more renders paid most for both)
CNN_VALIDATION = 1_800  # the CNN's epoch is chosen on these (300 told its epochs apart by a picture or two)


def cnn_stages(channels: list[list[int]]) -> tuple:
    """The channels of each convolution, stage by stage -> the CNN's stages of 3x3 convolutions."""
    return tuple(tuple((outputs, 3) for outputs in stage) for stage in channels)


CNN_STAGES = cnn_stages([[16], [32], [64, 64], [128, 128]])


def loaders(load, **options) -> dict:
    """An experiment's load_data, load(**options), and its load_test: the same load building the test part
    alone (each render comes from its own seed, so that is the whole split's test part), for evaluation."""
    return {"load_data": functools.partial(load, **options),
            "load_test": functools.partial(load, **options, parts=("test",))}


def build_cnn(stages=CNN_STAGES, size=CNN_SIZE, dropout: float = 0.3):
    from mlsandbox.nets.cnn import CNN

    return CNN(len(hands.LABELS), stages, size=size, hidden=128, dropout=dropout, mean=0.5, std=0.25, inputs=3,
               global_max=True, mirror=True, locate=True)


def build_mobilenet():
    from mlsandbox.nets.mobilenet_v2 import MobileNetV2Transfer

    return MobileNetV2Transfer(len(hands.LABELS), weights=assets.require(imagenet.WEIGHTS), frozen=11, tune_from=3,
                               tune_scale=0.3)


def build_pose_net(width: int = 128, depth: int = 2, dropout: float = 0.1):
    from mlsandbox.nets.mlp import MLP

    return MLP(63, len(hands.LABELS), hidden=(width,) * depth, dropout=dropout)


EXPERIMENTS = (
    HandClassifier(
        id="rps_cnn",
        title="Rock, paper, scissors: CNN from scratch",
        summary="Play rock, paper, scissors with the camera against a small convolutional network that learned "
                "hands from nothing but rendered pictures of them, as the 2020 project's did.",
        family="rps",
        demo="game",
        labels=hands.LABELS,
        assets=photos.BEHIND_HANDS,
        **loaders(hands.load, size=CNN_SIZE, train_renders=RENDERS, validation_renders=CNN_VALIDATION, coverage=True),
        backdrops=functools.partial(hands.backdrops, CNN_SIZE),
        build_net=build_cnn,
        input_size=(CNN_SIZE, CNN_SIZE),
        recipe=HandRecipe(epochs=40, batch_size=64, learning_rate=2e-3, weight_decay=0.01, warmup=0.1, flip=True,
                          colour=0.2, rotate_degrees=30, shift=0.08, scale=(0.9, 1.1), label_smoothing=0.05,
                          new_backgrounds=0.5, locate=0.5),
        settings=image_settings(DROPOUT),
        quick=dict(epochs=3, fraction=0.25),
    ),
    HandClassifier(
        id="rps_mobilenet_v2",
        title="Rock, paper, scissors: MobileNetV2",
        summary="Play rock, paper, scissors with the camera against MobileNetV2: ImageNet's features, a new head, "
                "then its top blocks fine-tuned on rendered hands.",
        family="rps",
        demo="game",
        labels=hands.LABELS,
        assets=photos.BEHIND_HANDS,  # the ImageNet weights are read by training only
        **loaders(hands.load, size=SIZE, train_renders=RENDERS),
        build_net=build_mobilenet,
        frozen_lower=True,
        teachable=True,  # its features teach better than the CNN's or the landmarks' (the notebooks)
        input_size=(SIZE, SIZE),
        recipe=HandRecipe(epochs=12, batch_size=32, learning_rate=1e-3, weight_decay=0.01, warmup=0.15, flip=True,
                          colour=0.25, rotate_degrees=30, shift=0.1, scale=(0.85, 1.15), label_smoothing=0.05, copies=4),
        settings=(EPOCHS, LEARNING_RATE, BATCH_SIZE, WEIGHT_DECAY, AUGMENT, AUGMENT_STRENGTH, TRAINING_SHARE, SEED),
        quick=dict(epochs=2, fraction=0.25),
    ),
    HandLandmarks(
        id="rps_landmarks",
        title="Rock, paper, scissors: hand landmarks",
        summary="Play rock, paper, scissors with the camera: MediaPipe's palm detector and landmark model find the "
                "21 points of your hand, and a small network trained on points read from rendered hands names the pose.",
        family="rps",
        demo="game",
        labels=hands.LABELS,
        assets=photos.BEHIND_HANDS,  # for training and evaluation
        **loaders(points.load),
        build_net=build_pose_net,
        recipe=ImageRecipe(epochs=40, batch_size=128, learning_rate=3e-3, weight_decay=1e-3, flip=True,
                           label_smoothing=0.05),
        settings=(WIDTH, DEPTH, DROPOUT, EPOCHS, LEARNING_RATE, BATCH_SIZE, WEIGHT_DECAY, AUGMENT, TRAINING_SHARE, SEED),
        quick=dict(epochs=10),
    ),
)
