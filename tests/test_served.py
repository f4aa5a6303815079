"""Every experiment, through the real server: it serves the committed model, and that model is right
about held-out inputs (every class of an image classifier, every answer length of a translator, a
held-out play or article for a text generator)."""

import httpx
import pytest

import served
from mlsandbox import experiments
from mlsandbox.data import faces
from mlsandbox.kinds.face_reader import FaceReader


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


@pytest.mark.parametrize("experiment_id", [e.id for e in experiments.REGISTRY.values()
                                           if getattr(e, "labels", None) and not isinstance(e, FaceReader)])
def test_every_class_is_in_the_sample(experiment_id):
    sample = served.held_out(experiment_id)
    assert set(sample.truth) == set(range(len(sample.experiment.labels)))


@pytest.mark.parametrize("experiment_id", [e.id for e in experiments.REGISTRY.values() if isinstance(e, FaceReader)])
def test_a_face_reader_is_shown_every_photo_with_faces_and_without(experiment_id):
    """Its sample is every photo of faces (each face the card found in it to be found, and it found one in each)
    and every photo without (and its cuts), where none may be found."""
    sample = served.held_out(experiment_id)
    with_faces, without = faces.with_faces(), faces.without_faces()
    assert len(sample.inputs) == len(sample.truth) == len(with_faces) + len(without)
    found = served.committed_card(sample.experiment)["metrics"]["photos_with_faces"]
    assert found.keys() == with_faces.keys() and list(sample.truth[len(with_faces):]) == [[]] * len(without)
    assert all(sample.truth[: len(with_faces)]), "the card finds no face in a photo of faces"
