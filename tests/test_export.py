"""Export: ONNX Runtime computes what PyTorch computes, and every committed model matches its card."""

import json

import numpy as np
import pytest

import tolerances
from mlsandbox import assets, evaluation, experiments
from mlsandbox.data import faces
from mlsandbox.kinds.face_reader import FaceReader
from mlsandbox.kinds.hand_classifier import HandClassifier
from mlsandbox.kinds.image_classifier import ImageClassifier

REQUIRED_CARD_FIELDS = {"id", "title", "dataset", "split", "metrics", "parameters", "model", "training", "command"}
IMPORTED_CARD_FIELDS = {"id", "title", "dataset", "metrics", "model", "source", "imported", "command"}

# Drawings; hand classifiers (colour pictures, two outputs) are checked in tests/test_rps.py.
IMAGE_CLASSIFIERS = [e.id for e in experiments.REGISTRY.values()
                     if isinstance(e, ImageClassifier) and not isinstance(e, HandClassifier) and not e.pretrained]


@pytest.mark.parametrize("experiment_id", IMAGE_CLASSIFIERS)
def test_onnx_runtime_matches_pytorch(experiment_id, tmp_path, test_digits):
    import torch

    from mlsandbox.kinds.image_classifier_training import parity, to_onnx

    experiment = experiments.get(experiment_id)
    torch.manual_seed(0)
    net = experiment.build_net()
    with torch.no_grad():  # give batch norm statistics that are not the identity
        net.train()(torch.rand(64, 1, *experiment.input_size))
    path = tmp_path / "model.onnx"
    to_onnx(net.eval(), experiment.input_size, path)
    inputs = evaluation.prepare_all(experiment, test_digits[0][:64])
    assert parity(net, path, inputs) < tolerances.ONNX_VS_PYTORCH
    assert parity(net, path, inputs[:1]) < tolerances.ONNX_VS_PYTORCH  # any batch size


@pytest.mark.parametrize("experiment_id", list(experiments.REGISTRY))
def test_committed_model_matches_its_card(experiment_id):
    experiment = experiments.get(experiment_id)
    card = experiment.card()
    assert card is not None, f"run `{experiment.remake}` and commit its artifacts"
    assert card["model"]["sha256"] == assets.sha256_of(experiment.model_path)
    assert card["model"]["bytes"] == experiment.model_path.stat().st_size
    for name, pinned in card["model"].get("companions", {}).items():  # a VAE's encoder, a face detector
        companion = experiment.artifact_dir / name
        assert pinned["sha256"] == assets.sha256_of(companion) and pinned["bytes"] == companion.stat().st_size, name
    if experiment.pretrained:
        assert IMPORTED_CARD_FIELDS <= card.keys() and card["source"]["pretrained"]
        assert card["command"] == experiment.remake
        if isinstance(experiment, FaceReader):  # every photo with faces, and every photo (and cut) without
            assert card["metrics"]["photos_with_faces"].keys() == faces.with_faces().keys()
            assert card["metrics"]["highest_score_without_faces"].keys() == faces.without_faces().keys()
            assert card["model"]["companions"].keys() == {"face_detector.onnx"}
        else:
            assert set(card["metrics"]["photos"]) == set(experiment.load_data())  # every test photo
        return
    assert REQUIRED_CARD_FIELDS <= card.keys()
    scored = card["metrics"].get("test_examples", card["metrics"].get("characters"))  # what the test split counts
    assert 0.99 * card["split"]["test"] <= scored <= card["split"]["test"]
    history = json.loads((experiment.artifact_dir / "history.json").read_text())
    assert len(history) == card["training"]["epochs"]
    assert history[card["training"]["best_epoch"] - 1]["val_accuracy"] == card["training"]["best_val_accuracy"]
    for picture in ("curves.png", "confusion.png") if isinstance(experiment, ImageClassifier) else ("curves.png",):
        assert (experiment.artifact_dir / picture).read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("experiment_id", [e.id for e in experiments.REGISTRY.values() if isinstance(e, FaceReader)])
def test_a_face_reader_finds_the_faces_its_card_lists(experiment_id):
    """What evaluate measures of the committed pair is its card's (tests/test_teeth.py: not a wrong pair's)."""
    experiment = experiments.get(experiment_id)
    metrics, _ = experiment.evaluate(experiment.test_data())
    tolerances.check_faces_match_card({"id": experiment_id, **metrics}, experiment.card())


def test_probabilities_are_a_distribution(test_digits):
    from mlsandbox.runtime import Classifier

    p = Classifier(experiments.get("digits_cnn")).probabilities(evaluation.prepare_all(
        experiments.get("digits_cnn"), test_digits[0][:50]))
    assert p.shape == (50, 10)
    assert np.allclose(p.sum(axis=1), 1, rtol=0, atol=tolerances.SUMS_TO_ONE) and (p >= 0).all()


def test_an_interrupted_export_leaves_the_old_model_serving(tmp_path, monkeypatch, mnist_split):
    """Ctrl-C while the new artifacts are being written: the old folder is untouched and still loads."""
    import shutil

    import torch

    from mlsandbox import export, plots, runtime, train

    monkeypatch.setenv(experiments.ARTIFACTS_ENV, str(tmp_path))
    experiment = experiments.get("digits_mlp")
    shutil.copytree(experiments.PACKAGE_ARTIFACTS / experiment.id, experiment.artifact_dir)
    before = {p.name: p.read_bytes() for p in experiment.artifact_dir.iterdir()}

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(plots, "confusion", interrupt)  # the last file written before the swap
    torch.manual_seed(0)
    result = train.Result(model=experiment.build_net().eval(), recipe=experiment.recipe,
                          history=[{"epoch": 1, "train_loss": 2.3, "train_accuracy": 0.1, "val_loss": 2.3,
                                   "val_accuracy": 0.1}], best_epoch=1)
    with pytest.raises(KeyboardInterrupt):
        export.export(experiment, mnist_split.subset(100), result, command="test")
    assert {p.name: p.read_bytes() for p in experiment.artifact_dir.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == [experiment.id]  # no half-written folder left behind
    runtime.Classifier(experiment)  # loads, and matches its card


def test_a_swap_interrupted_between_its_two_renames_puts_the_old_folder_back(tmp_path, monkeypatch):
    import os

    from mlsandbox import export

    old, new = tmp_path / "model", tmp_path / "staging"
    old.mkdir()
    (old / "model.onnx").write_text("old")
    new.mkdir()
    (new / "model.onnx").write_text("new")
    real_replace, calls = os.replace, []

    def replace(src, dst):
        calls.append(src)
        if len(calls) == 2:  # after the old folder was moved aside
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(export.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        export.replace_directory(new, old)
    assert (old / "model.onnx").read_text() == "old"
    monkeypatch.setattr(export.os, "replace", real_replace)
    export.replace_directory(new, old)
    assert (old / "model.onnx").read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["model"]
