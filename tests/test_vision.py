"""The pretrained vision models: their sources, ONNX against the reference, photos a person can judge,
preprocessing of every kind of photo, and bad input to their routes, the camera socket (shared by the camera kinds:
object detectors and face readers) and the CLI. The face reader's own checks are in tests/test_emotions.py."""

import io
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import served
import tolerances
from mlsandbox import assets, experiments, imaging
from mlsandbox.data import coco, imagenet, photos
from mlsandbox.kinds.face_reader import FaceReader
from mlsandbox.kinds.object_detector import Detector, ObjectDetector

CLASSIFIER = experiments.get("image_classification")
DETECTOR = experiments.get("object_detection")


@pytest.fixture(scope="module")
def test_photos():
    return photos.load()


def jpeg(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, **options)
    return buffer.getvalue()


def test_sources_are_pinned_and_the_weights_load_only_as_tensors():
    import torch

    from mlsandbox.nets.mobilenet_v2 import MobileNetV2

    assert assets.sha256_of(assets.require(imagenet.WEIGHTS)) == imagenet.WEIGHTS.sha256
    state = torch.load(imagenet.WEIGHTS.path, weights_only=True)
    assert len(state) == 314
    MobileNetV2().load_state_dict(state)  # key for key, shape for shape
    assert imagenet.labels()[0] == "tench, Tinca tinca" and len(imagenet.labels()) == 1000
    assert coco.labels()[:3] == ("person", "bicycle", "car") and len(coco.labels()) == 80
    card = CLASSIFIER.card()
    assert {f["sha256"] for f in card["source"]["files"]} == {a.sha256 for a in imagenet.SOURCES}


def test_onnx_matches_pytorch_on_every_test_photo(test_photos):
    import torch

    from mlsandbox.nets.mobilenet_v2 import MobileNetV2

    net = MobileNetV2().eval()
    net.load_state_dict(torch.load(assets.require(imagenet.WEIGHTS), weights_only=True))
    model = CLASSIFIER.open_runtime()
    for name, path in test_photos.items():
        photo = CLASSIFIER.prepare(path.read_bytes())
        with torch.no_grad():
            expected, expected_map = (t[0].numpy() for t in net(torch.from_numpy(photo.input[None])))
        got = model.probabilities(photo.input[None])[0]
        assert got.argmax() == expected.argmax(), name
        assert np.abs(got - expected).max() <= tolerances.ONNX_VS_PYTORCH, name
        _, heat = model.look(photo)
        assert heat.shape == (7, 7) and heat.max() == pytest.approx(1.0)
        assert np.unravel_index(heat.argmax(), heat.shape) == np.unravel_index(expected_map.argmax(), (7, 7))


def test_the_cat_is_a_cat_and_the_heat_map_is_on_it(api, test_photos):
    response = api.post("/api/experiments/image_classification/predict", content=test_photos["chelsea.png"].read_bytes(),
                        headers={"Content-Type": "image/png"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert len(answer["ranked"]) == 5
    assert {"tabby, tabby cat", "tiger cat", "Egyptian cat"} & {g["label"] for g in answer["ranked"]}
    heatmap = answer["heatmap"]
    assert heatmap["size"] == [451, 300]
    assert heatmap["box"] == [94, 19, 356, 281]  # the centre 224/256 of the short side: what the network saw
    cells = np.array(heatmap["cells"])
    assert cells.shape == (7, 7) and cells.min() >= 0 and cells.max() == 1


def test_the_detector_finds_what_a_person_sees(api, test_photos):
    for name, label in served.OBJECTS.items():
        response = api.post("/api/experiments/object_detection/detect", content=test_photos[name].read_bytes())
        assert response.status_code == 200, response.text
        found = response.json()
        assert label in {d["label"] for d in found["detections"]}, (name, found)
        for d in found["detections"]:
            x1, y1, x2, y2 = d["box"]
            assert 0 <= x1 < x2 <= found["width"] and 0 <= y1 < y2 <= found["height"]
            assert d["score"] >= 0.35


def test_decoding_matches_the_reference_implementation(test_photos):
    """The NumPy decoder against the reference decoder, both given the reference's settings."""
    served.check_decodes_like_the_reference(Detector(DETECTOR), test_photos)


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "LA", "CMYK", "I;16", "1"])
def test_every_kind_of_photo_is_read(mode, test_photos):
    photo = Image.open(test_photos["chelsea.png"]).convert("RGB")
    if mode == "I;16":
        converted = Image.fromarray(np.asarray(photo.convert("L"), dtype=np.uint16) * 257)
    else:
        converted = photo.convert(mode)
    buffer = io.BytesIO()
    converted.save(buffer, format="JPEG" if mode == "CMYK" else "PNG")
    model_input, box = imaging.imagenet_photo(imaging.to_rgb(imaging.decode(buffer.getvalue())))
    assert model_input.shape == (3, 224, 224) and np.isfinite(model_input).all()
    if mode in ("RGBA", "CMYK", "P"):  # the colours survive (a palette keeps 256 of them)
        reference, _ = imaging.imagenet_photo(photo)
        assert np.abs(model_input - reference).mean() < 0.15


