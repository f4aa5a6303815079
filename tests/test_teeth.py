"""The checks of tests/served.py fail when a wrong model is served: a constant answer, the committed model
with its labels permuted, or another experiment's model under this one's name (and for an image generator, one
that draws noise, or the same picture whatever it is asked; for a face reader, a face detector that finds a face
everywhere or nowhere beside the committed expression network); so do the card checks of
tests/tolerances.py on what `mlsandbox evaluate --json` measures of such a model, and the detector's check
against the reference decoding; and a model file that does not match its card is not served at all."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import httpx
import pytest

import served
import tolerances
import wrong_models
from conftest import free_port, start_server, wait_until_up
from mlsandbox import experiments
from mlsandbox.data import photos
from mlsandbox.experiments import PACKAGE_ARTIFACTS
from mlsandbox.kinds.face_reader import FaceReader
from mlsandbox.kinds.image_generator import ImageGenerator
from mlsandbox.kinds.object_detector import Detector


@pytest.fixture(scope="module")
def serve_instead(tmp_path_factory):
    """Start a real server whose artifacts are the given wrong models; yield a client for it."""
    processes = []

    def start(models: dict) -> served.Served:
        artifacts = tmp_path_factory.mktemp("wrong-artifacts")
        for experiment_id, model in models.items():
            wrong_models.serve_in_place(artifacts, experiments.get(experiment_id), model)
        port = free_port()
        env = served.env_of(artifacts)
        process = start_server(port, env=env)
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, process)
        return served.Served(httpx.Client(base_url=url, timeout=30), env)

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


WRONG = {"constant": wrong_models.constant, "permuted": wrong_models.permuted}


def every_served_check_fails(server, experiment_id: str) -> None:
    sample = served.held_out(experiment_id)
    outputs = served.served_outputs(server, sample)
    with pytest.raises(AssertionError, match="below the floor"):
        served.check_accuracy(server, sample, outputs)
    with pytest.raises(AssertionError, match="not serve the committed model"):
        served.check_reports_committed_file(server, sample)
    with pytest.raises(AssertionError, match="differ from the committed model's"):  # were its sha256 the same
        served.check_gives_committed_answers(sample, outputs)


@pytest.mark.parametrize("kind", WRONG)
def test_accuracy_check_fails_for_a_wrong_model_of_every_experiment(serve_instead, kind):
    server = serve_instead({e.id: WRONG[kind](e) for e in experiments.REGISTRY.values()})
    for experiment_id in experiments.REGISTRY:
        every_served_check_fails(server, experiment_id)


WRONG_GENERATORS = {"noise": wrong_models.noise, "same picture": wrong_models.same_picture}
GENERATORS = [e.id for e in experiments.REGISTRY.values() if isinstance(e, ImageGenerator)]


@pytest.mark.parametrize("kind", WRONG_GENERATORS)
@pytest.mark.parametrize("experiment_id", GENERATORS)
def test_the_drawing_checks_fail_for_a_wrong_generator(serve_instead, experiment_id, kind):
    """Noise, or one picture whatever is asked: the judge reads too few of them with confidence (or as the digit
    asked), or too few kinds of thing; and they are not the committed model's pictures."""
    server = serve_instead({experiment_id: WRONG_GENERATORS[kind](experiments.get(experiment_id))})
    sample = served.held_out(experiment_id)
    outputs = served.served_outputs(server, sample)
    with pytest.raises(AssertionError, match="below the floor"):
        served.check_drawing(sample, outputs)
    with pytest.raises(AssertionError, match="differ from the committed model's"):
        served.check_gives_committed_answers(sample, outputs)


WRONG_FACE_DETECTORS = {"every anchor a face": wrong_models.faces_everywhere,
                        "no face anywhere": wrong_models.faces_nowhere}
FACE_READERS = [e.id for e in experiments.REGISTRY.values() if isinstance(e, FaceReader)]


@pytest.mark.parametrize("kind", WRONG_FACE_DETECTORS)
@pytest.mark.parametrize("experiment_id", FACE_READERS)
def test_the_face_checks_fail_for_a_wrong_face_detector(serve_instead, experiment_id, kind):
    """The committed expression network (model.onnx, whose sha256 the server reports), behind a face detector sure
    of a face at every anchor, or at none: faces in the photos that show none, or none where the card found them;
    the card served pins another detector; and the answers are not the committed pair's."""
    server = serve_instead({experiment_id: WRONG_FACE_DETECTORS[kind](experiments.get(experiment_id))})
    every_served_check_fails(server, experiment_id)


def test_the_digits_mlp_served_as_the_cnn_is_caught(serve_instead):
    server = serve_instead({"digits_cnn": PACKAGE_ARTIFACTS / "digits_mlp" / "model.onnx"})
    sample = served.held_out("digits_cnn")
    outputs = served.served_outputs(server, sample)
    served.check_accuracy(server, sample, outputs)  # a good digit model: accuracy alone cannot tell
    with pytest.raises(AssertionError, match="not serve the committed model"):
        served.check_reports_committed_file(server, sample)
    with pytest.raises(AssertionError, match="differ from the committed model's"):
        served.check_gives_committed_answers(sample, outputs)
    assert server.client.get("/api/experiments/digits_cnn").json()["sha256"] != served.committed_card(
        experiments.get("digits_cnn"))["model"]["sha256"]


