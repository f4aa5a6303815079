"""Rock, paper, scissors: teaching a person's hand (the fit, the taught model the server answers and keeps no
copy of, bad input to the teach routes, bad taught models) and the command line, for the MobileNetV2 model
and the hand landmark reader. The held-out renders through the API are checked with every experiment
(tests/served.py)."""

import base64
import io
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import httpx
import numpy as np
import pytest
from PIL import Image

from mlsandbox import experiments, imaging
from mlsandbox.data import hands
from mlsandbox.kinds import FAST_ENV
from mlsandbox.kinds.hand_classifier import TEACH_LIMITS, TaughtHead, teach
from mlsandbox.web.hand_classifier import MAX_MODEL_BYTES, MAX_TEACH_BYTES
from conftest import running_server
import tolerances
from served import accuracy_floor

HAND = "rps_mobilenet_v2"  # the one that can be taught
HANDS = [e.id for e in experiments.REGISTRY.values() if e.family == "rps"]


EACH_SERVER = True  # its tests of `api` run against one server process and against two (conftest)


def jpeg(picture: np.ndarray, size: int = 224) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(picture).resize((size, size), Image.Resampling.BILINEAR).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def data_url(data: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def renders():
    """Validation renders as the page would send them: (JPEG bytes, label) for the first 45."""
    return [(jpeg(picture), label) for picture, label, _ in (hands.render(i, "validation") for i in range(45))]


def frames(renders, per_pose: int) -> list[dict]:
    chosen = [r for k in range(3) for r in [r for r in renders if r[1] == k][:per_pose]]
    return [{"label": hands.LABELS[label], "image": data_url(data)} for data, label in chosen]


@pytest.mark.parametrize("experiment_id", ["rps_cnn", HAND])
def test_onnx_runtime_matches_pytorch_on_both_outputs(experiment_id, tmp_path, monkeypatch):
    import torch

    from mlsandbox.kinds.hand_classifier_training import HandTask

    experiment = experiments.get(experiment_id)
    monkeypatch.setattr(hands, "assets", SimpleNamespace(cache_dir=lambda: tmp_path))  # a few renders, cached there
    split = hands.load(experiment.input_size[0], {"train": 3, "validation": 3, "test": 6},
                       coverage=experiment.backdrops is not None)
    torch.manual_seed(0)
    net = experiment.build_net()
    with torch.no_grad():  # batch norm statistics of the tuned blocks that are not ImageNet's
        net.train()(torch.rand(8, 3, *experiment.input_size))
    difference = HandTask(experiment, split, experiment.recipe).to_onnx(net.eval(), tmp_path / "model.onnx")
    assert difference < 1e-4  # probabilities and features alike



def test_the_frozen_blocks_compute_in_onnx_runtime_what_pytorch_computes(tmp_path, monkeypatch):
    import torch

    from mlsandbox.kinds.hand_classifier_training import FrozenLowerTask

    experiment = experiments.get(HAND)
    monkeypatch.setattr(hands, "assets", SimpleNamespace(cache_dir=lambda: tmp_path))
    split = hands.load(experiment.input_size[0], {"train": 3, "validation": 3, "test": 6})
    task = FrozenLowerTask(experiment, split, experiment.recipe)
    with torch.no_grad():
        expected = experiment.build_net().eval().lower(task.x_val)
    actual = task.h_val
    assert actual.shape == expected.shape
    assert float((actual - expected).abs().max()) < 1e-4


def test_training_pastes_the_hand_onto_backdrops_and_leaves_the_hand_as_it_was(tmp_path, monkeypatch):
    import dataclasses

    import torch

    from mlsandbox.kinds.hand_classifier_training import HandTask

    experiment = experiments.get("rps_cnn")
    monkeypatch.setattr(hands, "assets", SimpleNamespace(cache_dir=lambda: tmp_path))
    counts = {"train": 6, "validation": 3, "test": 3}
    split = hands.load(experiment.input_size[0], counts, coverage=True)
    grey = dataclasses.replace(experiment, backdrops=lambda: np.full((2, 3, *experiment.input_size), 0.5, np.float32))
    task = HandTask(grey, split, dataclasses.replace(experiment.recipe, new_backgrounds=1.0))
    x = task.x_train
    pasted = task.pasted(x, torch.Generator().manual_seed(0))
    hand, background = (x[:, 3:] == 1).expand(-1, 3, -1, -1), (x[:, 3:] == 0).expand(-1, 3, -1, -1)
    assert pasted.shape == (6, 3, *experiment.input_size) and hand.any() and background.any()
    assert torch.equal(pasted[hand], x[:, :3][hand])
    off = (pasted[background] - 0.5).abs()  # the grey backdrop, with a little noise
    assert float(off.max()) < 0.3 and float(off.mean()) < 0.05
    kept = HandTask(grey, split, dataclasses.replace(experiment.recipe, new_backgrounds=0.0))
    assert torch.equal(kept.pasted(x, torch.Generator().manual_seed(0)), x[:, :3])
    with pytest.raises(ValueError, match="coverage"):  # an experiment with backdrops, given pictures without
        HandTask(experiment, hands.load(experiment.input_size[0], counts), experiment.recipe)


def test_the_coverage_moves_with_the_picture_and_teaches_the_locator(tmp_path, monkeypatch):
    import dataclasses

    import torch

    from mlsandbox.kinds.hand_classifier_training import HandTask

    experiment = experiments.get("rps_cnn")
    monkeypatch.setattr(hands, "assets", SimpleNamespace(cache_dir=lambda: tmp_path))
    split = hands.load(experiment.input_size[0], {"train": 6, "validation": 3, "test": 3}, coverage=True)
    backdrops = dataclasses.replace(experiment, backdrops=lambda: split.x_val)
    unmoved = dataclasses.replace(experiment.recipe, rotate_degrees=0, shift=0, scale=(1, 1), flip=False, colour=0.5)
    task = HandTask(backdrops, split, unmoved)
    x = task.x_train
    augmented = task.augmented(x, torch.Generator().manual_seed(0))
    assert augmented.shape == (6, 4, *experiment.input_size)
    assert torch.equal(augmented[:, 3:], x[:, 3:])  # no colour change reaches the coverage
    assert not torch.equal(augmented[:, :3], x[:, :3])
    turned = HandTask(backdrops, split, dataclasses.replace(unmoved, rotate_degrees=90))
    assert not torch.equal(turned.augmented(x, torch.Generator().manual_seed(0))[:, 3:], x[:, 3:])

    y = torch.from_numpy(split.y_train)
    for weight in (0.0, 0.5):
        model = experiment.build_net()
        task = HandTask(backdrops, split, dataclasses.replace(experiment.recipe, locate=weight))
        loss, _, counted = task.loss(model, (augmented, y))
        loss.backward()
        assert counted == 6
        assert (model.locator.weight.grad is not None) == (weight > 0)


def test_teach_fits_a_head_that_reads_the_poses_it_was_shown():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 64)) * 3
    labels = np.repeat(np.arange(3), 30)
    features = centres[labels] + rng.normal(size=(90, 64))
    head = teach(features[::2], labels[::2], hands.LABELS)
    assert head.frames == {"rock": 15, "paper": 15, "scissors": 15}
    assert (head.probabilities(features[1::2]).argmax(1) == labels[1::2]).mean() >= 0.95
    assert head.seconds < 2.0
    p = head.probabilities(features)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=0, atol=tolerances.SUMS_TO_ONE)


