"""Every operation of the OpenAPI schema fuzzed with Schemathesis against the real server: whatever it is sent,
it answers no 5xx, and every answer (status, content type, headers, body) is one the schema documents."""

from __future__ import annotations

import base64
import importlib
import io
import json
import os
import subprocess
import sys
import zlib

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, find, given, seed, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw
from schemathesis import checks
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks

from mlsandbox import experiments
from mlsandbox.web import camera
from mlsandbox.web.app import app

CHECKS = [checks.not_a_server_error, openapi_checks.status_code_conformance, openapi_checks.content_type_conformance,
          openapi_checks.response_headers_conformance, openapi_checks.response_schema_conformance]
SHORT_TEXT = 40  # characters generated at most: a longer stream is the same code path, only slower
EXAMPLES = 50  # cases per operation, drawn from a fixed seed: the same on every machine and run (tools/fuzz.py
# draws fresh ones); the streams of generate are slower, and get fewer
FEWER = {"POST /api/experiments/{experiment_id}/generate": 15}


def image(kind: str, size: tuple[int, int]) -> bytes:
    """A drawing (a dark stroke on white) as PNG, or a photo-like gradient as JPEG: real images the models run on."""
    picture = Image.new("RGB", size, "white")
    if kind == "PNG":
        ImageDraw.Draw(picture).line([(size[0] // 4, size[1] // 5), (size[0] // 2, size[1] * 4 // 5)], "black", 12)
    else:
        picture = Image.linear_gradient("L").resize(size).convert("RGB")
    buffer = io.BytesIO()
    picture.save(buffer, format=kind)
    return buffer.getvalue()


def data_url(data: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(data).decode()


IMAGES = [image("PNG", (280, 280)), image("JPEG", (320, 240)), image("JPEG", (7, 3000))]


def ids_of_kind(tags: list[str]) -> list[str]:
    """The served experiments an operation answers for, from its tag (the kind's name, plural), or all if untagged.
    (One whose model is missing answers a documented 503 with the fix; tests of faults check that.)"""
    kinds = {tag.removesuffix("s") for tag in tags} - {"lab"}  # the lab's routes take every trained experiment
    return [e.id for e in experiments.REGISTRY.values() if e.id in server_state["served"]
            and (not kinds or kinds & {k.__dict__["kind"] for k in type(e).__mro__ if "kind" in k.__dict__})]


SCHEMA = schemathesis.openapi.from_dict(app.openapi())
server_state: dict = {}  # what prepare found: the served experiments, and a model taught a hand


@SCHEMA.hook
def flatmap_path_parameters(context, path_parameters):
    """Mostly an experiment of the operation's kind (a random id only ever meets the 404)."""
    if not path_parameters or "experiment_id" not in path_parameters:  # none, or a lab run's id (meets the 404)
        return st.just(path_parameters)
    known = ids_of_kind(context.operation.definition.raw.get("tags", []))
    return st.fixed_dictionaries({**{name: st.just(value) for name, value in path_parameters.items()},
                                  "experiment_id": st.sampled_from(known + [path_parameters["experiment_id"]] * 2)})


@SCHEMA.hook
def flatmap_body(context, body):
    """Real images too, raw or as a data URL, beside the random bytes and JSON the schema allows; and beside a frame
    for a taught model, the model teach answered: whole, or with one field as drawn."""
    if isinstance(body, bytes):
        return st.sampled_from([body, *IMAGES])
    if not (isinstance(body, dict) and "image" in body):
        return st.just(body)
    bodies = st.sampled_from([body, *({**body, "image": data_url(data)} for data in IMAGES)])
    if not isinstance(body.get("model"), dict):
        return bodies
    taught = server_state["model"]
    models = st.sampled_from([body["model"], taught, *({**taught, name: value} for name, value in body["model"].items())])
    return st.builds(lambda sent, model: {**sent, "model": model}, bodies, models)


@SCHEMA.hook
def map_body(context, body):
    if context.operation.path.endswith("/generate") and isinstance(body, dict):
        length = body.get("length")
        if type(length) is int and SHORT_TEXT < length <= 5000:
            return {**body, "length": SHORT_TEXT}
    return body


def prepare(url: str) -> None:
    """What the hooks need of the server at url: the experiments it serves, and a hand it was taught (so that the
    taught model's routes are reached beyond 404). tools/fuzz.py calls it too."""
    labels = experiments.get("rps_mobilenet_v2").labels
    frames = [{"label": label, "image": data_url(image("JPEG", (64 + 8 * i, 64)))} for label in labels for i in range(5)]
    response = httpx.post(f"{url}/api/experiments/rps_mobilenet_v2/teach", json={"frames": frames}, timeout=60)
    assert response.status_code == 200, response.text
    server_state["model"] = response.json()["model"]
    server_state["served"] = {e["id"] for e in httpx.get(f"{url}/api/experiments").json() if e["trained"]}


@pytest.fixture(scope="module")
def server(live_server) -> str:
    prepare(live_server)
    return live_server


def test_the_server_publishes_the_schema_fuzzed_here(server):
    assert httpx.get(f"{server}/openapi.json").json() == app.openapi()


OPERATIONS = {operation.label: operation for operation in (o.ok() for o in SCHEMA.get_all_operations())}


def requests_for(operation):
    """Requests that fit the schema, and as many that do not (answered with a documented 4xx)."""
    return operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_operation_answers_as_documented(server, label):
    operation = OPERATIONS[label]

    @seed(zlib.crc32(label.encode()))
    @settings(max_examples=FEWER.get(label, EXAMPLES), deadline=None, suppress_health_check=list(HealthCheck), database=None,
              phases=[Phase.explicit, Phase.generate])  # the first failure as found: shrinking it costs minutes
    @given(case=requests_for(operation))
    def fuzz(case):
        case.call_and_validate(base_url=server, checks=CHECKS, timeout=60)

    fuzz()


UNREADABLE_JSON = {  # found by tools/fuzz.py: FastAPI answered them a 400 that the schema does not document
    "not UTF-8": b'{"text": "\xff"}',
    "nested too deep": ('{"text": ' + "[" * 100_000 + "]" * 100_000 + "}").encode(),
}
JSON_BODIES = [label for label, operation in OPERATIONS.items()
               if "application/json" in operation.definition.raw.get("requestBody", {}).get("content", {})]


@pytest.mark.parametrize("label", JSON_BODIES)
def test_json_that_cannot_be_read_is_answered_as_documented(server, label):
    operation = OPERATIONS[label]
    for experiment_id in ids_of_kind(operation.definition.raw.get("tags", [])):
        path = {"experiment_id": experiment_id} if "{experiment_id}" in operation.path else {"run_id": "no-such-run"}
        for body in UNREADABLE_JSON.values():
            case = operation.Case(path_parameters=path, body=body, media_type="application/json")
            case.call_and_validate(base_url=server, checks=CHECKS, timeout=60)



def test_the_camera_socket_fuzzer_plays_every_camera_kind(server, monkeypatch):
    """tools/fuzz.py's WebSocket target draws the id of each camera kind's experiment, checks each answer as its kind
    answers a frame, and finds nothing in a frame, a threshold and a broken frame sent to each, nor in the refusal of
    an id of no camera kind."""
    monkeypatch.syspath_prepend(os.path.join(os.path.dirname(__file__), os.pardir, "tools"))
    fuzz = importlib.import_module("fuzz")
    kinds = tuple(camera.LOOKS)
    cameras = [e.id for e in experiments.REGISTRY.values() if isinstance(e, kinds)]
    assert sorted(fuzz.CAMERAS) == sorted(cameras) and {"object_detection", "emotions"} <= set(cameras)
    for experiment_id in cameras:
        drawn = find(fuzz.ws_ids(), lambda i: i == experiment_id, settings=settings(database=None))  # noqa: B023
        assert drawn == experiment_id
        steps = [("bytes", fuzz.PHOTO), ("text", json.dumps({"threshold": 0.5})), ("bytes", fuzz.PHOTO[:500])]
        assert fuzz.play(server, experiment_id, steps) is None, experiment_id
    assert fuzz.play(server, "digits_cnn", [("bytes", fuzz.PHOTO)]) is None  # refused, as it should be
    faces = json.dumps({"experiment": "emotions", "width": 1, "height": 1, "faces": [], "milliseconds": 1.0})
    assert fuzz.check_answer(faces, "emotions") is None
    assert "not Detections" in fuzz.check_answer(faces, "object_detection")  # a face reader's answer to a detector


NOT_UTF8 = os.fsdecode(b"\xb3\x9a.png")  # a file name as Python reads one whose bytes are not UTF-8
FOUND_COMMANDS = {  # by tools/fuzz.py, each ending in a traceback: (arguments, exit status, what it prints)
    "a file name that is not UTF-8 is printed as given": (["predict", "digits_cnn", NOT_UTF8], 0, b"\xb3\x9a.png: "),
    "a prompt that is not UTF-8 is printed as given": (["generate", "shakespeare_lstm", "\udcff\udcfe", "--length", "3",
                                                       "--seed", "0"], 0, b"\xff\xfe"),
    "--top below 1": (["predict", "sketch_cnn", NOT_UTF8, "--top", "-1607"], 2, b"whole number of 1 or more"),
    "--seed below 0": (["generate", "shakespeare_lstm", "hello", "--seed", "-1"], 2, b"whole number of 0 or more"),
    "an empty text to continue": (["predict", "wikipedia", "", "a"], 2, b"an input is empty"),
    "a text too short to score": (["evaluate", "shakespeare_lstm", "--text", "short.txt"], 2, b"scoring needs 128"),
}


@pytest.mark.parametrize("name", FOUND_COMMANDS)
def test_command_lines_found_by_fuzzing(tmp_path, name):
    args, status, printed = FOUND_COMMANDS[name]
    (tmp_path / NOT_UTF8).write_bytes(IMAGES[0])
    (tmp_path / "short.txt").write_text("To be, or not to be. " * 5)
    done = subprocess.run([sys.executable, "-m", "mlsandbox", *map(os.fsencode, args)], cwd=tmp_path, capture_output=True,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"}, timeout=120)  # as on a UTF-8 desktop
    assert b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")
    assert done.returncode == status and printed in done.stdout + done.stderr, (done.stdout, done.stderr)
