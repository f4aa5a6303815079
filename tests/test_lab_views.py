"""The lab's views of a network in training (each task's lab_examples and lab_view): the JSON the page reads,
small, with real PNG pictures, and true to the validation examples it describes."""

from __future__ import annotations

import base64
import dataclasses
import io
import json

import numpy as np
import pytest
import torch
from PIL import Image

from mlsandbox.data import Split
from mlsandbox.experiments import get
from mlsandbox.kinds.image_classifier_training import followed
from mlsandbox.lab import pictures

LIMIT = 60_000  # bytes of JSON in one view
VIEW_KEYS = {"confusion", "per_class", "confused", "guesses", "mistakes", "filters", "activations"}


def png(url: str) -> Image.Image:
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix)
    image = Image.open(io.BytesIO(base64.b64decode(url[len(prefix):])))
    image.load()
    assert image.format == "PNG"
    return image


def small_json(view: dict) -> dict:
    assert len(json.dumps(view)) < LIMIT
    return json.loads(json.dumps(view))  # what the page gets: numbers and strings only


def built(experiment_id: str, data):
    torch.manual_seed(0)
    experiment = get(experiment_id)
    return experiment.training_task(data, experiment.recipe), experiment.build_net()


@pytest.fixture(scope="module")
def digits():
    return get("digits_mlp").load_data().subset(200)


def check_classifier_view(task, model, view: dict, probabilities: torch.Tensor) -> None:
    """view against the validation labels and the model's own probabilities for each validation example."""
    truth, classes = task.split.y_val, len(task.experiment.labels)
    sureness, guessed = (t.numpy() for t in probabilities.max(1))
    assert set(view) == VIEW_KEYS
    matrix = np.array(view["confusion"])
    assert matrix.shape == (classes, classes)
    assert (matrix.sum(axis=1) == np.bincount(truth, minlength=classes)).all()
    assert (matrix == np.array([[np.sum((truth == t) & (guessed == g)) for g in range(classes)]
                                for t in range(classes)])).all()
    assert np.trace(matrix) / len(truth) == pytest.approx(task.validate(model)[1])
    for label, accuracy in enumerate(view["per_class"]):
        assert accuracy == pytest.approx(matrix[label, label] / matrix[label].sum(), abs=1e-4)
    counts = [pair["count"] for pair in view["confused"]]
    assert len(counts) <= 10 and counts == sorted(counts, reverse=True) and min(counts, default=1) > 0
    for pair in view["confused"]:
        assert pair["truth"] != pair["guess"] and matrix[pair["truth"], pair["guess"]] == pair["count"]
    assert [g["label"] for g in view["guesses"]] == guessed[task.shown].tolist()
    assert [g["probability"] for g in view["guesses"]] == pytest.approx(sureness[task.shown], abs=1e-4)
    mistakes = [m["probability"] for m in view["mistakes"]]
    assert len(mistakes) == min(8, int((guessed != truth).sum())) and mistakes == sorted(mistakes, reverse=True)
    for mistake in view["mistakes"]:
        assert mistake["truth"] != mistake["guess"]
        png(mistake["image"])


def check_examples(task, examples: dict, side: int) -> None:
    assert examples["labels"] == list(task.experiment.labels)
    assert len(examples["examples"]) == 16
    assert [e["label"] for e in examples["examples"]] == task.split.y_val[task.shown].tolist()
    for example in examples["examples"]:
        assert png(example["image"]).size == (side, side)


def test_digits_mlp_view_describes_the_validation_guesses(digits):
    task, model = built("digits_mlp", digits)
    examples = task.lab_examples()
    check_examples(task, examples, 28)
    assert [e["label"] for e in examples["examples"][:10]] == list(range(10))  # every class shows
    first = np.asarray(png(examples["examples"][0]["image"]), dtype=np.float32) / 255
    assert np.abs(first - digits.x_val[task.shown[0]]).max() <= 1 / 255  # the digit itself, as the model reads it

    view = small_json(task.lab_view(model))
    with torch.no_grad():
        check_classifier_view(task, model, view, torch.softmax(model.eval()(task.x_val), 1))
    assert view["filters"]["count"] == 64
    assert png(view["filters"]["image"]).size == (8 * 29 - 1, 8 * 29 - 1)  # 64 units' 28x28 weights, 1-px gaps
    assert view["activations"] == []


def test_digits_cnn_view_draws_its_filters_and_each_stage(digits):
    task, model = built("digits_cnn", digits)
    view = small_json(task.lab_view(model))
    with torch.no_grad():
        check_classifier_view(task, model, view, torch.softmax(model.eval()(task.x_val), 1))
    filters = png(view["filters"]["image"])
    assert view["filters"]["count"] == 32 and filters.size == (8 * 25 - 1, 4 * 25 - 1)  # 3x3 filters made 24x24
    assert [a["stage"] for a in view["activations"]] == [
        "stage 1: 32 channels, 14x14", "stage 2: 64 channels, 7x7", "stage 3: 128 channels, 3x3"]
    assert png(view["activations"][0]["image"]).size == (8 * 29 - 1, 2 * 29 - 1)  # 16 maps, 14x14 made 28x28