def test_a_taught_head_comes_back_from_its_json_bit_for_bit():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(30, 64)).astype(np.float32)
    head = teach(features, np.arange(30) % 3, hands.LABELS)
    experiment, network = experiments.get(HAND), SimpleNamespace(sha256="ab" * 32, width=64)
    model = json.loads(json.dumps(head.as_json(experiment, network)))  # as the page keeps it
    assert model["experiment"] == HAND and model["network_sha256"] == network.sha256
    assert model["labels"] == list(hands.LABELS) and model["frames"] == head.frames
    assert len(base64.b64decode(model["weights"])) == 64 * 3 * 4
    back = TaughtHead.from_json(model, experiment, network)
    assert back.weights.tobytes() == head.weights.tobytes() and back.bias.tobytes() == head.bias.tobytes()
    np.testing.assert_array_equal(back.probabilities(features), head.probabilities(features))


@pytest.fixture(scope="module")
def taught(api, renders) -> dict:
    """The answer of teaching the model 10 frames of each pose (once the server has loaded the network, so that
    its milliseconds are the teaching's)."""
    assert api.post(f"/api/experiments/{HAND}/predict", content=renders[0][0]).status_code == 200
    answer = api.post(f"/api/experiments/{HAND}/teach", json={"frames": frames(renders, 10)})
    assert answer.status_code == 200, answer.text
    return answer.json()


def read_with(api, model: dict, image: str, experiment_id: str = HAND):
    return api.post(f"/api/experiments/{experiment_id}/taught/predict", json={"model": model, "image": image})


