"""The face reader's speed targets, through the real server:

    .venv/bin/python benchmarks/faces.py

- server: the server's own time (the answer's `milliseconds`: JPEG decode, both networks and the steps between)
  per 640x480 camera frame with one face, sent over the camera WebSocket one at a time as the page sends
  them; target p50 <= 40 ms (the served networks run on 2 threads);
- steps: the same frames in this process, split into the detector's part and the expression network's, for
  reading;
- page: frames a second the emotions page shows with Chromium's fake camera filming the astronaut (browser,
  camera and server sharing this machine's cores); target >= 10.

Writes benchmarks/results/faces.{json,md}. Run it on a quiet machine.
"""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402
from report import percentiles_ms  # noqa: E402
from vision import page_fps  # noqa: E402

from mlsandbox import experiments, imaging  # noqa: E402
from mlsandbox.data import photos  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import running_server  # noqa: E402

EXPERIMENT = "emotions"
SERVER_P50_MS, PAGE_FPS = 40.0, 10.0
FRAMES, WARM_UP = 300, 20
RESULTS = Path(__file__).resolve().parent / "results"


def frames() -> list[bytes]:
    """640x480 JPEGs of one face: the astronaut at three sizes and places on a grey room."""
    astronaut = Image.open(photos.load()["astronaut.png"]).convert("RGB")
    out = []
    for side, (x, y) in ((480, (80, 0)), (360, (20, 100)), (300, (320, 60))):
        frame = Image.new("RGB", (640, 480), (90, 92, 96))
        frame.paste(astronaut.resize((side, side), Image.Resampling.BILINEAR), (x, y))
        buffer = io.BytesIO()
        frame.save(buffer, format="JPEG", quality=85)
        out.append(buffer.getvalue())
    return out


def server_ms(url: str, bodies: list[bytes]) -> dict:
    from websockets.sync.client import connect

    faces, server = [], []
    with connect(url.replace("http://", "ws://") + f"/api/experiments/{EXPERIMENT}/frames", max_size=None) as socket:
        for i in range(WARM_UP + FRAMES):
            socket.send(bodies[i % len(bodies)])
            answer = json.loads(socket.recv(timeout=30))
            if i >= WARM_UP:
                server.append(answer["milliseconds"] / 1000)
                faces.append(len(answer["faces"]))
    return {**percentiles_ms(server), "faces_per_frame": sorted(set(faces))}


def steps(bodies: list[bytes]) -> dict:
    """Decode, detector (with its letterbox and decoding) and expressions (cut and network), in this process."""
    from mlsandbox.kinds.face_reader import face_input

    finder = experiments.get(EXPERIMENT).open_runtime()
    timings = {"decode": [], "detector": [], "expressions": []}
    for i in range(WARM_UP + FRAMES):
        started = time.perf_counter()
        image = imaging.to_rgb(imaging.decode(bodies[i % len(bodies)]))
        decoded = time.perf_counter()
        scores, boxes, _ = finder.detect(image)
        detected = time.perf_counter()
        finder.read(np.stack([face_input(image, boxes[int(np.argmax(scores))])]))
        read = time.perf_counter()
        if i >= WARM_UP:
            for name, seconds in zip(timings, (decoded - started, detected - decoded, read - detected)):
                timings[name].append(seconds)
    return {name: percentiles_ms(seconds) for name, seconds in timings.items()}


def table(results: dict) -> str:
    rows = [
        report.row(f"{EXPERIMENT}: server time per 640x480 JPEG frame with one face, over the WebSocket", "p50 ms",
                   results["server"]["p50_ms"], "{:.1f}", at_most=SERVER_P50_MS),
        report.row(f"{EXPERIMENT}: the same", "p99 ms", results["server"]["p99_ms"], "{:.1f}"),
        *(report.row(f"{EXPERIMENT}: {name} alone, in process", "p50 ms", ms["p50_ms"], "{:.1f}")
          for name, ms in results["steps"].items()),
        report.row(f"{EXPERIMENT}: page with a fake camera in headless Chromium", "frames a second",
                   results["page"]["fps"], "{:.1f}", at_least=PAGE_FPS),
    ]
    return report.small_table("Face reader", results, rows)


def main() -> int:
    results = {"machine": report.machine(), "date": time.strftime("%Y-%m-%d %H:%M")}
    bodies = frames()
    with running_server() as url:
        results["server"] = server_ms(url, bodies)
        print(json.dumps(results["server"]), flush=True)
        results["page"] = page_fps(int(url.rsplit(":", 1)[1]), 20, EXPERIMENT)
        print(json.dumps(results["page"]), flush=True)
    results["steps"] = steps(bodies)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "faces.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "faces.md").write_text(table(results))
    print(table(results))
    return 0 if results["server"]["p50_ms"] <= SERVER_P50_MS and results["page"]["fps"] >= PAGE_FPS else 1


if __name__ == "__main__":
    sys.exit(main())
