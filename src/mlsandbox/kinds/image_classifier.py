"""Image classifiers: a drawing or a photo in, every label ranked by probability out."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, ClassVar

import numpy as np

from mlsandbox import evaluation, imaging
from mlsandbox.kinds import Experiment, Recipe, report_refusal
from mlsandbox.runtime import Classifier


@dataclass(frozen=True, kw_only=True)
class ImageRecipe(Recipe):
    label_smoothing: float = 0.0
    rotate_degrees: float = 0.0  # random affine augmentation of each training batch
    shift: float = 0.0  # as a fraction of the image size
    scale: tuple[float, float] = (1.0, 1.0)
    elastic: float = 0.0  # strength of a smooth random warp, in pixels (elastic distortion)
    flip: bool = False  # mirror half of the training images left to right
    thicken: float = 0.0  # up to this much of a one-pixel dilation blended in: thicker strokes
    colour: float = 0.0  # colour pictures: each channel's gain, and the brightness, drawn within 1 +- colour
    augment: bool = True  # whether training pictures are augmented at all (the lab turns it off)
    augment_strength: float = 1.0  # each random change above, as a multiple of its amount

    def augmentation(self) -> "ImageRecipe":
        """The recipe with each random change scaled by augment_strength (mirroring is on or off)."""
        k = self.augment_strength
        if k == 1.0:
            return self
        low, high = self.scale
        return dataclasses.replace(self, rotate_degrees=self.rotate_degrees * k, shift=self.shift * k,
                                   scale=(1 - (1 - low) * k, 1 + (high - 1) * k), elastic=self.elastic * k,
                                   thicken=self.thicken * k, colour=self.colour * k)


@dataclass(frozen=True, kw_only=True)
class ImageClassifier(Experiment):
    kind: ClassVar[str] = "image classifier"
    web: ClassVar[str] = "mlsandbox.web.image_classifier"

    labels: tuple[str, ...]
    prepare_ink: Callable[[np.ndarray], np.ndarray]  # ink (H, W) -> model input (h, w)
    input_size: tuple[int, int] = (28, 28)
    examples: Callable[[str, int], np.ndarray] | None = None  # (label, count) -> training images, for the page

    def prepare(self, data: bytes) -> np.ndarray:
        """Image bytes (a drawing, a photo) -> the model's input, through the shared preprocessing."""
        return self.prepare_ink(imaging.to_ink(imaging.decode(data)))

    def prepare_array(self, image: np.ndarray) -> np.ndarray:
        """An image as the data module stores it -> the model's input: what evaluation feeds the model."""
        return self.prepare_ink(image)

    def details(self) -> dict:
        return {"labels": list(self.labels), "input_size": list(self.input_size)}

    def open_runtime(self, path: Path | None = None) -> Classifier:
        return Classifier(self, path)

    def evaluate(self, data, model_path: Path | None = None):
        metrics, confusion = evaluation.evaluate(self, data.x_test, data.y_test, model_path, data.groups)

        def draw_confusion(path: Path) -> None:
            from mlsandbox import plots

            plots.confusion(confusion, self.labels, path, title=f"{self.title}: test set")

        return metrics, {"confusion.png": draw_confusion}

    def training_task(self, data, recipe: ImageRecipe):
        from mlsandbox.kinds.image_classifier_training import ImageTask

        return ImageTask(self, data, recipe)

    def predict(self, inputs: list[str], as_json: bool, top: int | None, model_path: Path | None = None) -> int:
        """`mlsandbox predict`: classify image files as the page does; one line per file."""
        model = self.open_runtime(model_path)
        failures = 0
        for name in inputs:
            try:
                ranked = model.ranked(self.prepare(imaging.read_file(name)), top=top)
            except (OSError, imaging.ImageError) as e:
                failures += 1
                report_refusal("file", name, e.strerror if isinstance(e, OSError) and e.strerror else str(e), as_json)
                continue
            if as_json:
                print(json.dumps({"file": name, "label": ranked[0][0],
                                  "ranked": [{"label": label, "probability": round(p, 6)} for label, p in ranked]}))
            else:
                print(f"{name}: {ranked[0][0]} ({ranked[0][1]:.1%})"
                      + "".join(f", {label} {p:.1%}" for label, p in ranked[1:3]))
        return 1 if failures else 0
