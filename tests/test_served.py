"""Every experiment, through the real server: it serves the committed model, and that model names
held-out inputs of every class right."""

import httpx
import pytest

import served
from mlsandbox import experiments


@pytest.fixture(scope="module")
def api(live_server):
    with httpx.Client(base_url=live_server, timeout=30) as client:
        yield client


@pytest.mark.parametrize("experiment_id", list(experiments.REGISTRY))
def test_served_model_is_the_committed_one_and_right_on_held_out_inputs(api, experiment_id):
    sample = served.held_out(experiment_id)
    assert set(sample.labels) == set(range(len(sample.experiment.labels)))  # every class is represented
    probabilities = served.served_probabilities(api, sample)
    served.check_is_committed_model(api, sample, probabilities)
    served.check_accuracy(sample, probabilities)
