"""The training loop never reads the test split, and ships the epoch of best validation figure."""

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
    accuracies = [h["val_accuracy"] for h in result.history]
    assert result.best_epoch == accuracies.index(max(accuracies)) + 1


@pytest.mark.parametrize("experiment_id", [e.id for e in experiments.REGISTRY.values() if not e.pretrained])
def test_each_committed_model_is_its_best_validation_epoch(experiment_id):
    experiment = experiments.get(experiment_id)
    history = json.loads((experiment.artifact_dir / "history.json").read_text())
    values = [h[experiment.selected_by] for h in history]
    best = max(values) if experiment.higher_is_better else min(values)
    assert experiment.card()["training"]["best_epoch"] == values.index(best) + 1