def test_a_taught_model_reads_back_the_hands_it_was_taught(api, renders, taught):
    assert set(taught) == {"experiment", "model", "frames", "training_accuracy", "milliseconds"}
    assert taught["frames"] == {"rock": 10, "paper": 10, "scissors": 10}
    assert taught["training_accuracy"] >= 0.9 and taught["milliseconds"] > 0  # its speed: benchmarks/run.py --only rps
    model = taught["model"]
    assert model["experiment"] == HAND and model["labels"] == list(hands.LABELS) and model["frames"] == taught["frames"]
    assert model["network_sha256"] == experiments.get(HAND).card()["model"]["sha256"]
    weights = np.frombuffer(base64.b64decode(model["weights"], validate=True), "<f4")
    assert weights.size == 1280 * 3 and np.isfinite(weights).all() and len(model["bias"]) == 3
    assert len(json.dumps(model)) < MAX_MODEL_BYTES / 2
    data, label = renders[0]
    read = read_with(api, model, data_url(data))
    assert read.status_code == 200, read.text
    assert read.json()["experiment"] == HAND and read.json()["label"] == hands.LABELS[label]
    assert read_with(api, model, base64.b64encode(data).decode()).json()["ranked"] == read.json()["ranked"]


def test_any_server_process_reads_a_taught_model_and_only_its_experiment_does(api, renders, taught):
    """The server keeps nothing of a taught model: another process (as with `serve --workers N`) reads a frame
    with it as the one that taught it does; another experiment refuses it."""
    image = data_url(renders[1][0])
    here = read_with(api, taught["model"], image)
    with running_server() as url, httpx.Client(base_url=url, timeout=60) as other:
        there = read_with(other, taught["model"], image)
    assert here.status_code == there.status_code == 200, there.text
    assert [g["label"] for g in there.json()["ranked"]] == [g["label"] for g in here.json()["ranked"]]
    np.testing.assert_allclose([g["probability"] for g in there.json()["ranked"]],
                               [g["probability"] for g in here.json()["ranked"]], atol=1e-6)
    refused(read_with(api, taught["model"], image, "rps_cnn"), 404, "rps_cnn is not taught", f"Teach {HAND} instead")
    refused(read_with(api, taught["model"], image, "digits_cnn"), 404, "not a hand classifier")
    refused(read_with(api, {**taught["model"], "experiment": "rps_cnn"}, image), 422, "taught on 'rps_cnn'",
            f"Teach {HAND} your hand")


def test_a_hundred_teach_and_predict_round_trips_answer_whichever_process_takes_them(two_process_server, renders):
    """Each request on a connection of its own, so that the kernel hands it to either process of the two."""
    few = frames(renders, 5)
    answered, processes = 0, set()
    for _ in range(100):
        taught = httpx.post(f"{two_process_server}/api/experiments/{HAND}/teach", json={"frames": few}, timeout=60)
        assert taught.status_code == 200, taught.text
        read = httpx.post(f"{two_process_server}/api/experiments/{HAND}/taught/predict", timeout=60,
                          json={"model": taught.json()["model"], "image": few[0]["image"]})
        answered += read.status_code == 200 and read.json()["label"] in hands.LABELS
        processes.add(httpx.get(f"{two_process_server}/api/health", timeout=10).json()["process"])
    assert answered == 100
    assert len(processes) == 2, "every connection went to one process: the round trips proved nothing"


