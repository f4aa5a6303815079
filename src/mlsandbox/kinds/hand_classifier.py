"""Hand classifiers: image classifiers that read a camera frame (its centred square, in colour) and name the
hand's pose. A person can also teach one their own hand: from a few frames of each pose, a small head is
fitted in NumPy on the network's features (teach), and lives in the server's memory only."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ClassVar

import numpy as np

from mlsandbox import imaging
from mlsandbox.kinds.image_classifier import ImageClassifier, ImageRecipe
from mlsandbox.runtime import Classifier

TEACH_LIMITS = {"min_frames_per_pose": 5, "max_frames": 150, "max_frame_bytes": 200_000}


@dataclass(frozen=True, kw_only=True)
class HandRecipe(ImageRecipe):
    copies: int = 8  # frozen lower blocks: augmented versions of each training picture their output is computed for
    new_backgrounds: float = 0.0  # chance that a training picture's hand is pasted onto one of the backdrops
    locate: float = 0.0  # weight of a second loss: the network's locator says which cells are hand (HandTask)


@dataclass(frozen=True, kw_only=True)
class HandClassifier(ImageClassifier):
    kind: ClassVar[str] = "hand classifier"  # an image classifier that can also be taught a person's hand
    web: ClassVar[str] = "mlsandbox.web.hand_classifier"  # the teach routes; predict is the image classifier's

    prepare_ink: Callable | None = None
    input_size: tuple[int, int] = (160, 160)
    frozen_lower: bool = False  # the network's lower blocks are frozen: training computes them once per picture
    teachable: bool = False  # has the teach routes: a head fitted on its features (one network of a family)
    # () -> (N, 3, S, S) backgrounds that training pastes hands onto (HandRecipe.new_backgrounds); with them,
    # load_data gives each training picture a fourth channel, how much of each pixel is hand
    backdrops: Callable[[], np.ndarray] | None = None

    def prepare(self, data: bytes) -> np.ndarray:
        return imaging.square_photo(imaging.to_rgb(imaging.decode(data)), self.input_size[0])

    def prepare_array(self, image: np.ndarray) -> np.ndarray:
        return image  # the data module stores pictures read as camera frames are (data.hands.load)

    def details(self) -> dict:
        return {**super().details(), "input": "camera", **({"teach": TEACH_LIMITS} if self.teachable else {})}

    def open_runtime(self, path: Path | None = None) -> "HandModel":
        return HandModel(self, path, threads=2)

    def training_task(self, data, recipe):
        from mlsandbox.kinds.hand_classifier_training import FrozenLowerTask, HandTask

        return (FrozenLowerTask if self.frozen_lower else HandTask)(self, data, recipe)


class HandModel(Classifier):
    """(N, 3, S, S) pictures -> probabilities; and the features its last layer reads, for teaching."""

    chunk = 8  # pictures per run: ONNX Runtime plans memory for each new batch size, taking seconds for 60 at once

    def features(self, pictures: list[np.ndarray]) -> np.ndarray:
        """(N, features) of prepared pictures: what a taught head reads."""
        batch = np.stack(pictures).astype(np.float32)
        return np.concatenate([self.session.run(["features"], {self.input_name: batch[i : i + self.chunk]})[0]
                               for i in range(0, len(batch), self.chunk)])


@dataclass
class TaughtHead:
    """A softmax layer over a network's features, fitted to one person's frames."""

    labels: tuple[str, ...]
    weights: np.ndarray  # (features, classes)
    bias: np.ndarray  # (classes,)
    frames: dict[str, int]  # label -> frames it was taught from
    seconds: float = 0.0
    created: float = field(default_factory=time.monotonic)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        scores = features @ self.weights + self.bias
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        return p / p.sum(axis=1, keepdims=True)

    def ranked(self, features: np.ndarray) -> list[tuple[str, float]]:
        p = self.probabilities(features[None])[0]
        return [(self.labels[i], float(p[i])) for i in np.argsort(-p)]

    def exported(self) -> dict:
        return {"labels": list(self.labels), "weights": self.weights.round(6).tolist(),
                "bias": self.bias.round(6).tolist(), "frames": self.frames}


def teach(features: np.ndarray, labels: np.ndarray, names: tuple[str, ...], components: int = 16,
          l2: float = 0.05, steps: int = 400) -> TaughtHead:
    """Softmax regression on the features' first principal components, whitened (so that plain gradient
    descent converges in a few hundred steps), folded back into one linear layer over the raw features."""
    started = time.perf_counter()
    n, classes = len(labels), len(names)
    mean = features.mean(axis=0)
    _, s, vt = np.linalg.svd(features - mean, full_matrices=False)
    keep = min(components, int((s > s[0] * 1e-4).sum()))
    projection = vt[:keep].T / s[:keep] * np.sqrt(n)  # whitened: each component has unit variance
    z = (features - mean) @ projection
    target = np.eye(classes)[labels]
    w, b = np.zeros((keep, classes)), np.zeros(classes)
    for _ in range(steps):
        scores = z @ w + b
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        error = p / p.sum(axis=1, keepdims=True) - target
        w -= 0.5 * (z.T @ error / n + l2 * w)
        b -= 0.5 * error.mean(axis=0)
    weights = projection @ w
    return TaughtHead(labels=names, weights=weights.astype(np.float32), bias=(b - mean @ weights).astype(np.float32),
                      frames={name: int((labels == i).sum()) for i, name in enumerate(names)},
                      seconds=time.perf_counter() - started)
