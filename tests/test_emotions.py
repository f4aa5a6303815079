"""The face reader: both converted networks against TensorFlow.js on the same photos, the pipeline's geometry,
faces found in photos of people and none in photos without, and its route, camera socket and CLI with good
and bad input."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from PIL import Image

from mlsandbox import experiments, imaging
from mlsandbox.assets import sha256_of
from mlsandbox.data import faces, photos
from mlsandbox.kinds import face_reader as fr
from test_vision import bad_inputs, jpeg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import convert_tfjs  # noqa: E402  (its preprocessing: the photos as the conversion check fed them)

EMOTIONS = experiments.get("emotions")
NETWORKS = {"blazeface": fr.DETECTOR, "emotion": "model.onnx"}  # converter entry -> file in the artifacts
ASTRONAUT_FACE = (171, 73, 278, 180)  # x1, y1, x2, y2, by eye: hairline to chin, ear to ear


@pytest.fixture(scope="module")
def finder():
    return EMOTIONS.open_runtime()


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    return Image.open(photos.load()["astronaut.png"]).convert("RGB")


def scaled_difference(ours: np.ndarray, theirs: np.ndarray) -> float:
    """The conversion check's measure: |a - b| where b is up to 1, relative above (float32 logits reach -400)."""
    return float((np.abs(ours - theirs) / np.maximum(1.0, np.abs(theirs))).max())


@pytest.mark.parametrize("name", NETWORKS)
def test_the_served_networks_match_tensorflow_js_on_the_same_photos(name):
    """tests/data/<name>_tfjs.npz holds TensorFlow.js's outputs (written by tools/convert_tfjs.py); the committed
    ONNX file, fed the same preprocessed photos under ONNX Runtime here, gives them to within 1e-4."""
    model = convert_tfjs.MODELS[name]
    session = ort.InferenceSession(str(EMOTIONS.artifact_dir / NETWORKS[name]), providers=["CPUExecutionProvider"])
    reference = np.load(ROOT / "tests" / "data" / f"{name}_tfjs.npz")
    names = [o.name for o in session.get_outputs()]
    compared = 0
    for asset in convert_tfjs.PHOTOS:
        x, _ = convert_tfjs.preprocess(photos.load()[Path(asset.name).name], model.input)
        ours = dict(zip(names, session.run(None, {model.input.name: x})))
        for onnx_name, _ in model.outputs.values():
            theirs = reference[f"{Path(asset.name).name}/{onnx_name}"]
            assert scaled_difference(ours[onnx_name], theirs) <= 1e-4, (asset.name, onnx_name)
            compared += 1
    assert compared == len(convert_tfjs.PHOTOS) * len(model.outputs)


def test_the_card_pins_both_networks_and_their_conversion_records_agree():
    card = EMOTIONS.card()
    folder = EMOTIONS.artifact_dir
    assert card["model"]["companions"][fr.DETECTOR]["sha256"] == sha256_of(folder / fr.DETECTOR)
    detector_record = json.loads((folder / "face_detector.conversion.json").read_text())
    assert detector_record["onnx"]["sha256"] == sha256_of(folder / fr.DETECTOR)
    for record in (detector_record, json.loads((folder / "conversion.json").read_text())):
        figures = record["parity"]["max_difference_relative_above_1"].values()
        assert max(v for per_input in figures for v in per_input.values()) <= record["parity"]["tolerance"] <= 1e-4
    assert tuple(card["source"]["conversion"]) == ("expressions", "faces")
    assert faces.expression_names() == EMOTIONS.labels


def test_anchors_tile_a_16_and_an_8_cell_grid():
    assert fr.ANCHORS.shape == (896, 2)
    assert np.allclose(fr.ANCHORS[:2], 8.0) and np.allclose(fr.ANCHORS[511], 248.0)
    assert np.allclose(fr.ANCHORS[512:518], 16.0) and np.allclose(fr.ANCHORS[-1], 240.0)


def test_the_expression_network_reads_a_square_cut_1_4_times_the_face():
    assert fr.face_square(np.array([100.0, 50.0, 200.0, 130.0])) == (80, 20, 220, 160)
    image = Image.new("RGB", (40, 30), (255, 255, 255))
    face = fr.face_input(image, np.array([0.0, 0.0, 40.0, 30.0]))  # the cut reaches past the photo: black there
    assert face.shape == (64, 64, 1) and face.dtype == np.float32
    assert face.max() == pytest.approx(1.0, abs=1e-3) and face.min() == pytest.approx(-1.0)


