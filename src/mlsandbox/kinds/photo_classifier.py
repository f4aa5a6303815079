"""Photo classifiers: image classifiers on pretrained networks, which take any photo and also say where
they looked (a class activation map). They answer the image classifier's routes with one more field."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from mlsandbox import imaging
from mlsandbox.kinds import Pretrained
from mlsandbox.kinds.image_classifier import ImageClassifier
from mlsandbox.runtime import Classifier


PHOTO_TOP = 5  # labels shown unless more are asked for: of 1000, the rest are noise


class Photo(NamedTuple):
    """A photo made ready for the network: its input, and where in the photo's own pixels the input lies."""

    input: np.ndarray  # (3, 224, 224)
    box: tuple[int, ...]  # (x1, y1, x2, y2)
    size: tuple[int, int]  # the photo's (width, height), after its EXIF orientation


@dataclass(frozen=True, kw_only=True)
class PhotoClassifier(Pretrained, ImageClassifier):
    """The labels live in the model file's metadata (written at import), so the experiment declares none."""

    labels: tuple[str, ...] = ()
    prepare_ink: Callable | None = None
    input_size: tuple[int, int] = (224, 224)

    def prepare(self, data: bytes) -> Photo:
        image = imaging.to_rgb(imaging.decode(data))
        return Photo(*imaging.imagenet_photo(image, crop=self.input_size[0]), image.size)

    def predict(self, inputs: list[str], as_json: bool, top: int | None, model_path: Path | None = None) -> int:
        return super().predict(inputs, as_json, top or PHOTO_TOP, model_path)

    def details(self) -> dict:
        return {"input": "photo", "input_size": list(self.input_size)}

    def open_runtime(self, path: Path | None = None) -> "PhotoModel":
        return PhotoModel(self, path, threads=2)

    def evaluate(self, data, model_path: Path | None = None):
        """The top five labels of each test photo, as the served model gives them."""
        model = PhotoModel(self, model_path)
        looks = {name: model.look(self.prepare(path.read_bytes()), top=5)[0] for name, path in data.items()}
        return {"photos": {name: [{"label": label, "probability": round(p, 6)} for label, p in ranked]
                           for name, ranked in looks.items()}}, {}

    def headline(self, metrics: dict) -> str:
        return "pretrained on ImageNet (1000 classes)"


class PhotoModel(Classifier):
    """(N, 3, 224, 224) photos -> probabilities, and the top class's activation map."""

    def __init__(self, experiment: PhotoClassifier, path: Path | None = None, threads: int = 1):
        super().__init__(experiment, path, threads)
        self.labels = tuple(json.loads(self.session.get_modelmeta().custom_metadata_map["labels"]))

    def probabilities(self, images: np.ndarray, batch_size: int = 16) -> np.ndarray:
        images = np.asarray(images, dtype=np.float32)
        return np.concatenate([self.session.run(["probabilities"], {self.input_name: images[i : i + batch_size]})[0]
                               for i in range(0, len(images), batch_size)])

    def ranked(self, photo: Photo, top: int | None = None) -> list[tuple[str, float]]:
        return self.look(photo, top)[0]

    def answer(self, photo: Photo, top: int | None = None) -> dict:
        ranked, cells = self.look(photo, top or PHOTO_TOP)
        return {"ranked": ranked, "heatmap": {"box": list(photo.box), "size": list(photo.size),
                                              "cells": cells.round(3).tolist()}}

    def look(self, photo: Photo, top: int | None = None) -> tuple[list[tuple[str, float]], np.ndarray]:
        """The ranked labels, and where the network saw its top label: a 7x7 map in 0..1 over the photo's
        box (the positive evidence, scaled so its strongest cell is 1)."""
        probabilities, activation = self.session.run(None, {self.input_name: photo.input[None]})
        order = np.argsort(-probabilities[0])[:top]
        heat = np.maximum(activation[0], 0.0)
        return [(self.labels[i], float(probabilities[0, i])) for i in order], heat / max(float(heat.max()), 1e-12)