def test_a_view_changes_as_the_network_learns(digits):
    task, model = built("digits_mlp", digits)
    before = task.lab_view(model)
    with torch.no_grad():
        model.layers[-1].bias[3] += 100  # now it calls every digit a 3
    after = task.lab_view(model)
    assert before["confusion"] != after["confusion"]
    assert [g["label"] for g in after["guesses"]] == [3] * 16
    assert np.array(after["confusion"])[:, 3].sum() == len(digits.y_val)
    assert before["filters"] == after["filters"]  # the first layer did not change


def test_the_followed_examples_are_each_class_in_turn():
    labels = np.array([2, 0, 0, 1, 2, 0, 1])
    assert followed(labels, 5).tolist() == [1, 3, 0, 2, 6]
    assert followed(labels, 100).tolist() == [1, 3, 0, 2, 6, 4, 5]


def test_many_classes_send_no_matrix_but_their_worst_pairs():
    from mlsandbox.kinds.image_classifier_training import class_view

    truth = np.arange(40) % 30
    guess = np.where(truth == 7, 8, truth)
    guess[:3] = -1  # no guess: wrong, and in no column
    view = class_view(guess, np.linspace(0, 1, 40), truth, 30, np.arange(16), lambda i: f"picture {i}")
    assert view["confusion"] is None
    assert view["confused"] == [{"truth": 7, "guess": 8, "count": 2}]
    assert view["per_class"][7] == 0 and view["per_class"][0] == 0.5 and view["per_class"][29] == 1
    assert view["guesses"][0] == {"label": None, "probability": 0.0}
    assert [m["image"] for m in view["mistakes"]] == ["picture 37", "picture 7"]


def test_sums_are_shown_with_the_answer_read_in_writing_order():
    experiment = get("numbers_summation")
    task, model = built("numbers_summation", experiment.load_data().subset(50))
    assert task.lab_examples() == {}
    texts, truths = task.data.validation

    class Knows(torch.nn.Module):  # writes every right answer, last digit first, as the experiment's model does
        def forward(self, x):
            ids = torch.from_numpy(experiment.encode_output(truths[: len(x)]))
            return torch.nn.functional.one_hot(ids, len(experiment.output_alphabet)).float()

    view = small_json(task.lab_view(Knows()))
    assert [s["text"] for s in view["samples"]] == texts[:12]
    assert all(s["answer"] == s["truth"] == str(eval(s["text"])) and s["right"] for s in view["samples"])

    fresh = small_json(task.lab_view(model))["samples"]
    assert len(fresh) == 12 and all(s["right"] == (s["answer"] == s["truth"]) for s in fresh)
    assert not all(s["right"] for s in fresh)  # an untrained network does not add


