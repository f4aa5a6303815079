"""The JSON API over a real server: good drawings are named, bad input gets a 4xx that says what to do."""

import base64
import io
import json
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw

import tolerances
from mlsandbox.drawings import canvas_png
from mlsandbox import experiments, imaging
from mlsandbox.cli import parser
from mlsandbox.kinds.image_classifier import ImageClassifier
from mlsandbox.kinds.image_generator import ImageGenerator

EACH_SERVER = True  # its tests of `api` run against one server process and against two (conftest)


def predict(api, body: bytes, experiment="digits_cnn", content_type="image/png", **params):
    return api.post(f"/api/experiments/{experiment}/predict", content=body,
                    headers={"Content-Type": content_type}, params=params)


def blank_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (280, 280), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def test_home_page_and_docs_are_served(api):
    assert "<html" in api.get("/").text.lower()
    assert api.get("/docs").status_code == 200
    paths = api.get("/openapi.json").json()["paths"]
    assert "/api/experiments/{experiment_id}/predict" in paths


def test_the_api_docs_load_nothing_from_another_host(api):
    page = api.get("/docs").text
    assert "http://" not in page and "https://" not in page
    for name, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "css")):
        assert f"/docs/{name}" in page
        response = api.get(f"/docs/{name}")
        assert response.status_code == 200 and kind in response.headers["content-type"]
    assert api.get("/docs/..%2Fcard.json").status_code == 404
    moved = api.get("/redoc")  # no second viewer from a CDN: the address opens this one
    assert moved.status_code == 308 and moved.headers["location"] == "/docs"


def test_experiments_come_from_the_registry(api):
    listed = api.get("/api/experiments").json()
    assert [e["id"] for e in listed] == list(experiments.REGISTRY)
    for e in listed:
        assert e["trained"], e["problem"]
        experiment = experiments.get(e["id"])
        metrics = experiment.card()["metrics"]
        assert e["accuracy"] == metrics.get("accuracy")
        assert e["kind"] == experiment.kind and e["headline"] == experiment.headline(metrics)
        if isinstance(experiment, ImageGenerator):  # trained here, with no labels to score: its judge's figures
            assert e["accuracy"] is None and not e["pretrained"] and 0 <= metrics["confident"] <= 1
            continue
        assert e["pretrained"] == (e["accuracy"] is None)  # a model trained here has a held-out accuracy
        if e["pretrained"]:  # no test split of ours (a face reader's labels are its expressions): its photos' headline
            assert e["headline"], e["id"]
            continue
        if "labels" in e["details"]:  # three times better than guessing, or 25 points better with few labels
            guessing = 1 / len(e["details"]["labels"])
            assert min(3 * guessing, guessing + 0.25) < e["accuracy"] <= 1


def test_one_experiment_has_its_card_and_family(api):
    body = api.get("/api/experiments/digits_cnn").json()
    assert body["card"]["metrics"]["accuracy"] == body["accuracy"]
    assert "digits_cnn" in body["card"]["command"]
    assert set(body["family_members"]) == {"digits_mlp", "digits_cnn"}
    assert api.get("/artifacts/digits_cnn/curves.png").headers["content-type"] == "image/png"


@pytest.mark.parametrize("experiment", ["digits_mlp", "digits_cnn"])
def test_drawn_test_digits_are_named(api, test_digits, experiment):
    images, labels = test_digits
    correct = 0
    for digit, label in zip(images[:30], labels[:30]):
        response = predict(api, canvas_png(digit, scale=6, offset=(30, -20)), experiment)
        assert response.status_code == 200, response.text
        body = response.json()
        assert [g["label"] for g in body["ranked"]][0] == body["label"]
        assert sum(g["probability"] for g in body["ranked"]) == pytest.approx(1, abs=tolerances.SUMS_TO_ONE)
        correct += body["label"] == str(label)
    assert correct >= 28


def test_options_and_the_json_form(api, test_digits):
    png = canvas_png(test_digits[0][0])
    top = predict(api, png, top=3, show_input="true").json()
    assert len(top["ranked"]) == 3
    assert len(top["input"]) == 28 and len(top["input"][0]) == 28
    data_url = "data:image/png;base64," + base64.b64encode(png).decode()
    as_json = api.post("/api/experiments/digits_cnn/predict", json={"image": data_url})
    assert as_json.status_code == 200 and as_json.json()["label"] == top["label"]


def stroke_on_photo() -> bytes:
    """A dark stroke over a colour gradient: a drawing to the digit models, a picture to the photo and hand ones."""
    picture = Image.linear_gradient("L").resize((320, 240)).convert("RGB")
    ImageDraw.Draw(picture).line([(80, 40), (160, 200)], "black", 14)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG")
    return buffer.getvalue()


IMAGE_LIKE = [e.id for e in experiments.REGISTRY.values() if isinstance(e, ImageClassifier)]


