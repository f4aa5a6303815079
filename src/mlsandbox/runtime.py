"""ONNX Runtime sessions for serving: the trained models, without torch."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import onnxruntime as ort

from mlsandbox.assets import sha256_of
from mlsandbox.imaging import with_channels
from mlsandbox.kinds import Experiment


class ModelUnavailable(RuntimeError):
    """An experiment's model cannot be served; the message says how to fix it."""


def open_session(experiment: Experiment, path: Path | None = None, threads: int = 1) -> tuple[ort.InferenceSession, str]:
    """An ONNX Runtime session and the sha256 of the file it was read from.

    The committed model (path None) must match the sha256 in its card, so that what is served is what
    the card describes; an explicit path (a model being exported) is read as it is."""
    checked = path is None
    path = path or experiment.model_path
    if not path.is_file():
        raise ModelUnavailable(f"{experiment.id} has no model at {path}: run `{experiment.remake}`.")
    sha256 = sha256_of(path)
    if checked:
        card = experiment.card()
        expected = (card or {}).get("model", {}).get("sha256")
        if expected != sha256:
            found = f"sha256 {expected}" if expected else "no sha256"
            raise ModelUnavailable(
                f"{experiment.id}: {path} has sha256 {sha256} but its card names {found}, so the file is not the "
                f"model the card describes. Restore both from the repository (`git checkout -- {path.parent}`) or "
                f"run `{experiment.remake}`.")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as e:  # ONNX Runtime raises its own types for unreadable files
        raise ModelUnavailable(f"{experiment.id}: {path} is not a readable ONNX model ({e}). Restore it from the "
                               f"repository or run `{experiment.remake}`.") from None
    return session, sha256


class Classifier:
    """A trained classifier: (N, H, W) drawings or (N, C, H, W) pictures in 0..1 -> (N, classes) probabilities."""

    def __init__(self, experiment: Experiment, path: Path | None = None, threads: int = 1):
        self.labels = experiment.labels
        self.session, self.sha256 = open_session(experiment, path, threads)
        self.input_name = self.session.get_inputs()[0].name

    def probabilities(self, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        images = with_channels(images)
        parts = [self.session.run(None, {self.input_name: images[i : i + batch_size]})[0]
                 for i in range(0, len(images), batch_size)]
        return np.concatenate(parts)

    def ranked(self, image: np.ndarray, top: int | None = None) -> list[tuple[str, float]]:
        """Labels with their probabilities, most likely first."""
        p = self.probabilities(image[None])[0]
        order = np.argsort(-p)[:top]
        return [(self.labels[i], float(p[i])) for i in order]


@functools.cache
def served(experiment: Experiment):
    """The experiment's runtime (its kind's class) over its committed model, loaded once per process."""
    return experiment.open_runtime()
