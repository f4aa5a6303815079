"""Benchmarks of the rock-paper-scissors models through the real server: a 640x480 camera frame read by each
hand classifier (the server's own time and the round trip; and a frame with no hand in it, where the landmark
pipeline looks hardest), and teach mode: a head fitted from 20 frames of each pose, measured on 60 further
frames, for each network's features, in two settings:

- one person: a single rendered hand per pose, filmed as a webcam films someone holding still (small random
  shifts, zooms, light changes and sensor noise, JPEG), which is what the page's teach mode sees;
- many hands: 20 different held-out renders of each pose to teach, 60 others to measure (other tones,
  backgrounds and angles): far harder than one person, and a measure of the features themselves."""

from __future__ import annotations

import base64
import http.client
import io
import json
import subprocess
import time

import numpy as np
from PIL import Image, ImageEnhance
from report import percentiles_ms, row

from mlsandbox import experiments
from mlsandbox.data import hands
from mlsandbox.kinds.hand_landmarks import HandLandmarks

HOST = "127.0.0.1"
HANDS = ("rps_cnn", "rps_mobilenet_v2", "rps_landmarks")
LANDMARK_SERVER_MS = 100.0  # p50 target of the landmark pipeline (the two MediaPipe networks and the pose network)
TEACH_FRAMES, MEASURE_FRAMES = 20, 60  # per pose to teach; in all to measure
TEACH_ACCURACY, TEACH_SECONDS = 0.95, 2.0


def camera_frame(picture: np.ndarray, rng: np.random.Generator, size: tuple[int, int] = (640, 480)) -> bytes:
    """A 640x480 JPEG of the picture as a webcam films a hand held still: the square picture in the middle of
    a frame of its own background, moved and zoomed a little, lighter or darker, with sensor noise."""
    side = int(size[1] * rng.uniform(0.9, 1.1))
    hand = Image.fromarray(picture).resize((side, side), Image.Resampling.BILINEAR)
    frame = hand.resize(size, Image.Resampling.BILINEAR)  # the picture's own colours stretched as the surroundings
    frame.paste(hand, ((size[0] - side) // 2 + int(rng.integers(-25, 26)), (size[1] - side) // 2 + int(rng.integers(-20, 21))))
    frame = ImageEnhance.Brightness(frame).enhance(rng.uniform(0.85, 1.15))
    noisy = np.asarray(frame, np.float32) + rng.normal(0, 4, (size[1], size[0], 3))
    buffer = io.BytesIO()
    Image.fromarray(np.uint8(np.clip(noisy, 0, 255))).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def post(connection: http.client.HTTPConnection, path: str, body: bytes, kind: str) -> tuple[dict, float]:
    started = time.perf_counter()
    connection.request("POST", path, body, {"Content-Type": kind})
    response = connection.getresponse()
    answer = json.loads(response.read())
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status} {answer}")
    return answer, time.perf_counter() - started


def teach_and_measure(connection, experiment_id: str, taught: list[tuple[bytes, int]],
                      measured: list[tuple[bytes, int]]) -> dict:
    body = json.dumps({"frames": [{"label": hands.LABELS[label], "image": base64.b64encode(data).decode()}
                                  for data, label in taught]}).encode()
    answer, seconds = post(connection, f"/api/experiments/{experiment_id}/teach", body, "application/json")
    right = [post(connection, f"/api/experiments/{experiment_id}/taught/predict",
                  json.dumps({"model": answer["model"], "image": base64.b64encode(data).decode()}).encode(),
                  "application/json")[0]["label"] == hands.LABELS[label] for data, label in measured]
    return {"accuracy": float(np.mean(right)), "frames_taught": len(taught), "frames_measured": len(right),
            "server_ms": answer["milliseconds"], "round_trip_s": round(seconds, 3)}


def one_person(rng: np.random.Generator) -> tuple[list, list]:
    """20 frames per pose to teach and 60 to measure, all of one rendered hand per pose (validation renders)."""
    taught, measured = [], []
    for k in range(3):
        picture = hands.render(k, "validation")[0]
        frames = [(camera_frame(picture, rng), k) for _ in range(TEACH_FRAMES + MEASURE_FRAMES // 3)]
        taught, measured = taught + frames[:TEACH_FRAMES], measured + frames[TEACH_FRAMES:]
    return taught, measured


def many_hands(rng: np.random.Generator) -> tuple[list, list]:
    """20 validation renders per pose to teach, the next 60 validation renders to measure."""
    count = 3 * TEACH_FRAMES + MEASURE_FRAMES
    frames = [(camera_frame(picture, rng), label) for picture, label, _ in
              (hands.render(i, "validation") for i in range(count))]
    return frames[: 3 * TEACH_FRAMES], frames[3 * TEACH_FRAMES :]


def serving(quick: bool, cli=None, free_port=None, wait_until_up=None) -> tuple[dict, list]:
    chosen = [experiments.get(i) for i in HANDS]
    chosen = [e for e in chosen if e.model_path.is_file()]
    if not chosen:
        return {"skipped": "no hand model is trained"}, []
    rng = np.random.default_rng(0)
    count = 30 if quick else 300
    frames = [camera_frame(hands.render(i, "test")[0], rng) for i in range(30)]
    empty = [camera_frame(hands.without_hand(i, "test"), rng) for i in range(30)]
    settings = {"one person": one_person(rng), "many hands": many_hands(rng)}
    port = free_port()
    process = subprocess.Popen([*cli(), "serve", "--host", HOST, "--port", str(port), "--log-level", "warning"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    figures, rows = {}, []
    try:
        wait_until_up(port, process)
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        for e in chosen:
            path = f"/api/experiments/{e.id}/predict"
            for body in frames[:10]:
                post(connection, path, body, "image/jpeg")  # warm-up
            answers = [post(connection, path, frames[i % len(frames)], "image/jpeg") for i in range(count)]
            trips = percentiles_ms([seconds for _, seconds in answers])
            server = percentiles_ms([answer["milliseconds"] / 1000 for answer, _ in answers])
            no_hand = percentiles_ms([post(connection, path, empty[i % len(empty)], "image/jpeg")[0]["milliseconds"] / 1000
                                      for i in range(count // 3)])
            teaching = {name: teach_and_measure(connection, e.id, *frames_of) for name, frames_of in settings.items()
                        if e.teachable}
            figures[e.id] = {"predict_640x480_jpeg": {"round_trip": trips, "server": server},
                             "predict_640x480_jpeg_no_hand": {"server": no_hand}, "teach": teaching}
            rows.append(row("rps", f"{e.id}: predict a 640x480 JPEG frame, server p50 / round trip p50 (ms)",
                            server["p50_ms"], "{:.1f}", at_most=LANDMARK_SERVER_MS if isinstance(e, HandLandmarks) else None))
            rows[-1]["shown"] = f"{server['p50_ms']:.1f} / {trips['p50_ms']:.1f}"
            rows.append(row("rps", f"{e.id}: predict a 640x480 JPEG frame with no hand, server p50 (ms)",
                            no_hand["p50_ms"], "{:.1f}"))
            for name, taught in teaching.items():
                rows.append(row("rps", f"{e.id}: taught from 20 frames per pose ({name}), accuracy on 60 further",
                                taught["accuracy"], "{:.3f}", at_least=TEACH_ACCURACY if name == "one person" else None))
            if teaching:
                rows.append(row("rps", f"{e.id}: teaching 60 frames, server seconds",
                                teaching["one person"]["server_ms"] / 1000, "{:.2f}", at_most=TEACH_SECONDS))
        connection.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
    return figures, rows
