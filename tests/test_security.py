"""Safe by default, over a real server: a warning when it is bound beyond this machine, the safety headers on
every kind of response, no route that serves files lets a path out of its folder, and every upload (a body,
a teaching frame, a camera frame over the WebSocket) keeps its byte and pixel limits."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys

import pytest
from PIL import Image

from conftest import free_port
from mlsandbox import imaging
from mlsandbox.cli import loopback

CROSS_ORIGIN = {"Origin": "http://elsewhere.example"}


@pytest.mark.parametrize("host, local", [("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
                                         ("127.0.0.2", True), ("0.0.0.0", False), ("::", False),
                                         ("192.168.1.20", False), ("my-laptop.local", False)])
def test_which_hosts_are_this_machine_only(host, local):
    assert loopback(host) is local


def test_binding_beyond_this_machine_prints_a_warning():
    command = [sys.executable, "-m", "mlsandbox", "serve", "--host", "0.0.0.0", "--port", str(free_port()),
               "--log-level", "warning"]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as server:
        try:
            first = server.stderr.readline()
        finally:
            server.terminate()
    assert "warning" in first and "0.0.0.0" in first and "127.0.0.1" in first


RESPONSES = {  # a response of each kind: pages, API answers, errors, files, the API's docs
    "home page": ("GET", "/", None),
    "experiment page": ("GET", "/experiments/digits_cnn", None),
    "page not found": ("GET", "/experiments/nothing", None),
    "API answer": ("GET", "/api/experiments", None),
    "API error": ("POST", "/api/experiments/digits_cnn/predict", b"not an image"),
    "static file": ("GET", "/static/js/home.js", None),
    "artifact": ("GET", "/artifacts/digits_cnn/curves.png", None),
    "API docs": ("GET", "/docs", None),
    "schema": ("GET", "/openapi.json", None),
}


@pytest.mark.parametrize("name", RESPONSES)
def test_every_response_carries_the_safety_headers_and_no_cors(api, name):
    method, path, body = RESPONSES[name]
    response = api.request(method, path, content=body, headers=CROSS_ORIGIN)
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert "access-control-allow-origin" not in response.headers


def test_a_cross_origin_preflight_is_not_granted(api):
    response = api.options("/api/experiments/digits_cnn/predict", headers={
        **CROSS_ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert response.status_code >= 400
    assert not any(name.startswith("access-control-allow") for name in response.headers)


ESCAPES = ["../card.json", "..%2Fcard.json", "%2e%2e%2fcard.json", "..%252Fcard.json", "%2Fetc%2Fpasswd",
           "..%5Ccard.json", "....//card.json", "%00card.json"]


@pytest.mark.parametrize("escape", ESCAPES)
@pytest.mark.parametrize("route", ["/artifacts/digits_cnn/", "/artifacts/", "/notebooks/", "/docs/", "/static/"])
def test_no_route_serves_a_file_from_outside_its_folder(api, route, escape):
    deep = escape.replace("card.json", "..%2F..%2F..%2F..%2Fpyproject.toml")
    for target in (escape, escape.replace("card.json", "pyproject.toml"), deep):
        response = api.get(route + target)
        assert response.status_code in (404, 400), f"{route + target}: {response.status_code}"
        assert "dependencies" not in response.text and "sha256" not in response.text


def test_absolute_paths_are_not_files(api):
    for path in ("/artifacts//etc/passwd", "/notebooks//etc/passwd.ipynb", "/static//etc/passwd", "//etc/passwd"):
        response = api.get(path)
        assert response.status_code == 404 and "root:" not in response.text


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def test_every_upload_keeps_its_byte_and_pixel_limits(api, bomb):
    oversized = b"\x89PNG" + b"\0" * imaging.MAX_BYTES
    uploads = {
        "predict": lambda body: api.post("/api/experiments/digits_cnn/predict", content=body,
                                         headers={"Content-Type": "image/png"}),
        "predict (JSON)": lambda body: api.post("/api/experiments/digits_cnn/predict", json={"image": data_url(body)}),
        "photo": lambda body: api.post("/api/experiments/image_classification/predict", content=body,
                                       headers={"Content-Type": "image/png"}),
        "detect": lambda body: api.post("/api/experiments/object_detection/detect", content=body,
                                        headers={"Content-Type": "image/png"}),
        "faces": lambda body: api.post("/api/experiments/emotions/faces", content=body,
                                       headers={"Content-Type": "image/png"}),
        "teach": lambda body: api.post("/api/experiments/rps_mobilenet_v2/teach", json={"frames": [
            {"label": label, "image": data_url(body)} for label in ("rock", "paper", "scissors") for _ in range(5)]}),
    }
    for name, upload in uploads.items():
        for what, body in (("bytes", oversized), ("pixels", bomb)):
            response = upload(body)
            assert response.status_code == 413, f"{name}, too many {what}: {response.status_code} {response.text[:200]}"
            assert what in response.json()["detail"] or "over" in response.json()["detail"], response.text
    assert api.get("/api/health").status_code == 200


@pytest.mark.parametrize("experiment_id", ["object_detection", "emotions"])  # each camera kind
def test_camera_frames_over_the_websocket_keep_the_limits(live_server, bomb, experiment_id):
    """A frame of too many pixels is answered with the reason; one far over the byte limit ends the socket before
    the server reads it into memory (with 1009, "message too big", unless the cut connection loses that), and
    the server goes on serving cameras."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    url = live_server.replace("http", "ws") + f"/api/experiments/{experiment_id}/frames"
    with connect(url, max_size=None) as socket:
        socket.send(bomb)
        assert "pixels" in json.loads(socket.recv(timeout=30))["error"]
        with pytest.raises(ConnectionClosed) as closed:
            socket.send(b"\xff" * (2 * imaging.MAX_BYTES))
            socket.recv(timeout=30)
    assert closed.value.rcvd is None or closed.value.rcvd.code == 1009
    frame = io.BytesIO()
    Image.linear_gradient("L").convert("RGB").save(frame, format="JPEG")
    with connect(url) as socket:
        socket.send(frame.getvalue())
        assert json.loads(socket.recv(timeout=30))["experiment"] == experiment_id
