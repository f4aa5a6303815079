"""Metrics on the held-out test split, computed from the exported ONNX model (what is served)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlsandbox.kinds import Experiment
from mlsandbox.runtime import Classifier


def top_k_accuracy(probabilities: np.ndarray, labels: np.ndarray, k: int) -> float:
    top = np.argsort(-probabilities, axis=1)[:, :k]
    return float((top == labels[:, None]).any(axis=1).mean())


def confusion_matrix(predicted: np.ndarray, labels: np.ndarray, classes: int) -> np.ndarray:
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    return matrix


def prepare_all(experiment: Experiment, images: np.ndarray) -> np.ndarray:
    """Run every image through the same preprocessing the page and the CLI use."""
    return np.stack([experiment.prepare_array(image) for image in images])


def by_group(right: np.ndarray, groups: dict[str, np.ndarray]) -> dict:
    """The metric "by_group": accuracy over each named group of test examples (right: whether each example was
    answered right); nothing where the data names no groups."""
    if not groups:
        return {}
    return {"by_group": {name: {"examples": int(members.sum()),
                                "accuracy": float(right[members].mean()) if members.any() else None}
                         for name, members in groups.items()}}


def evaluate(experiment: Experiment, images: np.ndarray, labels: np.ndarray, model_path: Path | None = None,
             groups: dict[str, np.ndarray] | None = None) -> tuple[dict, np.ndarray]:
    """Accuracy and top-3 accuracy (JSON-ready), accuracy in each class (in label order) and by group where the
    data names groups of its test examples, and the confusion matrix of the ONNX model (the committed one by
    default)."""
    probabilities = Classifier(experiment, model_path).probabilities(prepare_all(experiment, images))
    predicted = probabilities.argmax(1)
    confusion = confusion_matrix(predicted, labels, len(experiment.labels))
    metrics = {
        "accuracy": float((predicted == labels).mean()),
        "top3_accuracy": top_k_accuracy(probabilities, labels, 3),
        "test_examples": int(len(labels)),
        "per_class": per_class(confusion),
        **by_group(predicted == labels, groups or {}),
    }
    return metrics, confusion


def per_class(confusion: np.ndarray) -> list[float | None]:
    """Each class's accuracy, rounded to 4 places; None for a class with no test example."""
    counts = confusion.sum(1)
    return [round(float(confusion[i, i] / n), 4) if n else None for i, n in enumerate(counts)]
