"""numbers_summation: the held-out split, what the model can read, and the API and CLI over the real model."""

import json
import subprocess
import sys

import httpx
import numpy as np
import pytest

import tolerances
from mlsandbox import experiments
from mlsandbox.data import summation
from mlsandbox.kinds.sequence_translator import Unreadable

EXPERIMENT = experiments.get("numbers_summation")


@pytest.fixture(scope="module")
def api(live_server):
    with httpx.Client(base_url=live_server, timeout=30) as client:
        yield client


def test_no_held_out_expression_or_its_twin_is_drawn_for_training():
    data = summation.load()
    held_out = {tuple(p) for p in np.concatenate([data.test_pairs, data.validation_pairs]).tolist()}
    held_out |= {(b, a) for a, b in held_out}
    assert len(data.test_pairs) == 10_000 and len(data.validation_pairs) == 2_000
    unordered = {tuple(sorted(p)) for p in np.concatenate([data.test_pairs, data.validation_pairs]).tolist()}
    assert len(unordered) == 12_000  # no held-out sum twice, in either order
    texts, answers = data.training(200_000, np.random.default_rng(1))
    drawn = {tuple(int(n) for n in t.split("+")) for t in texts}
    assert not drawn & held_out
    assert {len(a) for a in answers} == {1, 2, 3, 4}
    assert all(str(sum(int(n) for n in t.split("+"))) == a for t, a in zip(texts[:1000], answers))
    assert summation.load.__wrapped__().test == data.test  # seeded


@pytest.mark.parametrize("typed, read", [("17+38", "17+38"), (" 17 + 38 ", "17+38"), ("007+5", "7+5"),
                                         ("0+0", "0+0"), ("999+999", "999+999")])
def test_what_the_model_reads(typed, read):
    assert EXPERIMENT.read(typed) == read


@pytest.mark.parametrize("typed, words", [
    ("", "Type a sum"), ("   ", "Type a sum"), ("17+abc", "Only digits and +"), ("1+2+3", "exactly two numbers"),
    ("17+", "exactly two numbers"), ("+5", "exactly two numbers"), ("17", "exactly two numbers"),
    ("1000+1", "up to 999"), ("12×3", "Only digits"), ("١٢+٣", "Only digits"), ("17-3", "Only digits"),
])
def test_what_the_model_cannot_read_gets_a_clear_message(typed, words):
    with pytest.raises(Unreadable, match=words):
        EXPERIMENT.read(typed)


def test_a_sum_is_answered_digit_by_digit(api):
    body = api.post("/api/experiments/numbers_summation/translate", json={"text": "17 + 38"}).json()
    assert body["text"] == "17+38" and body["output"] == "55" and body["expected"] == "55" and body["correct"]
    assert [c["character"] for c in body["characters"]] == ["5", "5"]
    for c in body["characters"]:
        assert 0.5 < c["probability"] <= 1 and len(c["alternatives"]) == 3
        assert c["probability"] >= max(a["probability"] for a in c["alternatives"])


def test_small_sums_people_type_first_are_right(api):
    for a, b in [(0, 0), (1, 1), (2, 3), (5, 0), (9, 9), (12, 7), (50, 50), (99, 1), (7, 8), (10, 90)]:
        body = api.post("/api/experiments/numbers_summation/translate", json={"text": f"{a}+{b}"}).json()
        assert body["output"] == str(a + b), body


@pytest.mark.parametrize("body, status, words", [
    ({"text": ""}, 422, "Type a sum"),
    ({"text": "hello"}, 422, "Only digits"),
    ({"text": "1+2+3"}, 422, "exactly two numbers"),
    ({"text": "1000+1"}, 422, "up to 999"),
    ({"text": "1" * 201}, 422, "at most 200 characters"),
    ({"text": 17}, 422, "valid string"),
    ({}, 422, "Field required"),
])
def test_bad_texts_get_a_4xx_and_the_server_keeps_serving(api, body, status, words):
    response = api.post("/api/experiments/numbers_summation/translate", json=body)
    assert response.status_code == status and words in str(response.json()["detail"])
    assert api.post("/api/experiments/numbers_summation/translate", json={"text": "1+1"}).status_code == 200


@pytest.mark.parametrize("content", [b'{"text": ', b"\xff\xfe", b"17+38"])
def test_malformed_json_is_422(api, content):
    response = api.post("/api/experiments/numbers_summation/translate", content=content,
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 422


def test_routes_of_another_kind_say_what_the_experiment_is(api):
    wrong = api.post("/api/experiments/digits_cnn/translate", json={"text": "1+1"})
    assert wrong.status_code == 404 and "digits_cnn is an image classifier" in wrong.json()["detail"]
    assert api.post("/api/experiments/nope/translate", json={"text": "1+1"}).status_code == 404
    image = api.post("/api/experiments/numbers_summation/predict", content=b"x")
    assert image.status_code == 404 and "sequence translator" in image.json()["detail"]


def test_held_out_expressions_to_trick_it_with(api):
    body = api.get("/api/experiments/numbers_summation/held-out", params={"count": 20, "seed": 3}).json()
    assert len(set(body["texts"])) == 20 and set(body["texts"]) <= set(summation.load().test[0])
    assert api.get("/api/experiments/numbers_summation/held-out", params={"count": 20, "seed": 3}).json() == body
    for params in ({"count": 0}, {"count": 101}, {"count": "x"}, {"seed": -1}):
        assert api.get("/api/experiments/numbers_summation/held-out", params=params).status_code == 422


def mlsandbox(*args):
    return subprocess.run([sys.executable, "-m", "mlsandbox", *args], capture_output=True, text=True, timeout=300)


def test_predict_on_the_command_line():
    result = mlsandbox("predict", "numbers_summation", "17+38", "1+2+3", "", "--json")
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["output"] == "55" and lines[0]["correct"] is True
    assert "exactly two numbers" in lines[1]["error"] and "Type a sum" in lines[2]["error"]
    plain = mlsandbox("predict", "numbers_summation", "17+38")
    assert plain.returncode == 0 and plain.stdout.startswith("17+38 = 55")


def test_evaluate_reports_exact_match_on_the_held_out_expressions():
    result = mlsandbox("evaluate", "numbers_summation", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    card = EXPERIMENT.card()
    assert report["test_examples"] == 10_000 and report["exact_match"] == report["accuracy"] >= 0.999
    tolerances.check_counts_match_card(report, card, ("exact_match",))  # give or take a near-tie (it has none)


def test_onnx_greedy_decoder_matches_pytorch(tmp_path):
    import torch

    torch.manual_seed(0)
    net = EXPERIMENT.build_net()
    task = EXPERIMENT.training_task(summation.load(), EXPERIMENT.recipe)
    assert task.to_onnx(net, tmp_path / "model.onnx") < tolerances.ONNX_VS_PYTORCH