def test_transparent_pixels_are_seen_over_white():
    image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    rgb = imaging.to_rgb(imaging.decode(png(image)))
    assert rgb.getpixel((10, 10)) == (255, 255, 255)


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_exif_orientation_is_honoured(test_photos):
    """A camera stores a portrait photo on its side with an orientation tag: it must be read upright."""
    upright = Image.open(test_photos["chelsea.png"]).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    stored = jpeg(upright.transpose(Image.Transpose.ROTATE_90), exif=exif)
    read = imaging.to_rgb(imaging.decode(stored))
    assert read.size == upright.size
    assert np.abs(np.asarray(read, float) - np.asarray(upright, float)).mean() < 6
    assert CLASSIFIER.prepare(stored).size == (451, 300)


@pytest.mark.parametrize("size", [(1, 1), (3, 500), (4000, 3000)])
def test_tiny_thin_and_huge_photos(api, size):
    image = Image.new("RGB", size, (120, 160, 200))
    for route in ("image_classification/predict", "object_detection/detect", "emotions/faces"):
        response = api.post(f"/api/experiments/{route}", content=jpeg(image))
        assert response.status_code == 200, (route, response.text)


def bad_inputs(bomb: bytes, photo: bytes) -> dict[str, tuple[bytes, int, str]]:
    return {
        "empty": (b"", 422, "empty"),
        "not an image": (b"GIF89a this is not really an image", 422, "not an image"),
        "truncated": (photo[: len(photo) // 3], 422, "truncated"),
        "oversized": (b"\xff" * (imaging.MAX_BYTES + 1), 413, "over"),
        "decompression bomb": (bomb, 413, "pixels"),
    }


@pytest.mark.parametrize("case", ["empty", "not an image", "truncated", "oversized", "decompression bomb"])
@pytest.mark.parametrize("route", ["image_classification/predict", "object_detection/detect"])
def test_bad_input_gets_a_clear_error_and_the_server_keeps_serving(api, bomb, test_photos, case, route):
    body, status, words = bad_inputs(bomb, jpeg(Image.open(test_photos["coffee.png"]).convert("RGB")))[case]
    response = api.post(f"/api/experiments/{route}", content=body, headers={"Content-Type": "image/jpeg"})
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert api.get("/api/health").status_code == 200


def test_each_route_answers_only_its_kind(api):
    response = api.post("/api/experiments/digits_cnn/detect", content=b"x")
    assert response.status_code == 404 and "not a object detector" in response.json()["detail"]
    response = api.post("/api/experiments/object_detection/predict", content=b"x")
    assert response.status_code == 404 and "image classifier" in response.json()["detail"]
    response = api.post("/api/experiments/object_detection/detect?threshold=0", content=b"x")
    assert response.status_code == 422
    response = api.post("/api/experiments/object_detection/faces", content=b"x")
    assert response.status_code == 404 and "not a face reader" in response.json()["detail"]
    response = api.post("/api/experiments/emotions/detect", content=b"x")
    assert response.status_code == 404 and "not a object detector" in response.json()["detail"]
    response = api.post("/api/experiments/emotions/faces?threshold=0", content=b"x")
    assert response.status_code == 422


def frames_url(live_server: str, experiment_id: str = "object_detection") -> str:
    return live_server.replace("http://", "ws://") + f"/api/experiments/{experiment_id}/frames"


def test_camera_frames_over_the_websocket(live_server, test_photos):
    from websockets.sync.client import connect

    frame = jpeg(Image.open(test_photos["astronaut.png"]).convert("RGB").resize((640, 480)))
    with connect(frames_url(live_server), max_size=None) as socket:
        socket.send(frame)
        answer = json.loads(socket.recv(timeout=30))
        assert "person" in {d["label"] for d in answer["detections"]} and answer["width"] == 640
        socket.send(json.dumps({"threshold": 0.9}))
        assert json.loads(socket.recv(timeout=30)) == {"threshold": 0.9}
        socket.send(frame)
        assert all(d["score"] >= 0.9 for d in json.loads(socket.recv(timeout=30))["detections"])
        deep = '{"threshold": ' + "[" * 100_000 + "]" * 100_000 + "}"  # deeper than the JSON parser recurses
        for garbage, words in ((b"", "empty"), (b"\x00garbage", "not an image"), ("{oops", "threshold"),
                               (json.dumps({"threshold": 7}), "threshold"), (deep, "threshold")):
            socket.send(garbage)
            assert words in json.loads(socket.recv(timeout=30))["error"]
        socket.send(b"\xff" * (imaging.MAX_BYTES + 1))
        assert "over" in json.loads(socket.recv(timeout=30))["error"]
        socket.send(frame)  # still answering
        assert "detections" in json.loads(socket.recv(timeout=30))


def test_a_flood_of_frames_is_closed_with_a_reason_and_others_are_served(live_server, api):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with connect(frames_url(live_server)) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(500):
                socket.send(b"\x00")
            while True:
                socket.recv(timeout=30)
    assert closed.value.rcvd.code == 1008 and "frames a second" in closed.value.rcvd.reason
    assert api.get("/api/health").status_code == 200


def test_the_socket_of_an_unknown_or_wrong_kind_of_experiment_is_refused(live_server):
    from websockets.exceptions import InvalidStatus, ConnectionClosed
    from websockets.sync.client import connect

    for experiment_id in ("nope", "digits_cnn"):
        with pytest.raises((InvalidStatus, ConnectionClosed)):
            with connect(frames_url(live_server, experiment_id)) as socket:
                socket.recv(timeout=10)


CAMERA_KINDS = (ObjectDetector, FaceReader)  # what registers with mlsandbox.web.camera


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient` is deprecated")
def test_every_camera_kind_takes_frames_and_the_others_are_refused_naming_them():
    """In-process (a real server refuses before the handshake, with a 403 that carries no reason): each experiment of
    a camera kind is answered on the socket; every other is closed with 1008 and a reason that names the camera
    kinds, whole within the 120 characters a close reason keeps."""
    from fastapi.testclient import TestClient
    from starlette.websockets import WebSocketDisconnect

    from mlsandbox.web import camera
    from mlsandbox.web.app import app

    assert set(camera.LOOKS) == set(CAMERA_KINDS)
    client = TestClient(app)
    frame = jpeg(Image.new("RGB", (64, 48), (90, 90, 90)))
    for e in experiments.REGISTRY.values():
        if isinstance(e, CAMERA_KINDS):
            with client.websocket_connect(f"/api/experiments/{e.id}/frames") as socket:
                socket.send_bytes(frame)
                answer = socket.receive_json()
                assert answer["experiment"] == e.id and answer["width"] == 64, answer
            continue
        with pytest.raises(WebSocketDisconnect) as refused:
            with client.websocket_connect(f"/api/experiments/{e.id}/frames") as socket:
                socket.receive_text()
        assert refused.value.code == 1008, e.id
        assert refused.value.reason.endswith("which takes no camera frames: object detectors and face readers do."), \
            refused.value.reason


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlsandbox", *args], capture_output=True, text=True, timeout=120)


def test_cli_predict_names_photos_and_finds_objects(test_photos, tmp_path):
    done = run_cli("predict", "image_classification", str(test_photos["coffee.png"]), "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["label"] == "espresso" and len(answer["ranked"]) == 5

    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a photo")
    done = run_cli("predict", "object_detection", str(test_photos["astronaut.png"]), str(broken), "--json")
    assert done.returncode == 1
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert "person" in {d["label"] for d in lines[0]["detections"]}
    width, height = Image.open(test_photos["astronaut.png"]).size
    assert all(0 <= d["box"][0] < d["box"][2] <= width and 0 <= d["box"][1] < d["box"][3] <= height
               for d in lines[0]["detections"])
    assert lines[1]["file"] == str(broken) and "not an image" in lines[1]["error"]
