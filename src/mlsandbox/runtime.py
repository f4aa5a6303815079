"""ONNX Runtime sessions for serving: the trained models, without torch."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import onnxruntime as ort

from mlsandbox.experiments import Experiment


class ModelMissing(RuntimeError):
    pass


class Classifier:
    """A trained classifier: (N, H, W) inputs in 0..1 -> (N, classes) probabilities."""

    def __init__(self, experiment: Experiment, path: Path | None = None, threads: int = 1):
        path = path or experiment.model_path
        if not path.is_file():
            raise ModelMissing(f"{experiment.id} has no trained model at {path}: run `mlsandbox train {experiment.id}`.")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.labels = experiment.labels
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name

    def probabilities(self, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        images = np.asarray(images, dtype=np.float32)[:, None]
        parts = [self.session.run(None, {self.input_name: images[i : i + batch_size]})[0]
                 for i in range(0, len(images), batch_size)]
        return np.concatenate(parts)

    def ranked(self, image: np.ndarray, top: int | None = None) -> list[tuple[str, float]]:
        """Labels with their probabilities, most likely first."""
        p = self.probabilities(image[None])[0]
        order = np.argsort(-p)[:top]
        return [(self.labels[i], float(p[i])) for i in order]


@functools.cache
def classifier(experiment: Experiment) -> Classifier:
    return Classifier(experiment)
