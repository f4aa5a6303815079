"""`mlsandbox evaluate` loads only what it scores: an experiment's test part, built alone where the experiment
says how (load_test), is the test part of its whole split, and evaluating never builds the training part."""

import dataclasses
import json
from types import SimpleNamespace

import numpy as np
import pytest

from mlsandbox import cli, experiments
from mlsandbox.data import hands
from mlsandbox.data.hands import points

ALONE = [e.id for e in experiments.REGISTRY.values() if e.load_test]
WHOLE = [e.id for e in experiments.REGISTRY.values() if not e.load_test]
SMALL = {"train": 3, "validation": 3, "test": 3}


def test_the_hand_experiments_build_their_test_part_alone_and_the_others_load_it_as_trained():
    assert set(ALONE) == {"rps_cnn", "rps_mobilenet_v2", "rps_landmarks"}  # renders: minutes for the whole split
    for experiment_id in WHOLE:
        loaded = object()
        experiment = dataclasses.replace(experiments.get(experiment_id), load_data=lambda: loaded)
        assert experiment.test_data() is loaded


@pytest.fixture
def small(monkeypatch, tmp_path):
    """Small splits in fast mode: use(cache) caches the hand data under tmp_path/cache; parts lists the part of
    each picture rendered."""
    parts = []
    draw = hands._drawn
    monkeypatch.setattr(hands, "_drawn", lambda index, part, size: parts.append(part) or draw(index, part, size))
    monkeypatch.setenv("MLSANDBOX_FAST", "1")
    for part, count in SMALL.items():
        monkeypatch.setitem(hands.FAST_COUNTS, part, count)

    def use(cache: str) -> None:
        cached = SimpleNamespace(cache_dir=lambda: tmp_path / cache)  # the photos behind the hands stay put
        monkeypatch.setattr(hands, "assets", cached)
        monkeypatch.setattr(points, "assets", cached)

    return SimpleNamespace(parts=parts, use=use)


@pytest.mark.parametrize("experiment_id", ALONE)
def test_the_test_part_built_alone_is_the_whole_splits(small, experiment_id):
    experiment = experiments.get(experiment_id)
    small.use("alone")
    alone = experiment.test_data()
    assert set(small.parts) == {"test"} and len(alone.y_train) == len(alone.y_val) == 0
    small.use("whole")  # a cache of its own, or the whole split would read the test part back
    whole = experiment.load_data()
    assert {"train", "validation"} <= set(small.parts)
    np.testing.assert_array_equal(alone.x_test, whole.x_test)
    np.testing.assert_array_equal(alone.y_test, whole.y_test)
    assert alone.groups.keys() == whole.groups.keys()
    for name, members in whole.groups.items():
        np.testing.assert_array_equal(alone.groups[name], members)


@pytest.mark.parametrize("experiment_id", ALONE)
def test_evaluate_renders_the_test_part_only(small, monkeypatch, capsys, experiment_id):
    def untouched():
        raise AssertionError("evaluate loaded the whole split")

    monkeypatch.setitem(experiments.REGISTRY, experiment_id,
                        dataclasses.replace(experiments.get(experiment_id), load_data=untouched))
    small.use("cache")
    assert cli.main(["evaluate", experiment_id, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(small.parts) == {"test"}
    assert report["test_examples"] == SMALL["test"] and "by_group" in report