def test_a_bad_taught_model_is_refused_with_what_to_do(api, renders, taught):
    model, image = taught["model"], data_url(renders[0][0])
    url = f"/api/experiments/{HAND}/taught/predict"
    weights = base64.b64decode(model["weights"])
    nan = np.frombuffer(weights, "<f4").copy()
    nan[7] = np.nan
    bad = {
        "not JSON": (api.post(url, content=b"{not json"), "Send JSON", '"model"', '"image"'),
        "no model": (api.post(url, json={"image": image}), "Send JSON", '"model"'),
        "no image": (api.post(url, json={"model": model}), "Send JSON", '"image"'),
        "image not base64": (read_with(api, model, "data:image/jpeg;base64,%%%"), "Send JSON"),
        "not an image": (read_with(api, model, data_url(b"hello")), "not an image"),
        "a model not an object": (read_with(api, "rock", image), "must be a JSON object", "weights"),
        "missing fields": (read_with(api, {k: v for k, v in model.items() if k not in ("weights", "bias")}, image),
                           "has no weights, bias", "teach it again"),
        "weights not base64": (read_with(api, {**model, "weights": "%%%"}, image), "not base64"),
        "weights not a string": (read_with(api, {**model, "weights": [1.0, 2.0]}, image), "not base64"),
        "weights short": (read_with(api, {**model, "weights": base64.b64encode(weights[:-4]).decode()}, image),
                          "15,356 bytes", "1,280 features by 3 labels", "15,360"),
        "weights of another shape": (read_with(api, {**model, "weights": base64.b64encode(weights * 2).decode()}, image),
                                     "30,720 bytes"),
        "weights not finite": (read_with(api, {**model, "weights": base64.b64encode(nan.tobytes()).decode()}, image),
                               "finite", "NaN"),
        "bias not finite": (api.post(url, content=json.dumps({"model": {**model, "bias": [0.1, float("inf"), 0.2]},
                                                             "image": image}), headers={"Content-Type": "application/json"}),
                            "finite"),
        "bias beyond float32": (read_with(api, {**model, "bias": [0.1, 1e39, 0.2]}, image), "finite"),
        "bias beyond any float": (api.post(url, content=json.dumps({"model": {**model, "bias": [1, 10**400, 2]},
                                                                   "image": image}),
                                           headers={"Content-Type": "application/json"}), "finite"),
        "bias too short": (read_with(api, {**model, "bias": [0.1, 0.2]}, image), "bias", "3 numbers"),
        "bias not numbers": (read_with(api, {**model, "bias": ["0.1", True, None]}, image), "bias", "3 numbers"),
        "labels not the experiment's": (read_with(api, {**model, "labels": ["paper", "rock", "scissors"]}, image),
                                        "['paper', 'rock', 'scissors']", "rock, paper, scissors, in that order"),
        "another network": (read_with(api, {**model, "network_sha256": "0" * 64}, image),
                            "taught on another version of the network", "teach it again"),
        "frames not counts": (read_with(api, {**model, "frames": {"rock": -1, "paper": 2, "scissors": 3}}, image),
                              "frames", '"rock": 20'),
    }
    for name, (response, *words) in bad.items():
        assert response.status_code == 422, f"{name}: {response.status_code} {response.text[:300]}"
        detail = response.json()["detail"]
        assert isinstance(detail, str) and all(w in detail for w in words), f"{name}: {detail}"
    refused(api.post(url, content=b"x" * (imaging.MAX_BYTES + MAX_MODEL_BYTES + 1)), 413, "bytes")
    assert read_with(api, model, image).status_code == 200  # and it keeps serving


