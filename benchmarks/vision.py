"""Benchmarks of the pretrained vision models through the real server: a 640x480 JPEG classified over HTTP,
a 640x480 camera frame detected (the server's own time, and the round trip by POST and by WebSocket, to
choose the page's transport), and the detection page's frames per second in headless Chromium with a fake
camera (browser, camera and server sharing this machine's cores)."""

from __future__ import annotations

import http.client
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import loadgen
from PIL import Image
from report import percentiles_ms, row

from mlsandbox import experiments
from mlsandbox.data import photos

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the fake camera of the browser tests

HOST = "127.0.0.1"
CLASSIFY_P50_MS, DETECT_SERVER_P50_MS, PAGE_FPS = 25.0, 60.0, 8.0
CLASSIFIER, DETECTOR = "image_classification", "object_detection"


def frames() -> list[bytes]:
    """The test photos as a camera gives them: 640x480 JPEGs."""
    out = []
    for path in photos.load().values():
        buffer = io.BytesIO()
        Image.open(path).convert("RGB").resize((640, 480)).save(buffer, format="JPEG", quality=85)
        out.append(buffer.getvalue())
    return out


def websocket_round_trips(port: int, bodies: list[bytes], count: int) -> tuple[list[float], list[float]]:
    """Send frames one at a time over the detector's WebSocket: round-trip seconds and server milliseconds."""
    from websockets.sync.client import connect

    trips, server = [], []
    with connect(f"ws://{HOST}:{port}/api/experiments/{DETECTOR}/frames", max_size=None) as socket:
        for i in range(count):
            started = time.perf_counter()
            socket.send(bodies[i % len(bodies)])
            answer = json.loads(socket.recv(timeout=30))
            trips.append(time.perf_counter() - started)
            server.append(answer["milliseconds"] / 1000)
    return trips, server


def post_round_trips(port: int, bodies: list[bytes], count: int) -> tuple[list[float], list[float]]:
    """The same frames by POST over one keep-alive connection."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    trips, server = [], []
    for i in range(count):
        started = time.perf_counter()
        connection.request("POST", f"/api/experiments/{DETECTOR}/detect", bodies[i % len(bodies)],
                           {"Content-Type": "image/jpeg"})
        answer = json.loads(connection.getresponse().read())
        trips.append(time.perf_counter() - started)
        server.append(answer["milliseconds"] / 1000)
    connection.close()
    return trips, server


def page_fps(port: int, seconds: float, experiment_id: str = DETECTOR) -> dict:
    """Frames per second a camera page (the detection page by default) reaches with Chromium's fake camera
    filming the astronaut, as the page itself shows it (answers over its last two seconds), sampled once a second."""
    from fake_camera import camera_browser, y4m_of
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        with camera_browser(p, y4m_of(photos.load()["astronaut.png"], Path(tmp))) as browser:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"http://{HOST}:{port}/experiments/{experiment_id}")
            page.get_by_test_id("camera-start").click()
            fps = page.get_by_test_id("fps")
            fps.wait_for(timeout=60_000)
            page.wait_for_timeout(3000)  # past the first frames
            samples = []
            for _ in range(int(seconds)):
                page.wait_for_timeout(1000)
                samples.append(float(fps.text_content()))
    samples.sort()
    return {"fps": samples[len(samples) // 2], "samples": samples, "seconds": seconds}


def serving(quick: bool, cli=None, free_port=None, wait_until_up=None) -> tuple[dict, list]:
    chosen = [experiments.get(i) for i in (CLASSIFIER, DETECTOR)]
    if not all(e.model_path.is_file() for e in chosen):
        return {"skipped": "a vision model is missing"}, []
    count = 30 if quick else 300
    bodies = frames()
    port = free_port()
    process = subprocess.Popen([*cli(), "serve", "--host", HOST, "--port", str(port), "--log-level", "warning"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(port, process)
        requests = [loadgen.post(HOST, port, f"/api/experiments/{CLASSIFIER}/predict", b, "image/jpeg") for b in bodies]
        loadgen.load(HOST, port, requests, connections=1, count=20)  # warm-up
        classify = loadgen.load(HOST, port, requests, connections=1, count=count)
        post_round_trips(port, bodies, 20)
        post_trips, post_server = post_round_trips(port, bodies, count)
        websocket_round_trips(port, bodies, 20)
        socket_trips, socket_server = websocket_round_trips(port, bodies, count)
        page = page_fps(port, 5 if quick else 20)
    finally:
        process.terminate()
        process.wait(timeout=10)
    classified = percentiles_ms(classify.latencies)
    server = percentiles_ms(post_server + socket_server)
    by_post, by_socket = percentiles_ms(post_trips), percentiles_ms(socket_trips)
    transport = "WebSocket" if by_socket["p50_ms"] < by_post["p50_ms"] else "POST"
    figures = {
        CLASSIFIER: {"predict_640x480_jpeg": {**classified, "errors": classify.errors}},
        DETECTOR: {"server_ms_640x480_jpeg": server, "round_trip_post": by_post, "round_trip_websocket": by_socket,
                   "faster_transport": transport, "page_fake_camera": page},
    }
    rows = [
        row("vision", f"{CLASSIFIER}: POST predict of a 640x480 JPEG, 1 keep-alive client, p50", classified["p50_ms"],
            "{:.1f} ms", at_most=CLASSIFY_P50_MS),
        row("vision", f"{DETECTOR}: server time per 640x480 JPEG frame (decode, resize, network, boxes), p50",
            server["p50_ms"], "{:.1f} ms", at_most=DETECT_SERVER_P50_MS),
        row("vision", f"{DETECTOR}: frame round trip p50, POST keep-alive / WebSocket (ms)", by_post["p50_ms"], "{:.1f}"),
        row("vision", f"{DETECTOR}: detection page with a fake camera in headless Chromium, frames per second",
            page["fps"], "{:.1f}", at_least=PAGE_FPS),
        row("vision", "requests not answered 200", classify.errors, "{:d}", at_most=0),
    ]
    rows[2]["shown"] = f"{by_post['p50_ms']:.1f} / {by_socket['p50_ms']:.1f} ({transport} is faster)"
    return figures, rows
