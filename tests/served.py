"""Checks that the served model is the committed one and that it is right about held-out inputs.

Every experiment in the registry gets them (tests/test_served.py), and tests/test_teeth.py shows they
fail when a wrong model is served: a constant one, one with its labels permuted, or another
experiment's model.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass

import numpy as np

from mlsandbox import assets, experiments
from mlsandbox.drawings import CANVAS, canvas_png
from mlsandbox.experiments import PACKAGE_ARTIFACTS, Experiment
from mlsandbox.runtime import Classifier

SAME_PROBABILITIES = 1e-5
PER_CLASS = {"digits": 10, "sketches": 1}  # held-out inputs of each class sent through the API
SIGMAS = 4  # how far below the committed model's test accuracy a sample of n may fall by chance


@dataclass(frozen=True)
class Sample:
    """Held-out test inputs of every class, as the page sends them, with their true labels."""

    experiment: Experiment
    bodies: tuple[bytes, ...]
    labels: np.ndarray


@functools.cache
def held_out(experiment_id: str) -> Sample:
    """The first PER_CLASS test images of each class, drawn on the page's canvas as PNG."""
    experiment = experiments.get(experiment_id)
    split = experiment.load_data()
    chosen = np.concatenate([np.flatnonzero(split.y_test == k)[: PER_CLASS[experiment.family]]
                             for k in range(len(experiment.labels))])
    bodies = tuple(canvas_png(split.x_test[i], scale=0.9 * CANVAS / split.x_test.shape[1]) for i in chosen)
    return Sample(experiment, bodies, split.y_test[chosen])


def committed_card(experiment: Experiment) -> dict:
    """The card in the package, whatever MLSANDBOX_ARTIFACTS points the server at."""
    return json.loads((PACKAGE_ARTIFACTS / experiment.id / "card.json").read_text())


def served_probabilities(client, sample: Sample) -> np.ndarray:
    """(N, classes) probabilities from the real endpoint, in the experiment's label order."""
    order = {label: i for i, label in enumerate(sample.experiment.labels)}
    rows = []
    for body in sample.bodies:
        response = client.post(f"/api/experiments/{sample.experiment.id}/predict", content=body,
                               headers={"Content-Type": "image/png"})
        assert response.status_code == 200, response.text
        row = np.zeros(len(order))
        for guess in response.json()["ranked"]:
            row[order[guess["label"]]] = guess["probability"]
        rows.append(row)
    return np.array(rows)


def offline_probabilities(sample: Sample) -> np.ndarray:
    """The committed ONNX file run here, on the same bytes through the same preprocessing."""
    path = PACKAGE_ARTIFACTS / sample.experiment.id / "model.onnx"
    inputs = np.stack([sample.experiment.prepare(body) for body in sample.bodies])
    return Classifier(sample.experiment, path).probabilities(inputs)


def accuracy_floor(experiment: Experiment, n: int) -> float:
    """The committed test accuracy less SIGMAS standard errors of a sample of n: the real model stays
    above it; chance, a constant answer or shuffled labels (1 / classes) stay far below."""
    p = committed_card(experiment)["metrics"]["accuracy"]
    return p - SIGMAS * math.sqrt(p * (1 - p) / n)


def check_is_committed_model(client, sample: Sample, probabilities: np.ndarray) -> None:
    """(a) The server reports the committed file's sha256 and gives its probabilities."""
    experiment = sample.experiment
    committed = assets.sha256_of(PACKAGE_ARTIFACTS / experiment.id / "model.onnx")
    assert client.get(f"/api/experiments/{experiment.id}").json()["sha256"] == committed, \
        f"{experiment.id}: the server does not serve the committed model file"
    difference = float(np.abs(probabilities - offline_probabilities(sample)).max())
    assert difference <= SAME_PROBABILITIES, \
        f"{experiment.id}: served probabilities differ from the committed model's by {difference:.2e}"


def check_accuracy(sample: Sample, probabilities: np.ndarray) -> None:
    """(b) The served answers are right about the held-out inputs' true labels."""
    accuracy = float((probabilities.argmax(axis=1) == sample.labels).mean())
    floor = accuracy_floor(sample.experiment, len(sample.labels))
    assert accuracy >= floor, (f"{sample.experiment.id}: {accuracy:.3f} of {len(sample.labels)} held-out inputs "
                               f"named right, below the floor {floor:.3f}")