def refused(response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and all(w in detail for w in words), detail


def test_teach_refuses_what_it_cannot_learn_from_and_keeps_serving(api, renders):
    url = f"/api/experiments/{HAND}/teach"
    refused(api.post(url, content=b""), 422, "frames")
    refused(api.post(url, content=b"{not json"), 422, "frames")
    refused(api.post(url, json={"frames": "rock"}), 422, "frames")
    refused(api.post(url, json={"frames": []}), 422, "at least 5")
    one_pose = [f for f in frames(renders, 10) if f["label"] == "rock"]
    refused(api.post(url, json={"frames": one_pose}), 422, "paper 0", "scissors 0")
    refused(api.post(url, json={"frames": frames(renders, 4)}), 422, "at least 5")
    too_many = frames(renders, 10) * (TEACH_LIMITS["max_frames"] // 30 + 1)
    refused(api.post(url, json={"frames": too_many}), 422, "too many")
    wrong_label = frames(renders, 5) + [{"label": "lizard", "image": frames(renders, 1)[0]["image"]}]
    refused(api.post(url, json={"frames": wrong_label}), 422, "lizard", "rock, paper, scissors")
    bad_base64 = frames(renders, 5) + [{"label": "rock", "image": "data:image/jpeg;base64,%%%"}]
    refused(api.post(url, json={"frames": bad_base64}), 422, "base64")
    not_a_picture = frames(renders, 5) + [{"label": "rock", "image": data_url(b"hello")}]
    refused(api.post(url, json={"frames": not_a_picture}), 422, "not an image")
    huge = np.random.default_rng(0).integers(0, 255, (1200, 1200, 3), dtype=np.uint8)
    refused(api.post(url, json={"frames": frames(renders, 5) + [{"label": "rock", "image": data_url(jpeg(huge, 1200))}]}),
            422, "bytes", "smaller")
    refused(api.post(url, content=b"x" * (MAX_TEACH_BYTES + 1)), 413, "bytes")
    refused(api.post("/api/experiments/digits_cnn/teach", json={"frames": []}), 404, "not a hand classifier")
    refused(api.post("/api/experiments/rps_landmarks/teach", json={"frames": frames(renders, 5)}), 404,
            "rps_landmarks is not taught", f"Teach {HAND} instead")
    assert api.get("/api/health").status_code == 200


@pytest.mark.parametrize("experiment_id", ["rps_cnn", HAND])
def test_the_cli_predicts_a_photo(experiment_id, tmp_path):
    picture, label, _ = hands.render(3, "test")
    path = tmp_path / "hand.jpg"
    path.write_bytes(jpeg(picture, 300))
    run = subprocess.run([sys.executable, "-m", "mlsandbox", "predict", experiment_id, str(path), "--json"],
                         capture_output=True, text=True, check=True)
    answer = json.loads(run.stdout)
    assert answer["file"] == str(path) and answer["label"] in hands.LABELS and len(answer["ranked"]) == 3


@pytest.mark.parametrize("experiment_id", HANDS)
def test_the_cli_evaluates_each_hand_model_on_held_out_renders(experiment_id):
    """In fast mode, on the first 60 test renders (the card's figure is all 600's): above the card's accuracy
    less four standard errors of 60, where a third is chance."""
    run = subprocess.run([sys.executable, "-m", "mlsandbox", "evaluate", experiment_id, "--json"],
                         capture_output=True, text=True, check=True, env={**os.environ, FAST_ENV: "1"})
    metrics = json.loads(run.stdout)
    assert metrics["test_examples"] == 60
    assert metrics["accuracy"] >= accuracy_floor(experiments.get(experiment_id), 60) > 1 / 3
    if "hands_seen" in metrics:  # a landmark reader: no hand seen counts as wrong
        assert metrics["accuracy"] == pytest.approx(metrics["hands_seen"] * metrics["accuracy_where_seen"])
    groups, members = metrics["by_group"], hands.held_out_groups(60)
    assert {name: group["examples"] for name, group in groups.items()} == {k: int(v.sum()) for k, v in members.items()}
    right = {name: round(group["accuracy"] * group["examples"]) for name, group in groups.items()}
    assert right["over wood"] + right["over coffee.png"] == right["unseen background"]


def test_the_cli_reads_a_hand_with_its_landmarks_or_says_none_is_there(tmp_path):
    picture, _, truth = hands.render(5, "validation")
    (tmp_path / "hand.jpg").write_bytes(jpeg(picture, 300))
    Image.new("RGB", (320, 240), (214, 208, 196)).save(tmp_path / "wall.png")
    run = subprocess.run([sys.executable, "-m", "mlsandbox", "predict", "rps_landmarks", str(tmp_path / "hand.jpg"),
                          str(tmp_path / "wall.png"), "--json"], capture_output=True, text=True, check=True)
    hand, wall = map(json.loads, run.stdout.splitlines())
    assert hand["label"] in hands.LABELS and len(hand["ranked"]) == 3 and hand["hand"]["seen"]
    points = np.array(hand["hand"]["points"])
    assert points.shape == (21, 2) and np.median(np.hypot(*(points - truth).T)) < 0.5 * np.hypot(*(truth[9] - truth[0]))
    assert wall == {"file": str(tmp_path / "wall.png"), "label": None, "ranked": [], "hand": {"seen": False}}
    run = subprocess.run([sys.executable, "-m", "mlsandbox", "predict", "rps_landmarks", str(tmp_path / "wall.png")],
                         capture_output=True, text=True, check=True)
    assert run.stdout == f"{tmp_path / 'wall.png'}: no hand seen\n"


def test_the_pose_network_in_onnx_matches_pytorch(tmp_path):
    import torch

    from mlsandbox.data import Split
    from mlsandbox.kinds.hand_landmarks_training import PointsTask

    experiment = experiments.get("rps_landmarks")
    points = np.random.default_rng(0).normal(size=(300, 63)).astype(np.float32)
    labels = np.arange(300) % 3
    split = Split(points, labels, points[:30], labels[:30], points[:30], labels[:30], description="random points")
    torch.manual_seed(0)
    net = experiment.build_net()
    with torch.no_grad():  # batch norm statistics of these points
        net.train()(torch.from_numpy(points))
    assert PointsTask(experiment, split, experiment.recipe).to_onnx(net.eval(), tmp_path / "model.onnx") < 1e-5