@pytest.mark.parametrize("experiment", IMAGE_LIKE)
def test_show_input_answers_the_shape_the_schema_names(api, experiment):
    """Regression: a colour picture's input is three-dimensional, and the schema once allowed only rows (a 500)."""
    response = predict(api, stroke_on_photo(), experiment, content_type="image/jpeg", show_input="true")
    assert response.status_code == 200, response.text
    shape = np.shape(response.json()["input"]) if response.json()["input"] is not None else None
    described = api.get("/openapi.json").json()["components"]["schemas"]["Prediction"]["properties"]["input"]
    if shape is None:
        assert "null for a landmark reader" in described["description"] and experiment == "rps_landmarks"
    else:
        assert re.search(rf"{experiment}[^;)]*? {'x'.join(map(str, shape))}", described["description"]), (shape, described)


# name: (body from the sample inputs, content type, expected status, words the message must contain)
BAD_REQUESTS = {
    "empty body": (lambda i: b"", "image/png", 422, "empty"),
    "empty canvas": (lambda i: blank_png(), "image/png", 422, "Nothing is drawn"),
    "not an image": (lambda i: b"plain text, no pixels", "image/png", 422, "not an image"),
    "truncated png": (lambda i: i["png"][: len(i["png"]) // 2], "image/png", 422, "truncated or corrupt"),
    "50 MB body": (lambda i: b"\x00" * 50_000_000, "image/png", 413, "over"),
    "20000x20000 png": (lambda i: i["bomb"], "image/png", 413, "pixels"),
    "malformed json": (lambda i: b'{"image": ', "application/json", 422, "Send JSON as"),
    "json without image": (lambda i: b'{"picture": "x"}', "application/json", 422, "Send JSON as"),
    "json image not base64": (lambda i: b'{"image": "data:image/png;base64,@@@"}', "application/json", 422,
                              "Send JSON as"),
    "json image a number": (lambda i: b'{"image": 7}', "application/json", 422, "Send JSON as"),
}


@pytest.fixture(scope="module")
def inputs(test_digits, bomb):
    return {"png": canvas_png(test_digits[0][0]), "bomb": bomb}


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=list(BAD_REQUESTS))
def test_bad_input_gets_a_clear_4xx_and_the_server_keeps_serving(api, inputs, case):
    make, content_type, status, message = BAD_REQUESTS[case]
    response = predict(api, make(inputs), content_type=content_type)
    assert response.status_code == status, response.text
    assert message.lower() in response.json()["detail"].lower()
    assert predict(api, inputs["png"]).status_code == 200


def test_chunked_body_over_the_limit_is_refused(api, test_digits):
    def chunks():
        for _ in range(imaging.MAX_BYTES // 65536 + 2):
            yield b"\x00" * 65536

    response = api.post("/api/experiments/digits_cnn/predict", content=chunks(), headers={"Content-Type": "image/png"})
    assert response.status_code == 413
    assert predict(api, canvas_png(test_digits[0][0])).status_code == 200


@pytest.mark.parametrize("path", ["/api/experiments/nope", "/api/experiments/nope/predict",
                                  "/artifacts/nope/curves.png", "/notebooks/nope.ipynb"])
def test_unknown_experiment_is_404_naming_the_known_ones(api, path):
    response = api.post(path, content=b"x") if path.endswith("predict") else api.get(path)
    assert response.status_code == 404
    assert "digits_cnn" in response.json()["detail"]


def test_unknown_experiment_page_is_a_page_for_a_person(api):
    response = api.get("/experiments/<img src=x onerror=alert(1)>")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert "<img" not in response.text and "&lt;img" in response.text
    assert 'href="/experiments/digits_cnn"' in response.text


@pytest.mark.parametrize("name", ["model.onnx", "..%2Fcard.json", "%2Fetc%2Fpasswd", "nothing.png"])
def test_only_listed_artifacts_are_served(api, name):
    assert api.get(f"/artifacts/digits_cnn/{name}").status_code == 404


@pytest.mark.parametrize("params", [{"top": 0}, {"top": "many"}, {"show_input": "perhaps"}])
def test_bad_query_parameters_are_422(api, test_digits, params):
    response = predict(api, canvas_png(test_digits[0][0]), **params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"


def test_wrong_method_is_405(api):
    assert api.get("/api/experiments/digits_cnn/predict").status_code == 405


def test_server_never_imports_torch():
    code = "import sys, mlsandbox.web.app; print(json.dumps(sorted(m for m in sys.modules if m.startswith('torch'))))"
    result = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


def test_server_binds_to_loopback_by_default():
    assert parser().parse_args(["serve"]).host == "127.0.0.1"


def test_pages_carry_safety_headers_and_a_favicon(api):
    for path in ("/", "/experiments/digits_cnn", "/api/health"):
        headers = api.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert "default-src 'self'" in headers["content-security-policy"]
    icon = api.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
