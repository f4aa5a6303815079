"""Hand classifiers: image classifiers that read a camera frame (its centred square, in colour) and name the
hand's pose. A person can also teach one their own hand: from a few frames of each pose, a small head is
fitted in NumPy on the network's features (teach). The server keeps no taught head: the person holds it as
JSON (TaughtHead.as_json) and sends it with each frame to read (TaughtHead.from_json)."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
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

    @property
    def width(self) -> int:
        """How many features a picture has."""
        return next(o.shape[1] for o in self.session.get_outputs() if o.name == "features")


TAUGHT_FIELDS = ("experiment", "network_sha256", "labels", "weights", "bias", "frames")
AS_TAUGHT = "send the model as teach answered it (or as you downloaded it), or teach it again"


@dataclass
class TaughtHead:
    """A softmax layer over a network's features, fitted to one person's frames."""

    labels: tuple[str, ...]
    weights: np.ndarray  # (features, classes)
    bias: np.ndarray  # (classes,)
    frames: dict[str, int]  # label -> frames it was taught from
    seconds: float = 0.0

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        scores = features @ self.weights + self.bias
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        return p / p.sum(axis=1, keepdims=True)

    def ranked(self, features: np.ndarray) -> list[tuple[str, float]]:
        p = self.probabilities(features[None])[0]
        return [(self.labels[i], float(p[i])) for i in np.argsort(-p)]

    def as_json(self, experiment: HandClassifier, network: HandModel) -> dict:
        """The taught model as the person keeps it: the weights as base64 of little-endian float32, (features,
        classes) row-major, with what they were taught on."""
        return {"experiment": experiment.id, "network_sha256": network.sha256, "labels": list(self.labels),
                "weights": base64.b64encode(self.weights.astype("<f4").tobytes()).decode(),
                "bias": [float(b) for b in self.bias.astype(np.float32)], "frames": self.frames}

    @classmethod
    def from_json(cls, model, experiment: HandClassifier, network: HandModel) -> "TaughtHead":
        """The head of a taught model's JSON (as_json's), if it was taught on this experiment's served network;
        else a ValueError that says what is wrong and what to do."""
        if not isinstance(model, dict):
            raise ValueError(f"The taught model must be a JSON object of {', '.join(TAUGHT_FIELDS)}: {AS_TAUGHT}.")
        if missing := [f for f in TAUGHT_FIELDS if f not in model]:
            raise ValueError(f"The taught model has no {', '.join(missing)}: {AS_TAUGHT}.")
        if model["experiment"] != experiment.id:
            raise ValueError(f"This model was taught on {shown(model['experiment'])}, not {experiment.id}: a taught model "
                             f"reads frames only for the experiment it was taught on. Teach {experiment.id} your hand.")
        if model["network_sha256"] != network.sha256:
            raise ValueError(f"This model was taught on another version of the network than this server's "
                             f"{experiment.id}: teach it again.")
        labels = experiment.labels
        if model["labels"] != list(labels):
            raise ValueError(f"The model's labels are {shown(model['labels'])}; {experiment.id}'s are "
                             f"{', '.join(labels)}, in that order: {AS_TAUGHT}.")
        try:
            weights = base64.b64decode(model["weights"], validate=True)
        except (TypeError, ValueError):  # binascii.Error is a ValueError
            raise ValueError(f"The model's weights are not base64 (of little-endian float32): {AS_TAUGHT}.") from None
        size = network.width * len(labels) * 4
        if len(weights) != size:
            raise ValueError(f"The model's weights are {len(weights):,} bytes; {network.width:,} features by "
                             f"{len(labels)} labels of float32 take {size:,}: {AS_TAUGHT}.")
        bias = model["bias"]
        if not (isinstance(bias, list) and len(bias) == len(labels)
                and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bias)):
            raise ValueError(f"The model's bias must be a list of {len(labels)} numbers, one for each label: {AS_TAUGHT}.")
        frames = model["frames"]
        if not (isinstance(frames, dict) and set(frames) == set(labels)
                and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in frames.values())):
            raise ValueError(f"The model's frames must give each label its count of frames, as "
                             f"{json.dumps(dict.fromkeys(labels, 20))}: {AS_TAUGHT}.")
        not_finite = ValueError("The model's weights and bias must be finite float32 numbers, and these hold infinity "
                                "or NaN: teach it again.")
        try:
            with np.errstate(over="ignore"):  # beyond float32's range is infinite, refused below
                bias = np.array(bias, np.float32)
        except OverflowError:  # an integer beyond any float's
            raise not_finite from None
        head = cls(labels=labels, weights=np.frombuffer(weights, "<f4").reshape(network.width, len(labels)),
                   bias=bias, frames=frames)
        if not (np.isfinite(head.weights).all() and np.isfinite(head.bias).all()):
            raise not_finite
        return head


def shown(value) -> str:
    """A value a request sent, short enough to quote in a message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


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
