"""The checks of tests/served.py fail when a wrong model is served: a constant answer, the committed model
with its labels permuted, or another experiment's model under this one's name; and a model file that does
not match its card is not served at all."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import httpx
import pytest

import served
import wrong_models
from conftest import free_port, start_server, wait_until_up
from mlsandbox import experiments
from mlsandbox.experiments import PACKAGE_ARTIFACTS


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


@pytest.mark.parametrize("kind", WRONG)
def test_accuracy_check_fails_for_a_wrong_model_of_every_experiment(serve_instead, kind):
    server = serve_instead({e.id: WRONG[kind](e) for e in experiments.REGISTRY.values()})
    for experiment_id in experiments.REGISTRY:
        sample = served.held_out(experiment_id)
        outputs = served.served_outputs(server, sample)
        with pytest.raises(AssertionError, match="below the floor"):
            served.check_accuracy(server, sample, outputs)
        with pytest.raises(AssertionError, match="not serve the committed model"):
            served.check_is_committed_model(server, sample, outputs)


def test_the_digits_mlp_served_as_the_cnn_is_caught(serve_instead):
    server = serve_instead({"digits_cnn": PACKAGE_ARTIFACTS / "digits_mlp" / "model.onnx"})
    sample = served.held_out("digits_cnn")
    outputs = served.served_outputs(server, sample)
    served.check_accuracy(server, sample, outputs)  # a good digit model: accuracy alone cannot tell
    with pytest.raises(AssertionError, match="not serve the committed model"):
        served.check_is_committed_model(server, sample, outputs)
    assert server.client.get("/api/experiments/digits_cnn").json()["sha256"] != served.committed_card(
        experiments.get("digits_cnn"))["model"]["sha256"]


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
