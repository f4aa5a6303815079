"""The drawing networks' speed targets, through the real server:

    .venv/bin/python benchmarks/generators.py [--only pictures walk lab]

- pictures: server time (the answer's `milliseconds`) for one picture from a seed, a grid of 16, one picture at a
  latent point (what each pointer move asks for), and a drawing placed by the VAE's encoder; target p50 <= 50 ms;
- walk: frames a second the digits_vae page redraws while a pointer moves across its latent plane in Chromium
  (the plane counts its frames); target >= 20;
- lab: a quick digits_gan run started as the page does: each validation's time from Start, the share of its drawn
  pictures the judge reads with confidence and its Fréchet distance; the grid the page showed at the last
  validation within 3 minutes is written beside the results, to be looked at (whether a person recognises the
  digits is the target).

Writes benchmarks/results/generators.{json,md} (and generators_lab_grid.png). Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402
from lab import WARM_UP_S, watch  # noqa: E402
from report import percentiles_ms  # noqa: E402

from mlsandbox.data import mnist  # noqa: E402
from mlsandbox.drawings import canvas_png  # noqa: E402
from mlsandbox.lab import runs  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import CHROMIUM_ARGS, running_server  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PICTURE_TARGET_MS, FPS_TARGET, RECOGNISABLE_WITHIN_S = 50.0, 20.0, 180.0
REQUESTS = 200
WALK_SECONDS = 5.0


def server_ms(client: httpx.Client, path: str, **request) -> dict:
    took = []
    for _ in range(REQUESTS):
        answer = client.post(path, **request)
        answer.raise_for_status()
        took.append(answer.json()["milliseconds"] / 1000)
    return percentiles_ms(took)


def pictures(client: httpx.Client) -> dict:
    drawing = canvas_png(mnist.load().x_test[0], scale=8)
    found = {}
    for experiment in ("digits_gan", "clothes_gan", "digits_vae"):
        path = f"/api/experiments/{experiment}/pictures"
        latent = client.get(f"/api/experiments/{experiment}").json()["details"]["latent"]
        found[experiment] = {
            "one from a seed": server_ms(client, path, json={"seed": 7, "count": 1}),
            "16 from a seed": server_ms(client, path, json={"seed": 7, "count": 16}),
            "one at a latent point": server_ms(client, path, json={"latents": [[0.5] * latent],
                                                                   **({"digit": 3} if latent == 2 else {})}),
        }
    found["digits_vae"]["a drawing placed"] = server_ms(client, "/api/experiments/digits_vae/encode?digit=7",
                                                        content=drawing, headers={"Content-Type": "image/png"})
    return found


def walk(url: str) -> dict:
    """Sweep the pointer over the latent plane for WALK_SECONDS, as fast as Chromium delivers moves."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/experiments/digits_vae")
        plane = page.locator("[data-frames]").first
        plane.wait_for()
        box = plane.bounding_box()
        before = int(plane.get_attribute("data-frames") or 0)
        began, moves, i = time.perf_counter(), 0, 0
        while time.perf_counter() - began < WALK_SECONDS:
            t = (i % 200) / 200
            page.mouse.move(box["x"] + box["width"] * (0.1 + 0.8 * t), box["y"] + box["height"] * (0.2 + 0.6 * (i // 200 % 2)))
            i, moves = i + 1, moves + 1
        page.wait_for_timeout(300)  # the last frame in flight lands
        seconds = time.perf_counter() - began
        frames = int(plane.get_attribute("data-frames") or 0) - before
        browser.close()
    return {"seconds": round(seconds, 2), "pointer_moves": moves, "frames": frames,
            "frames_per_second": round(frames / seconds, 1)}


def lab(client: httpx.Client) -> dict:
    watched = watch(client, "digits_gan", {"preset": "quick"})
    validations = [(t, e) for t, e, _ in watched["arrived"] if e["type"] == "validation"]
    within = [(t, e) for t, e in validations if t <= RECOGNISABLE_WITHIN_S and "drawn" in e["view"]]
    if within:
        grid = within[-1][1]["view"]["drawn"].partition(",")[2]
        (RESULTS / "generators_lab_grid.png").write_bytes(base64.b64decode(grid))
    return {"run": watched["id"], "state": watched["arrived"][-1][1]["type"],
            "validations": [{"at_s": round(t, 1), "confident": round(e["val_accuracy"], 4),
                             "frechet": round(e["val_loss"], 3)} for t, e in validations],
            "last_within_s": round(within[-1][0], 1) if within else None,
            "confident_then": round(within[-1][1]["val_accuracy"], 4) if within else None,
            "seconds": round(watched["arrived"][-1][0], 1)}


def table(results: dict) -> str:
    rows = []
    for experiment, measured in results.get("pictures", {}).items():
        for what, ms in measured.items():
            rows.append(report.row(f"{experiment}: {what}", "server p50 ms", ms["p50_ms"], "{:.2f}",
                                   at_most=PICTURE_TARGET_MS))
    if "walk" in results:
        rows.append(report.row("digits_vae latent walk in Chromium", "frames a second",
                               results["walk"]["frames_per_second"], "{:.1f}", at_least=FPS_TARGET))
    if "lab" in results:
        rows.append(report.row("digits_gan quick run: its last validation within 3 min (grid: generators_lab_grid.png)",
                               "seconds from Start", results["lab"]["last_within_s"], "{:.1f}",
                               at_most=RECOGNISABLE_WITHIN_S))
        rows.append(report.row("digits_gan quick run: read with confidence then", "share",
                               results["lab"]["confident_then"], "{:.3f}"))
    return report.small_table("Drawing networks", results, rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", choices=["pictures", "walk", "lab"], default=["pictures", "walk", "lab"])
    args = parser.parse_args()
    env = {runs.LAB_ENV: "1", runs.DIR_ENV: tempfile.mkdtemp(prefix="mlsandbox-generators-bench-")}
    results = {"machine": report.machine(), "date": time.strftime("%Y-%m-%d %H:%M")}
    with running_server(env=env) as url, httpx.Client(base_url=url, timeout=60) as client:
        if "pictures" in args.only:
            results["pictures"] = pictures(client)
            print(json.dumps(results["pictures"]), flush=True)
        if "walk" in args.only:
            results["walk"] = walk(url)
            print(json.dumps(results["walk"]), flush=True)
        if "lab" in args.only:
            time.sleep(WARM_UP_S)  # the trainer warms up, as in benchmarks/lab.py
            results["lab"] = lab(client)
            print(json.dumps(results["lab"]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "generators.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "generators.md").write_text(table(results))
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
