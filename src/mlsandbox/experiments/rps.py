"""Rock, paper, scissors from the camera: MobileNetV2's ImageNet features, a new head, then its top blocks
fine-tuned on rendered hands (mlsandbox.data.hands); a person can also teach it their own hand on the page.

The held-out renders have skin tones, backgrounds and viewing angles that training never had, so the recipe
leans on what carries over to a real camera: colour changes, mirror images (left and right hands),
rotations, shifts and zooms."""

import functools

from mlsandbox import assets
from mlsandbox.data import hands, imagenet, photos
from mlsandbox.kinds.hand_classifier import HandClassifier
from mlsandbox.kinds.image_classifier import ImageRecipe

SIZE = 160


def build_mobilenet():
    from mlsandbox.nets.mobilenet_v2 import MobileNetV2Transfer

    return MobileNetV2Transfer(len(hands.LABELS), weights=assets.require(imagenet.WEIGHTS), frozen=11, tune_from=3,
                               tune_scale=0.3)


EXPERIMENTS = (
    HandClassifier(
        id="rps_mobilenet_v2",
        title="Rock, paper, scissors: MobileNetV2",
        summary="Play rock, paper, scissors with the camera against MobileNetV2: ImageNet's features, a new head, "
                "then its top blocks fine-tuned on rendered hands.",
        family="rps",
        demo="game",
        labels=hands.LABELS,
        assets=photos.ASSETS,  # the renders' backgrounds; the ImageNet weights are read by training only
        load_data=functools.partial(hands.load, SIZE),
        build_net=build_mobilenet,
        frozen_lower=True,
        input_size=(SIZE, SIZE),
        recipe=ImageRecipe(epochs=12, batch_size=32, learning_rate=1e-3, weight_decay=0.01, warmup=0.15, flip=True,
                           colour=0.25, rotate_degrees=30, shift=0.1, scale=(0.85, 1.15), label_smoothing=0.05),
    ),
)
