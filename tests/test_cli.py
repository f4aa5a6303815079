"""The command line, as a person runs it: real processes, real files, clear errors."""

import json
import os
import subprocess
import sys

import pytest

import tolerances
from mlsandbox.drawings import canvas_png
from mlsandbox import experiments

# The issues' targets, as floors that catch a regression of the committed models (top-1 and top-3);
# benchmarks/run.py measures and reports them too.
ACCURACY_FLOOR = {"digits_mlp": 0.988, "digits_cnn": 0.996, "sketch_mlp": 0.36, "sketch_cnn": 0.58}
TOP3_FLOOR = {"digits_mlp": 0.998, "digits_cnn": 0.998, "sketch_mlp": 0.55, "sketch_cnn": 0.77}


def mlsandbox(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlsandbox", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


@pytest.fixture(scope="module")
def drawings(tmp_path_factory, test_digits):
    """Six test digits drawn on 280x280 canvases, and files that are not drawings."""
    folder = tmp_path_factory.mktemp("drawings")
    images, labels = test_digits
    good = []
    for i in range(6):
        path = folder / f"digit-{i}-is-{labels[i]}.png"
        path.write_bytes(canvas_png(images[i], scale=5 + i % 4, offset=(i * 7 - 20, 15 - i * 5)))
        good.append((path, str(labels[i])))
    bad = {"empty.png": b"", "text.png": b"not an image", "truncated.png": good[0][0].read_bytes()[:300]}
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    return good, [folder / name for name in bad] + [folder / "missing.png"]


def test_list_shows_every_experiment():
    result = mlsandbox("list")
    assert result.returncode == 0
    for experiment_id in experiments.REGISTRY:
        assert experiment_id in result.stdout


@pytest.mark.parametrize("experiment_id", list(ACCURACY_FLOOR))
def test_evaluate_measures_the_committed_model_on_the_test_split(experiment_id):
    result = mlsandbox("evaluate", experiment_id, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    card = experiments.get(experiment_id).card()
    assert report["split"] == "test" and report["test_examples"] == card["split"]["test"]
    assert report["accuracy"] >= ACCURACY_FLOOR[experiment_id]
    assert report["top3_accuracy"] >= TOP3_FLOOR[experiment_id]
    assert report["sha256"] == card["model"]["sha256"]
    tolerances.check_counts_match_card(report, card, ("accuracy", "top3_accuracy"))  # give or take a near-tie


def test_predict_prints_one_ranked_json_line_per_file(drawings):
    good, _ = drawings
    result = mlsandbox("predict", "digits_cnn", *[str(p) for p, _ in good], "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(p) for p, _ in good]
    for line, (_, label) in zip(lines, good):
        assert line["label"] == label
        assert len(line["ranked"]) == 10
        assert [r["probability"] for r in line["ranked"]] == sorted((r["probability"] for r in line["ranked"]),
                                                                    reverse=True)


def test_predict_reports_bad_files_and_still_predicts_good_ones(drawings):
    good, bad = drawings
    files = [str(good[0][0]), *map(str, bad)]
    result = mlsandbox("predict", "digits_mlp", *files, "--json")
    assert result.returncode == 1
    lines = {line["file"]: line for line in map(json.loads, result.stdout.splitlines())}
    assert lines[str(good[0][0])]["label"] == good[0][1]
    messages = [lines[str(path)]["error"] for path in bad]
    assert "empty" in messages[0] and "not an image" in messages[1]
    assert "truncated or corrupt" in messages[2] or "not an image" in messages[2]
    assert "No such file" in messages[3]

    plain = mlsandbox("predict", "digits_mlp", *files)
    assert plain.returncode == 1 and plain.stdout.startswith(str(good[0][0]))
    assert all(str(path) in plain.stderr for path in bad)


def test_predict_refuses_an_oversized_file(tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(b"\x00" * 6_000_000)
    result = mlsandbox("predict", "digits_cnn", str(big), "--json")
    assert result.returncode == 1 and "over" in json.loads(result.stdout)["error"]


@pytest.mark.parametrize("command", ["evaluate", "predict", "train"])
def test_unknown_experiment_is_a_clear_error(command, tmp_path):
    args = [command, "no_such_model"] + ([str(tmp_path / "x.png")] if command == "predict" else [])
    result = mlsandbox(*args)
    assert result.returncode == 2
    assert "no experiment 'no_such_model'" in result.stderr and "digits_mlp" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [[], ["predict", "digits_cnn"], ["serve", "--port", "eighty"], ["frobnicate"]])
def test_bad_arguments_are_usage_errors(args):
    result = mlsandbox(*args)
    assert result.returncode == 2 and "usage:" in result.stderr


def test_fast_training_writes_elsewhere_and_never_touches_committed_artifacts(tmp_path):
    committed = experiments.get("digits_cnn").model_path.read_bytes()
    result = mlsandbox("train", "digits_cnn", "--fast", env={experiments.ARTIFACTS_ENV: str(tmp_path),
                                                             "TQDM_DISABLE": "1"})
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.splitlines()[-1])
    card = json.loads((tmp_path / "digits_cnn" / "card.json").read_text())
    assert summary["accuracy"] == card["metrics"]["accuracy"] > 0.5
    assert card["model"]["onnx_vs_torch_max_difference"] < tolerances.ONNX_VS_PYTORCH
    assert {p.name for p in (tmp_path / "digits_cnn").iterdir()} == {
        "model.onnx", "card.json", "history.json", "curves.png", "confusion.png"}
    assert experiments.get("digits_cnn").model_path.read_bytes() == committed


def test_evaluate_of_a_face_reader_reports_its_photos_not_a_test_split():
    result = mlsandbox("evaluate", "emotions", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["split"] == "test photos"  # a pretrained model has no test split of ours
    result = mlsandbox("evaluate", "emotions")
    assert result.returncode == 0 and "test split" not in result.stdout, result.stdout
