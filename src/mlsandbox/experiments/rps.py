"""Rock, paper, scissors from the camera, two ways: MobileNetV2's ImageNet features, a new head, then its top
blocks fine-tuned on rendered hands (mlsandbox.data.hands); and MediaPipe's hand landmarks read from the frame,
with a small network trained here naming the pose from the 21 points. A person can also teach either their own
hand on the page.

The held-out renders have skin tones, backgrounds and viewing angles that training never had, so the recipe
leans on what carries over to a real camera: colour changes, mirror images (left and right hands),
rotations, shifts and zooms."""

import functools

from mlsandbox import assets
from mlsandbox.data import hands, imagenet, photos
from mlsandbox.data.hands import points
from mlsandbox.kinds.hand_classifier import HandClassifier
from mlsandbox.kinds.hand_landmarks import HandLandmarks
from mlsandbox.kinds.image_classifier import ImageRecipe

SIZE = 160


def build_mobilenet():
    from mlsandbox.nets.mobilenet_v2 import MobileNetV2Transfer

    return MobileNetV2Transfer(len(hands.LABELS), weights=assets.require(imagenet.WEIGHTS), frozen=11, tune_from=3,
                               tune_scale=0.3)


def build_pose_net():
    from mlsandbox.nets.mlp import MLP

    return MLP(63, len(hands.LABELS), hidden=(128, 128), dropout=0.1)


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
    HandLandmarks(
        id="rps_landmarks",
        title="Rock, paper, scissors: hand landmarks",
        summary="Play rock, paper, scissors with the camera: MediaPipe's palm detector and landmark model find the "
                "21 points of your hand, and a small network trained on points read from rendered hands names the pose.",
        family="rps",
        demo="game",
        labels=hands.LABELS,
        assets=photos.ASSETS,  # the renders' backgrounds, for training and evaluation
        load_data=points.load,
        build_net=build_pose_net,
        recipe=ImageRecipe(epochs=40, batch_size=128, learning_rate=3e-3, weight_decay=1e-3, flip=True,
                           label_smoothing=0.05),
    ),
)
