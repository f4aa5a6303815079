"""Every experiment, through the real server: it serves the committed model, and that model is right
about held-out inputs (every class of an image classifier, every answer length of a translator, a
held-out play or article for a text generator)."""

import httpx
import pytest

import served
from mlsandbox import experiments


@pytest.fixture(scope="module")
def server(live_server):
    with httpx.Client(base_url=live_server, timeout=30) as client:
        yield served.Served(client, {})


@pytest.mark.parametrize("experiment_id", list(experiments.REGISTRY))
def test_served_model_is_the_committed_one_and_right_on_held_out_inputs(server, experiment_id):
    sample = served.held_out(experiment_id)
    outputs = served.served_outputs(server, sample)
    served.check_is_committed_model(server, sample, outputs)
    served.check_accuracy(server, sample, outputs)


@pytest.mark.parametrize("experiment_id", [e.id for e in experiments.REGISTRY.values() if getattr(e, "labels", None)])
def test_every_class_is_in_the_sample(experiment_id):
    sample = served.held_out(experiment_id)
    assert set(sample.truth) == set(range(len(sample.experiment.labels)))