@pytest.fixture
def one_thread():
    """As the lab's trainer runs on two cores, and so that a busy machine does not stall the network's threads."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_text_view_is_a_sample_after_the_prompt(monkeypatch, one_thread):
    from mlsandbox.kinds import text_generator_training as text

    torch.manual_seed(0)
    experiment = get("shakespeare_lstm")
    recipe = dataclasses.replace(experiment.recipe, context=32)  # the sample reads this many characters back
    task, model = experiment.training_task(experiment.load_data().subset(500), recipe), experiment.build_net()
    assert task.lab_examples() == {"prompt": experiment.prompts[0]}
    monkeypatch.setattr(text, "LAB_SECONDS", None)  # all of it, however busy the machine
    sample = small_json(task.lab_view(model))["sample"]
    assert len(sample) == text.LAB_LENGTH == 150 and set(sample) <= set(task.chars)
    assert sample[:30] == text.sample(model, task.chars, experiment.prompts[0], 30, 0.8, 32)  # the same draw each time
    monkeypatch.setattr(text, "LAB_SECONDS", 0)
    assert task.lab_view(model)["sample"] == ""  # out of time before its first character


def pictures_split(rng: np.random.Generator, count: int, side: int) -> Split:
    """Random colour pictures with labels cycling through rock, paper, scissors, tinted red, green and blue."""
    y = np.arange(count, dtype=np.int64) % 3
    x = rng.random((count, 3, side, side), dtype=np.float32) / 2
    x[np.arange(count), y] += 0.5
    return Split(x, y, x, y, x[:0], y[:0], description="random pictures")


def test_hand_cnn_view_is_an_image_classifiers_in_colour():
    from mlsandbox.experiments.rps import build_cnn

    torch.manual_seed(0)
    experiment = dataclasses.replace(get("rps_cnn"), backdrops=None, input_size=(32, 32),
                                     build_net=lambda: build_cnn(size=32))
    task = experiment.training_task(pictures_split(np.random.default_rng(0), 60, 32), experiment.recipe)
    model = experiment.build_net()
    check_examples(task, task.lab_examples(), 32)
    assert png(task.lab_examples()["examples"][0]["image"]).mode in ("RGB", "P")
    view = small_json(task.lab_view(model))
    with torch.no_grad():
        check_classifier_view(task, model, view, torch.softmax(model.eval()(task.x_val), 1))
    assert view["filters"]["count"] == 16 and "colours" in view["filters"]["caption"]
    # The last stage ends in a global maximum: its maps are the ones before it.
    assert [a["stage"] for a in view["activations"]][-1] == "stage 4: 128 channels, 4x4"


def test_frozen_lower_view_reads_the_frozen_blocks_output():
    from mlsandbox.nets.mobilenet_v2 import MobileNetV2Transfer

    torch.manual_seed(0)
    experiment = dataclasses.replace(get("rps_mobilenet_v2"), input_size=(32, 32),
                                     build_net=lambda: MobileNetV2Transfer(3, weights=None, frozen=11))
    task = experiment.training_task(pictures_split(np.random.default_rng(1), 40, 32), experiment.recipe)
    model = experiment.build_net()
    for layer in model.modules():  # statistics of these pictures: untrained, its activations would vanish
        if isinstance(layer, torch.nn.BatchNorm2d):
            layer.momentum = None
    with torch.no_grad():
        torch.nn.Module.train(model)(task.x_val)
        task.h_val = model.eval().lower(task.x_val)  # what its ONNX copy of the frozen blocks would give
        probabilities = torch.softmax(model(task.x_val), 1)
    view = small_json(task.lab_view(model))
    check_classifier_view(task, model, view, probabilities)
    assert view["filters"]["count"] == 32 and view["activations"] == []


def test_landmark_view_draws_hands_as_bones():
    from mlsandbox.data.hands import pose_points
    from mlsandbox.kinds.hand_landmarks import hand_features

    rng = np.random.default_rng(0)
    y = np.arange(60, dtype=np.int64) % 3
    x = hand_features(np.stack([pose_points(rng, int(label)) for label in y]).astype(np.float32))
    x_val = x.copy()
    x_val[:6] = np.nan  # no hand seen in the first two of each pose
    task, model = built("rps_landmarks", Split(x, y, x_val, y, x[:0], y[:0], description="kinematic hands"))
    examples = task.lab_examples()
    assert min(task.shown) >= 6  # only hands that were seen are followed
    check_examples(task, examples, 48)
    assert np.asarray(png(examples["examples"][0]["image"])).max() == 255  # bones drawn
    view = small_json(task.lab_view(model))
    assert set(view) == VIEW_KEYS and view["filters"] is None and view["activations"] == []
    matrix = np.array(view["confusion"])
    assert (matrix.sum(axis=1) == [18, 18, 18]).all()  # the renders with a hand seen
    accuracy = sum(a * 20 for a in view["per_class"]) / 60  # a render with no hand seen counts as wrong
    assert accuracy == pytest.approx(task.validate(model)[1], abs=1e-3)


def test_tiles_stretch_each_map_and_keep_a_transparent_gap():
    maps = np.stack([np.array([[-2.0, 0.0], [1.0, 2.0]]), np.array([[0.0, 0.0], [0.0, 0.5]])])
    image = pictures.tiled(maps, signed=True, scale=2)
    assert image.shape == (4, 4, 9)  # two 4x4 tiles side by side, one column between
    assert (image[3, :, 4] == 0).all() and (image[3, :, :4] == 1).all()
    assert np.allclose(image[:3, 0, 0], pictures.NEGATIVE)  # the most negative value: full blue
    assert np.allclose(image[:3, 3, 3], pictures.POSITIVE) and np.allclose(image[:3, 3, 8], pictures.POSITIVE)
    assert np.allclose(image[:3, 0, 2], 1)  # zero: white
    grey = pictures.tiled(np.array([[[1.0, 3.0]]]))
    assert np.allclose(grey[:3, 0], [[0, 1]] * 3)


def test_data_urls_hold_the_picture():
    rng = np.random.default_rng(0)
    for image in (rng.random((5, 7)), rng.random((3, 5, 7)), pictures.tiled(rng.normal(size=(5, 4, 4)))):
        decoded = np.asarray(png(pictures.data_url(image)).convert("RGBA"), dtype=np.float64) / 255
        expected = image[None] if image.ndim == 2 else image
        channels = np.moveaxis(decoded, -1, 0)[: len(expected)] if len(expected) > 1 else decoded[None, ..., 0]
        assert np.abs(channels - expected).max() <= 0.5 / 255 + 1e-9
    assert png(pictures.data_url(pictures.tiled(rng.normal(size=(5, 4, 4))))).mode == "P"  # few colours