# `evaluate --json` on a wrong model's artifacts, judged by the card checks of tests/test_cli.py (accuracies),
# test_summation.py (exact match) and test_text_generation.py (nats per character): a constant and a permuted model
# on each check's cheapest experiment, and another experiment's model wherever one reads the same inputs; a generator
# that draws noise, and one that draws one picture (tests/test_image_generator.py checks the real ones' figures); a
# face reader whose expression network answers a constant, and one whose detector finds faces everywhere
# (tests/test_export.py checks the real one's faces).
ACCURACIES = ("accuracy", "top3_accuracy")
CARD_CHECKS = {"digits_mlp": ACCURACIES, "digits_cnn": ACCURACIES, "sketch_cnn": ACCURACIES,
               "numbers_summation": ("exact_match",), "shakespeare_lstm": ("nats_per_char",)}
SWAPPED = {"digits_cnn": "digits_mlp", "sketch_cnn": "sketch_mlp", "shakespeare_lstm": "wikipedia"}
# A text model's evaluate scores every held-out character (19 s): a constant one is caught as surely as a permuted one.
EVALUATED = ([(e, kind) for e in ("digits_mlp", "numbers_summation") for kind in WRONG]
             + [("shakespeare_lstm", "permuted")] + [(e, "swapped") for e in SWAPPED]
             + [("digits_gan", "noise"), ("digits_vae", "same picture")]
             + [(e, wrong) for e in FACE_READERS for wrong in ("constant", "every anchor a face")])


def check_matches_card(experiment_id: str, report: dict) -> None:
    experiment = experiments.get(experiment_id)
    card = served.committed_card(experiment)
    if isinstance(experiment, ImageGenerator):
        tolerances.check_generator_matches_card(report, card)
        return
    if isinstance(experiment, FaceReader):
        tolerances.check_faces_match_card(report, card)
        return
    metrics = CARD_CHECKS[experiment_id]
    if "nats_per_char" in metrics:
        tolerances.check_nats_match_card(report, card)
    else:
        tolerances.check_counts_match_card(report, card, metrics)


@pytest.mark.parametrize("experiment_id, wrong", EVALUATED)
def test_the_card_checks_of_evaluate_fail_for_a_wrong_model(tmp_path, experiment_id, wrong):
    experiment = experiments.get(experiment_id)
    made = WRONG | WRONG_GENERATORS | WRONG_FACE_DETECTORS
    model = made[wrong](experiment) if wrong in made else PACKAGE_ARTIFACTS / SWAPPED[experiment_id] / "model.onnx"
    wrong_models.serve_in_place(tmp_path, experiment, model)
    result = subprocess.run([sys.executable, "-m", "mlsandbox", "evaluate", experiment_id, "--json"],
                            capture_output=True, text=True, env={**os.environ, **served.env_of(tmp_path)}, timeout=600)
    assert result.returncode == 0, result.stderr
    with pytest.raises(AssertionError, match="from the card's"):
        check_matches_card(experiment_id, json.loads(result.stdout))


@pytest.mark.parametrize("wrong", WRONG)
def test_the_reference_decoding_check_fails_for_a_wrong_detector(tmp_path, wrong):
    experiment = experiments.get("object_detection")
    wrong_models.serve_in_place(tmp_path, experiment, WRONG[wrong](experiment))
    detector = Detector(experiment, tmp_path / experiment.id / "model.onnx")
    with pytest.raises(AssertionError, match="not the reference's"):
        served.check_decodes_like_the_reference(detector, photos.load())


def test_a_model_file_that_does_not_match_its_card_is_refused_and_the_rest_serve(tmp_path):
    for experiment_id in ("digits_mlp", "digits_cnn"):
        shutil.copytree(PACKAGE_ARTIFACTS / experiment_id, tmp_path / experiment_id)
    shutil.copyfile(PACKAGE_ARTIFACTS / "digits_mlp" / "model.onnx", tmp_path / "digits_cnn" / "model.onnx")
    env = {experiments.ARTIFACTS_ENV: str(tmp_path)}
    port = free_port()
    process = start_server(port, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        body = served.held_out("digits_cnn").inputs[0]
        refused = httpx.post(f"{url}/api/experiments/digits_cnn/predict", content=body)
        assert refused.status_code == 503
        assert "not the model the card describes" in refused.json()["detail"]
        info = httpx.get(f"{url}/api/experiments/digits_cnn").json()
        assert not info["trained"] and info["sha256"] is None and "git checkout" in info["problem"]
        assert httpx.post(f"{url}/api/experiments/digits_mlp/predict", content=body).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
    evaluate = subprocess.run([sys.executable, "-m", "mlsandbox", "evaluate", "digits_cnn"], capture_output=True,
                              text=True, env={**os.environ, **env})
    assert evaluate.returncode == 2 and "not the model the card describes" in evaluate.stderr