def test_boxes_turned_inside_out_or_too_small_are_no_faces(finder, monkeypatch):
    boxes = np.array([[10, 10, 5, 40], [10, 10, 13, 40], [10, 10, 60, 60]], np.float32)  # inside out, 3 px, a face
    monkeypatch.setattr(finder, "detect", lambda image: (np.array([0.99, 0.98, 0.9]), boxes, np.zeros((3, 6, 2))))
    found = finder.find(Image.new("RGB", (64, 64)))
    assert [f.box for f in found] == [(10.0, 10.0, 60.0, 60.0)]


def test_a_face_is_found_in_every_photo_of_people(finder):
    found = {name: finder.find(imaging.to_rgb(Image.open(path))) for name, path in faces.with_faces().items()}
    assert all(found.values()), [name for name, f in found.items() if not f]
    face = found["astronaut.png"][0]
    assert np.abs(np.subtract(face.box, ASTRONAUT_FACE)).max() < 8
    assert EMOTIONS.labels[int(np.argmax(face.probabilities))] == "happy"  # she smiles
    assert face.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert len(found["sample1.jpg"]) == 3 and len(found["sample6.jpg"]) == 4


def test_no_face_is_found_in_photos_without_people(finder):
    frames = faces.without_faces()
    assert len(frames) == 14 * (1 + faces.CUTS_PER_PHOTO)
    assert {name: [f.score for f in finder.find(frame)] for name, frame in frames.items() if finder.find(frame)} == {}


def test_the_route_gives_each_face_its_box_score_and_seven_probabilities(api, astronaut):
    response = api.post("/api/experiments/emotions/faces", content=jpeg(astronaut))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["width"], answer["height"]) == astronaut.size and len(answer["faces"]) == 1
    face = answer["faces"][0]
    assert list(face["probabilities"]) == list(EMOTIONS.labels) and face["expression"] == "happy"
    assert face["score"] >= fr.SCORE_THRESHOLD and len(face["points"]) == 6
    lowered = api.post("/api/experiments/emotions/faces?threshold=0.05", content=jpeg(astronaut)).json()
    assert len(lowered["faces"]) > 1  # at 5% the detector's guesses show: many boxes, none overlapping much
    assert api.post("/api/experiments/emotions/faces?threshold=2", content=jpeg(astronaut)).status_code == 422
    assert api.post("/api/experiments/digits_cnn/faces", content=jpeg(astronaut)).status_code == 404


@pytest.mark.parametrize("case", ["empty", "not an image", "truncated", "oversized", "decompression bomb"])
def test_bad_photos_get_a_clear_error_and_the_server_keeps_serving(api, bomb, astronaut, case):
    body, status, words = bad_inputs(bomb, jpeg(astronaut))[case]
    response = api.post("/api/experiments/emotions/faces", content=body, headers={"Content-Type": "image/jpeg"})
    assert response.status_code == status and words in response.json()["detail"], response.text
    assert api.get("/api/health").status_code == 200


def test_camera_frames_of_a_face_over_the_websocket(live_server, astronaut):
    from websockets.sync.client import connect

    frame = Image.new("RGB", (640, 480), (40, 40, 40))
    frame.paste(astronaut.resize((480, 480)), (80, 0))
    with connect(live_server.replace("http://", "ws://") + "/api/experiments/emotions/frames") as socket:
        socket.send(jpeg(frame))
        answer = json.loads(socket.recv(timeout=30))
        assert (answer["width"], answer["height"]) == (640, 480) and answer["faces"][0]["expression"] == "happy"
        socket.send(b"\x00garbage")
        assert "not an image" in json.loads(socket.recv(timeout=30))["error"]
        socket.send(json.dumps({"threshold": 0.99}))
        assert json.loads(socket.recv(timeout=30)) == {"threshold": 0.99}
        socket.send(jpeg(frame))
        assert json.loads(socket.recv(timeout=30))["faces"] == []


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlsandbox", *args], capture_output=True, text=True, timeout=120)


def test_cli_predict_reads_the_faces_of_photos_and_refuses_what_is_not_one(tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a photo")
    astronaut, coffee = photos.load()["astronaut.png"], photos.load()["coffee.png"]
    done = run_cli("predict", "emotions", str(astronaut), str(coffee), str(broken), str(tmp_path / "gone.jpg"), "--json")
    assert done.returncode == 1 and done.stderr == ""
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(astronaut), str(coffee), str(broken), str(tmp_path / "gone.jpg")]
    assert lines[0]["faces"][0]["expression"] == "happy" and lines[1]["faces"] == []
    assert "not an image" in lines[2]["error"] and "No such file" in lines[3]["error"]
    done = run_cli("predict", "emotions", str(astronaut))
    assert done.returncode == 0 and "happy" in done.stdout and "a face (88%)" in done.stdout
