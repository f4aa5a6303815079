"""The training loop never reads the test split, and ships the epoch of best validation accuracy."""

from __future__ import annotations

import dataclasses
import json

import pytest

from mlsandbox import experiments
from mlsandbox.data import Split


class Sealed:
    """Stands in for a test array: any use of it fails the test."""

    def __init__(self, name: str):
        self.name = name

    def _read(self, *args, **kwargs):
        raise AssertionError(f"training read {self.name}, which belongs to the test split")

    __len__ = __getitem__ = __iter__ = __array__ = __getattr__ = _read


def best_epoch_by_validation(history: list[dict]) -> int:
    """The first epoch with the highest validation accuracy, counted from 1."""
    accuracies = [h["val_accuracy"] for h in history]
    return accuracies.index(max(accuracies)) + 1


def test_training_never_reads_the_test_split_and_keeps_the_best_validation_epoch(mnist_split, tmp_path, monkeypatch):
    from mlsandbox import assets, train

    monkeypatch.setenv(assets.CACHE_ENV, str(tmp_path))  # the run's checkpoint goes here
    small = mnist_split.subset(600)
    sealed = Split(small.x_train, small.y_train, small.x_val, small.y_val, Sealed("x_test"), Sealed("y_test"),
                   description=small.description)
    experiment = experiments.get("digits_mlp")
    recipe = dataclasses.replace(train.quick(experiment.recipe), epochs=4)
    result = train.fit(experiment, sealed, recipe)
    assert len(result.history) == 4
    assert result.best_epoch == best_epoch_by_validation(result.history)


@pytest.mark.parametrize("experiment_id", list(experiments.REGISTRY))
def test_each_committed_model_is_its_best_validation_epoch(experiment_id):
    experiment = experiments.get(experiment_id)
    history = json.loads((experiment.artifact_dir / "history.json").read_text())
    assert experiment.card()["training"]["best_epoch"] == best_epoch_by_validation(history)
