"""The lab: runs started, watched, steered, stopped and killed through the real server and its trainer process,
the same runs from the command line, and every bad request answered with what to change."""

from __future__ import annotations

import concurrent.futures
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import running_server
from mlsandbox import experiments
from mlsandbox.drawings import canvas_png
from mlsandbox.lab import events as events_module
from mlsandbox.lab import estimates, runs

TRAINABLE = [e.id for e in experiments.REGISTRY.values() if not e.pretrained]
# A run long enough to steer and stop (fast mode: 2,000 training pictures, here in 250 steps an epoch).
LONG = {"preset": "quick", "settings": {"batch_size": 8, "epochs": 20}}


@pytest.fixture(scope="module")
def lab_env(tmp_path_factory) -> dict:
    return {runs.LAB_ENV: "1", runs.DIR_ENV: str(tmp_path_factory.mktemp("lab")), "MLSANDBOX_FAST": "1",
            estimates.LIMIT_ENV: "300", runs.KEEP_ENV: "6"}


@pytest.fixture(scope="module")
def lab(lab_env):
    with running_server(env=lab_env) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client


def events_of(lab: httpx.Client, run_id: str, headers: dict | None = None, until: str | None = None) -> list[dict]:
    """The run's events as the page reads them (Server-Sent Events), to its end or to the first of type until."""
    seen = []
    with lab.stream("GET", f"/api/runs/{run_id}/events", headers=headers, timeout=120) as stream:
        assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
        fields = {}
        for line in stream.iter_lines():
            if line:
                name, _, value = line.partition(": ")
                fields[name] = value
                continue
            if "data" in fields:
                event = json.loads(fields["data"])
                assert event["id"] == int(fields["id"]) and event["type"] == fields["event"]
                seen.append(event)
                if event["type"] == until:
                    break
            fields = {}
    return seen


def start(lab: httpx.Client, body: dict, experiment: str = "digits_mlp") -> dict:
    answer = lab.post(f"/api/experiments/{experiment}/runs", json=body)
    assert answer.status_code == 202, answer.text
    return answer.json()


def wait_until_ended(lab: httpx.Client, run_id: str, seconds: float = 300) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = lab.get(f"/api/runs/{run_id}").json()
        if run["state"] in runs.ENDED:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not end within {seconds} s")


def mlsandbox(*args, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlsandbox", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=600)


# --- What a learner may change ---------------------------------------------------------------------------

@pytest.mark.parametrize("experiment_id", TRAINABLE)
def test_every_trained_experiment_declares_settings_whose_defaults_are_the_shipped_recipe(experiment_id):
    experiment = experiments.get(experiment_id)
    shipped = experiment.shipped_settings()
    assert {"epochs", "learning_rate", "seed"} <= set(shipped)
    recipe, net, share = experiment.plan(shipped)
    assert recipe == experiment.recipe and share == 1.0
    assert experiment.changed_settings(shipped) == {}
    assert experiment.train_command(shipped) == f"mlsandbox train {experiment_id}"
    for setting in experiment.settings:  # the shipped value is in range, so "as shipped" can be started
        assert setting.check(shipped[setting.name]) == shipped[setting.name]
    quick = experiment.presets()["quick"]
    assert experiment.changed_settings(quick) and experiment.train_command(quick).startswith(
        f"mlsandbox train {experiment_id} --set ")


@pytest.mark.parametrize("experiment_id", ["digits_mlp", "digits_cnn", "sketch_mlp", "sketch_cnn", "numbers_summation",
                                           "shakespeare_lstm", "shakespeare_transformer", "rps_landmarks"])
def test_the_network_built_from_the_shipped_settings_is_the_shipped_network(experiment_id):
    experiment = experiments.get(experiment_id)
    _, net, _ = experiment.plan(experiment.shipped_settings())
    built = experiment.build_net(**net)
    assert sum(p.numel() for p in built.parameters()) == experiment.card()["parameters"]


def test_settings_route_lists_each_setting_and_the_presets_with_their_estimates(lab):
    answer = lab.get("/api/experiments/digits_mlp/settings").json()
    assert answer["trainable"] and answer["lab"]["enabled"] and answer["why"] is None
    names = [s["name"] for s in answer["settings"]]
    assert names[:3] == ["width", "depth", "dropout"] and "fraction" in names and "augment" in names
    width = next(s for s in answer["settings"] if s["name"] == "width")
    assert width["default"] == 1024 and width["type"] == "int" and width["low"] <= 1024 <= width["high"]
    assert answer["presets"]["quick"]["width"] == 256 and answer["presets"]["shipped"]["width"] == 1024
    assert 0 < answer["estimates"]["quick"] < answer["estimates"]["shipped"]


def test_a_pretrained_experiment_says_why_it_has_no_train_panel(lab):
    answer = lab.get("/api/experiments/image_classification/settings").json()
    assert not answer["trainable"] and "imported from a published model" in answer["why"]
    refused = lab.post("/api/experiments/image_classification/runs", json={"preset": "quick"})
    assert refused.status_code == 422 and "imported" in refused.json()["detail"]


@pytest.mark.parametrize("body, words", [
    ({"settings": {"colour": 2}}, "has no setting 'colour'; it has: width"),
    ({"settings": {"epochs": "many"}}, "epochs is a number from 1 to 100, not 'many'"),
    ({"settings": {"epochs": 2.5}}, "epochs is a whole number"),
    ({"settings": {"epochs": True}}, "epochs is a number"),
    ({"settings": {"epochs": 0}}, "epochs = 0 is out of range: give a value from 1 to 100"),
    ({"settings": {"learning_rate": 5}}, "out of range"),
    ({"settings": {"augment": "yes"}}, "augment is on or off"),
    ({"settings": {"width": None}}, "width is a number"),
    ({"preset": "slow"}, "There is no preset 'slow': choose one of quick, shipped"),
    ({"settings": {"width": 64}, "colour": 1}, "colour"),
    ({"settings": {"width": "9" * 100_000}}, "width is a number"),
])
def test_a_setting_that_cannot_be_used_is_refused_with_what_to_change(lab, body, words):
    for route in ("runs", "estimate"):
        answer = lab.post(f"/api/experiments/digits_mlp/{route}", json=body)
        assert answer.status_code == 422
        assert words in json.dumps(answer.json()), answer.text
    assert lab.get("/api/runs").json() == [] or all(r["experiment"] == "digits_mlp" for r in lab.get("/api/runs").json())


def test_a_run_over_the_limit_is_refused_with_its_estimate_and_the_setting_to_change(lab):
    body = {"settings": {"channels": 64, "epochs": 100}}
    estimate = lab.post("/api/experiments/digits_cnn/estimate", json=body).json()
    assert estimate["seconds"] > estimate["limit_seconds"] == 300 and "set epochs to" in estimate["over"]
    refused = lab.post("/api/experiments/digits_cnn/runs", json=body)
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "over this server's limit of 5 min" in detail and "set epochs to" in detail and "--lab-limit" in detail
    fits = int(detail.split("set epochs to ")[1].split()[0])
    assert lab.post("/api/experiments/digits_cnn/estimate",
                    json={"settings": {"channels": 64, "epochs": max(fits, 1)}}).json()["over"] is None


def test_unknown_experiments_and_runs_are_404s_that_say_so(lab):
    assert "Known experiments" in lab.get("/api/experiments/nope/settings").json()["detail"]
    for run_id in ("nope", "digits_mlp-20260101-000000-abcd", "..%2F..%2Fetc", "%2E%2E"):
        for method, route in (("GET", ""), ("GET", "/events"), ("POST", "/stop"), ("GET", "/files/card.json")):
            answer = lab.request(method, f"/api/runs/{run_id}{route}")
            assert answer.status_code == 404, (method, route, answer.text)
    answer = lab.post("/api/runs/nope/learning-rate", json={"learning_rate": 0.01})
    assert answer.status_code == 404 and "There is no run 'nope'" in answer.json()["detail"]


# --- A run from Start to the end ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def finished(lab):
    """A quick digits_mlp run, watched to its end."""
    run = start(lab, {"preset": "quick"})
    assert run["state"] in ("queued", "running") and run["changed"] == {"width": 256, "epochs": 2}
    return run, events_of(lab, run["id"])


def test_a_run_streams_steps_validations_and_its_test_figures(lab, finished):
    run, events = finished
    kinds = [e["type"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "finished" and kinds.count("validation") == 2
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    steps = [e for e in events if e["type"] == "step"]
    assert steps[0]["step"] == 1 and steps[-1]["progress"] == 1.0 and all(e["memory_mb"] > 0 for e in steps)
    assert all(b["step"] > a["step"] for a, b in zip(steps, steps[1:]))
    validation = next(e for e in events if e["type"] == "validation")
    assert 0.5 < validation["val_accuracy"] <= 1 and "confusion" in validation["view"]
    ended = lab.get(f"/api/runs/{run['id']}").json()
    assert ended["state"] == "finished" and ended["progress"] == 1.0 and ended["metrics"] == events[-1]["metrics"]
    assert ended["metrics"]["test_examples"] == 10_000  # the whole held-out split, as for the shipped model
    assert ended["card"]["settings"] == {"width": 256, "epochs": 2} and ended["card"]["run"] == run["id"]
    assert ended["command"] == ended["card"]["command"] == "mlsandbox train digits_mlp --set width=256 --set epochs=2"
    assert set(ended["files"]) >= {"model.onnx", "card.json", "history.json", "curves.png", "events.jsonl"}
    assert lab.get(ended["files"]["card.json"]).json() == ended["card"]


def test_the_test_figure_of_a_run_is_what_evaluate_says_of_it(lab, lab_env, finished):
    run, events = finished
    result = mlsandbox("evaluate", "digits_mlp", "--run", run["id"], "--json", env=lab_env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    shown = lab.get(f"/api/runs/{run['id']}").json()["metrics"]
    assert {k: report[k] for k in shown} == shown and report["run"] == run["id"]
    assert report["sha256"] == lab.get(f"/api/runs/{run['id']}").json()["card"]["model"]["sha256"]


def test_the_runs_model_answers_beside_the_shipped_one(lab, lab_env, finished, test_digits, tmp_path):
    run, _ = finished
    images, labels = test_digits
    drawing = canvas_png(images[0], scale=8)
    shipped = lab.post("/api/experiments/digits_mlp/predict", content=drawing,
                       headers={"Content-Type": "image/png"}).json()
    ours = lab.post(f"/api/experiments/digits_mlp/predict?run={run['id']}", content=drawing,
                    headers={"Content-Type": "image/png"}).json()
    assert ours["label"] == shipped["label"] == str(labels[0]) and ours["ranked"] != shipped["ranked"]
    other = lab.post(f"/api/experiments/digits_cnn/predict?run={run['id']}", content=drawing,
                     headers={"Content-Type": "image/png"})
    assert other.status_code == 404 and "trained digits_mlp, not digits_cnn" in other.json()["detail"]
    path = tmp_path / "digit.png"
    path.write_bytes(drawing)
    result = mlsandbox("predict", "digits_mlp", str(path), "--run", run["id"], "--json", env=lab_env)
    assert result.returncode == 0 and json.loads(result.stdout)["label"] == ours["label"]


def test_a_finished_run_cannot_be_stopped_or_steered(lab, finished):
    run, _ = finished
    stop = lab.post(f"/api/runs/{run['id']}/stop")
    assert stop.status_code == 409 and "has finished already" in stop.json()["detail"]
    steer = lab.post(f"/api/runs/{run['id']}/learning-rate", json={"learning_rate": 0.01})
    assert steer.status_code == 409


def test_the_event_stream_resumes_after_last_event_id_and_refuses_a_bogus_one(lab, finished):
    run, events = finished
    resumed = events_of(lab, run["id"], headers={"Last-Event-ID": "5"})
    assert resumed == events[5:]
    for bogus in ("abc", "-1", "1e3", str(len(events) + 1), "9" * 40):
        answer = lab.get(f"/api/runs/{run['id']}/events", headers={"Last-Event-ID": bogus})
        assert answer.status_code == 422 and "is not an event of run" in answer.json()["detail"], bogus


def test_a_10_minute_runs_event_log_stays_small(finished):
    """Step events come at most ten a second, a validation's pictures at most every 15 s, and an epoch's figures
    once an epoch (100 epochs at most): measured sizes, scaled to a ten-minute run, stay under 5 MB."""
    _, events = finished
    steps = [e for e in events if e["type"] == "step"]
    step_bytes = sum(len(json.dumps(e)) for e in steps) / len(steps)
    validation = max((e for e in events if e["type"] == "validation"), key=lambda e: len(json.dumps(e)))
    plain = {**validation, "view": {k: v for k, v in validation["view"].items() if k not in events_module.PICTURES}}
    ten_minutes = (step_bytes * 10 * 600 + len(json.dumps(validation)) * (600 / events_module.PICTURES_EVERY + 1)
                   + len(json.dumps(plain)) * 100)
    assert ten_minutes < 5e6, ten_minutes


# --- One run at a time; steering, stopping and killing a run -------------------------------------------------

def test_one_run_at_a_time_even_in_a_flood_and_a_stop_keeps_the_best_epoch(lab):
    run = start(lab, LONG)
    events_of(lab, run["id"], until="step")
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: lab.post("/api/experiments/digits_cnn/runs", json={"preset": "quick"}),
                                range(32)))
    assert {a.status_code for a in answers} == {409}
    assert f"A digits_mlp run ({run['id']}) is running" in answers[0].json()["detail"]
    assert "one run trains at a time" in answers[0].json()["detail"]
    assert [r["id"] for r in lab.get("/api/runs").json()].count(run["id"]) == 1
    assert sum(r["state"] in runs.ACTIVE for r in lab.get("/api/runs").json()) == 1
    assert lab.get("/api/health").status_code == 200

    steered = lab.post(f"/api/runs/{run['id']}/learning-rate", json={"learning_rate": 3e-4})
    assert steered.status_code == 200
    wrong = lab.post(f"/api/runs/{run['id']}/learning-rate", json={"learning_rate": -1})
    assert wrong.status_code == 422 and "learning_rate" in wrong.json()["detail"]
    seen = events_of(lab, run["id"], until="validation")
    changed = next(e for e in seen if e["type"] == "learning_rate")
    assert changed["learning_rate"] == 3e-4
    after = [e for e in seen if e["type"] == "step" and e["id"] > changed["id"]]
    assert after and all(e["learning_rate"] <= 3e-4 * 1.0001 for e in after)

    assert lab.post(f"/api/runs/{run['id']}/stop").status_code == 200
    ended = wait_until_ended(lab, run["id"])
    assert ended["state"] == "stopped" and "the best epoch (1) was exported" in ended["reason"]
    assert ended["metrics"]["test_examples"] == 10_000 and "model.onnx" in ended["files"]


def test_a_killed_trainer_fails_its_run_with_the_reason_and_the_server_goes_on(lab, lab_env, test_digits):
    run = start(lab, LONG)
    events_of(lab, run["id"], until="step")
    pid = lab.get(f"/api/runs/{run['id']}").json()["pid"]
    os.kill(pid, signal.SIGKILL)
    ended = wait_until_ended(lab, run["id"], seconds=30)
    assert ended["state"] == "failed" and f"(pid {pid})" in ended["reason"] and "Start the run again" in ended["reason"]
    assert events_of(lab, run["id"])[-1] == {"id": ended["events"], "type": "failed", "reason": ended["reason"]}
    answer = lab.post("/api/experiments/digits_mlp/predict", content=canvas_png(test_digits[0][0], scale=8),
                      headers={"Content-Type": "image/png"})
    assert answer.status_code == 200
    again = start(lab, {"preset": "quick"})  # a new trainer takes it
    assert wait_until_ended(lab, again["id"])["state"] == "finished"
    # and only one was started: the polls above came while it imported torch, before it held the trainer lock
    assert "another trainer serves this machine" not in (Path(lab_env[runs.DIR_ENV]) / "trainer.log").read_text()


def test_the_newest_runs_are_kept(lab, lab_env):
    kept = int(lab_env[runs.KEEP_ENV])
    for _ in range(kept):
        wait_until_ended(lab, start(lab, {"preset": "quick", "settings": {"epochs": 1, "width": 16}})["id"])
    listed = lab.get("/api/runs").json()
    assert len(listed) == kept and listed == sorted(listed, key=lambda r: r["created"], reverse=True)


# --- Without the lab; on a full disk; from the command line --------------------------------------------------

def test_a_server_without_the_lab_says_the_command_that_turns_it_on(api):
    settings = api.get("/api/experiments/digits_mlp/settings").json()
    assert settings["trainable"] and not settings["lab"]["enabled"] and settings["lab"]["command"] == "make lab"
    refused = api.post("/api/experiments/digits_mlp/runs", json={"preset": "quick"})
    assert refused.status_code == 409 and "`make lab`" in refused.json()["detail"]


def test_a_full_disk_at_export_fails_the_run_and_leaves_no_half_written_model(monkeypatch, tmp_path):
    from mlsandbox import plots
    from mlsandbox.lab import trainer

    monkeypatch.setenv(runs.DIR_ENV, str(tmp_path))
    monkeypatch.setenv("MLSANDBOX_FAST", "1")

    def full(*args, **kwargs):  # the export has written model.onnx and card.json by then
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(plots, "curves", full)
    experiment = experiments.get("digits_mlp")
    values = experiment.choose_settings({"epochs": 1, "width": 16})
    run = runs.create(experiment, values, None, 1.0, trainer_pid=os.getpid())
    state = trainer.execute(run)
    assert state["state"] == "failed" and state["reason"].startswith("The disk is full")
    assert not run.model_dir.exists() and list(run.artifacts.iterdir()) == []
    assert run.recent()[-1]["type"] == "failed"
    assert runs.active() is None  # the machine is free for the next run


@pytest.mark.parametrize("args, words", [
    (["digits_mlp", "--set", "nope=1"], "--set takes NAME=VALUE with one of digits_mlp's settings: width"),
    (["digits_mlp", "--set", "epochs"], "not 'epochs'"),
    (["digits_mlp", "--set", "epochs=abc"], "epochs is a number from 1 to 100, not 'abc'"),
    (["digits_mlp", "--set", "epochs=0"], "out of range"),
    (["digits_mlp", "--set", "augment=maybe"], "augment is on or off"),
    (["image_classification", "--set", "epochs=1"], "imported from a published model"),
])
def test_train_refuses_a_setting_it_cannot_use(lab_env, args, words):
    result = mlsandbox("train", *args, env=lab_env)
    assert result.returncode == 2 and words in result.stderr, result.stderr


def test_train_with_settings_makes_a_run_that_runs_lists(tmp_path):
    env = {runs.DIR_ENV: str(tmp_path), "MLSANDBOX_FAST": "1"}
    result = mlsandbox("train", "digits_mlp", "--set", "width=32", "--set", "epochs=1", "--set", "augment=false",
                       env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])  # after each epoch's line
    assert report["state"] == "finished" and report["test_examples"] == 10_000
    card = json.loads((tmp_path / report["run"] / "artifacts" / "digits_mlp" / "card.json").read_text())
    assert card["command"] == "mlsandbox train digits_mlp --set width=32 --set epochs=1 --set augment=false"
    assert card["training"]["recipe"]["augment"] is False
    listed = mlsandbox("runs", env=env)
    assert report["run"] in listed.stdout and "width=32 epochs=1 augment=false" in listed.stdout
    for bad in (["evaluate", "digits_mlp", "--run", "nope"], ["evaluate", "digits_cnn", "--run", report["run"]]):
        refused = mlsandbox(*bad, env=env)
        assert refused.returncode == 2 and "mlsandbox: error:" in refused.stderr
