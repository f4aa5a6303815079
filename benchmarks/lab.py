"""The lab's targets, through the real server with the lab on and its trainer process:

    .venv/bin/python benchmarks/lab.py [--only NAME ...]

- start: seconds from POST .../runs to the first loss point reaching a client of the event stream, for each
  quick preset (the page is open first: GET .../settings, then a pause, as a learner reads the form);
- quick: each quick preset's time to its validation target, and for text the longest wait between two samples;
- serving: /api/health p99 and digits_cnn predict p50 while a run trains, beside the same measured idle;
- the event log of a ten-minute run, from this one's event sizes and rates, and the trainer's largest memory.

Writes benchmarks/results/lab.{json,md}. Run it on a quiet machine: the trainer and the server share its cores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402
from report import percentiles_ms  # noqa: E402

from mlsandbox.data import mnist  # noqa: E402
from mlsandbox.drawings import canvas_png  # noqa: E402
from mlsandbox.lab import runs  # noqa: E402
from mlsandbox.lab.events import PICTURES, PICTURES_EVERY  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import running_server  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
START_TARGET_S = 1.5
# the quick presets: (validation figure, target, seconds from Start)
QUICK_TARGETS = {"digits_mlp": ("val_accuracy", 0.97, 20), "digits_cnn": ("val_accuracy", 0.99, 60),
                 "numbers_summation": ("val_accuracy", 0.99, 180), "shakespeare_lstm": ("val_loss", 2.0, 300)}
SAMPLE_GAP_TARGET_S = 20.0
HEALTH_P99_TARGET_MS, PREDICT_RATIO_TARGET = 50.0, 3.0
LOG_TARGET_BYTES = 5e6
WARM_UP_S = 30  # after the server answers, before the first run: a learner opens a page and reads it


def watch(client: httpx.Client, experiment: str, body: dict) -> dict:
    """Start a run as the page does and follow its events to the end; what arrived when (seconds from Start)."""
    client.get(f"/api/experiments/{experiment}/settings")
    time.sleep(5)  # a learner reads the form; the warm trainer loads the data meanwhile
    began = time.perf_counter()
    run = client.post(f"/api/experiments/{experiment}/runs", json=body)
    run.raise_for_status()
    arrived = []
    with client.stream("GET", f"/api/runs/{run.json()['id']}/events", timeout=None) as stream:
        data = None
        for line in stream.iter_lines():
            if line.startswith("data: "):
                data = line[6:]
            elif not line and data:
                event = json.loads(data)
                arrived.append((time.perf_counter() - began, event, len(data)))
                data = None
                if event["type"] in runs.ENDED:
                    break
    return {"id": run.json()["id"], "arrived": arrived}


def summarise(experiment: str, watched: dict) -> dict:
    arrived = watched["arrived"]
    figure, target, within = QUICK_TARGETS[experiment]
    first_step = next(t for t, e, _ in arrived if e["type"] == "step")
    validations = [(t, e) for t, e, _ in arrived if e["type"] == "validation"]
    met = [t for t, e in validations if (e[figure] >= target if figure == "val_accuracy" else e[figure] <= target)]
    end = arrived[-1]
    seconds = end[0]
    gaps = np.diff([0.0] + [t for t, _ in validations])
    return {
        "run": watched["id"], "state": end[1]["type"], "first_loss_s": round(first_step, 3),
        "figure": figure, "target": target, "within_s": within,
        "reached_s": round(met[0], 1) if met else None,
        "validations": [{"at_s": round(t, 1), figure: round(e[figure], 4)} for t, e in validations],
        "longest_wait_between_validations_s": round(float(gaps.max()), 1),
        "seconds": round(seconds, 1), "test": end[1].get("metrics"),
        "log_bytes": sum(size for _, _, size in arrived),
        "log_bytes_per_10_min": ten_minutes(arrived),
        "trainer_memory_mb": max(e["memory_mb"] for _, e, _ in arrived if e["type"] == "step"),
    }


def ten_minutes(arrived: list) -> int:
    """The event log of a ten-minute run from this one's measured sizes: step events at their rate, a validation
    with pictures at most every PICTURES_EVERY seconds, and at most 100 validations without (epochs' top)."""
    steps = [(t, size) for t, e, size in arrived if e["type"] == "step"]
    step_rate = sum(size for _, size in steps) / (steps[-1][0] - steps[0][0])
    sizes = [(size, e) for _, e, size in arrived if e["type"] == "validation"]
    heavy, heaviest = max(sizes, key=lambda pair: pair[0])
    plain = len(json.dumps({**heaviest, "view": {k: v for k, v in heaviest["view"].items() if k not in PICTURES}}))
    return round(step_rate * 600 + heavy * (600 / PICTURES_EVERY + 1) + plain * 100)


def timed(client: httpx.Client, count: int, request) -> list[float]:
    took = []
    for _ in range(count):
        began = time.perf_counter()
        request().raise_for_status()
        took.append(time.perf_counter() - began)
    return took


def serving(client: httpx.Client) -> dict:
    """Health and digit predictions idle, then while a digits_cnn run trains, on the same server."""
    drawing = canvas_png(mnist.load().x_test[0], scale=8)

    def measure() -> dict:
        health = timed(client, 300, lambda: client.get("/api/health"))
        predict = timed(client, 300, lambda: client.post("/api/experiments/digits_cnn/predict", content=drawing,
                                                         headers={"Content-Type": "image/png"}))
        return {"health_ms": percentiles_ms(health), "predict_ms": percentiles_ms(predict)}

    idle = measure()
    client.get("/api/experiments/digits_cnn/settings")
    run = client.post("/api/experiments/digits_cnn/runs", json={"settings": {"epochs": 2}}).json()
    while client.get(f"/api/runs/{run['id']}").json()["progress"] < 0.02:
        time.sleep(0.5)
    training = measure()
    still = client.get(f"/api/runs/{run['id']}").json()
    client.post(f"/api/runs/{run['id']}/stop")
    ratio = training["predict_ms"]["p50_ms"] / idle["predict_ms"]["p50_ms"]
    return {"idle": idle, "training": training, "run": run["id"], "still_training": still["state"] == "running",
            "predict_p50_ratio": round(ratio, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", choices=["quick", "serving"], default=["quick", "serving"])
    args = parser.parse_args()
    env = {runs.LAB_ENV: "1", runs.DIR_ENV: tempfile.mkdtemp(prefix="mlsandbox-lab-bench-")}
    results = {"machine": report.machine(), "date": time.strftime("%Y-%m-%d %H:%M"), "threads": runs.trainer_threads()}
    with running_server(env=env) as url, httpx.Client(base_url=url, timeout=60) as client:
        time.sleep(WARM_UP_S)  # the server's trainer process warms up (imports torch, a step, an export) meanwhile
        if "quick" in args.only:
            results["quick"] = {}
            for experiment in QUICK_TARGETS:
                results["quick"][experiment] = summarise(experiment, watch(client, experiment, {"preset": "quick"}))
                print(experiment, json.dumps({k: v for k, v in results["quick"][experiment].items()
                                              if k != "validations"}), flush=True)
        if "serving" in args.only:
            results["serving"] = serving(client)
            print(json.dumps(results["serving"]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "lab.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "lab.md").write_text(table(results))
    print(table(results))
    return 0


def table(results: dict) -> str:
    lines = [f"# The lab ({results['date']}, trainer threads: {results['threads']})", "",
             "| measure | value | target | pass |", "|---|---|---|---|"]

    def row(name, value, target, passed):
        lines.append(f"| {name} | {value} | {target} | {'yes' if passed else 'NO'} |")

    for experiment, q in results.get("quick", {}).items():
        row(f"{experiment} quick: Start to first loss point", f"{q['first_loss_s']} s", f"<= {START_TARGET_S} s",
            q["first_loss_s"] <= START_TARGET_S)
        row(f"{experiment} quick: {q['figure']} {'>=' if q['figure'] == 'val_accuracy' else '<='} {q['target']}",
            f"{q['reached_s']} s" if q["reached_s"] else f"not reached ({q['validations'][-1]})",
            f"<= {q['within_s']} s", q["reached_s"] is not None and q["reached_s"] <= q["within_s"])
        if experiment.startswith("shakespeare"):
            row(f"{experiment} quick: longest wait for a sample", f"{q['longest_wait_between_validations_s']} s",
                f"<= {SAMPLE_GAP_TARGET_S} s", q["longest_wait_between_validations_s"] <= SAMPLE_GAP_TARGET_S)
        row(f"{experiment} quick: event log, scaled to 10 min", f"{q['log_bytes_per_10_min'] / 1e6:.2f} MB",
            "<= 5 MB", q["log_bytes_per_10_min"] <= LOG_TARGET_BYTES)
        row(f"{experiment} quick: trainer memory", f"{q['trainer_memory_mb']:.0f} MB", "reported", True)
    if s := results.get("serving"):
        row("while training: /api/health p99", f"{s['training']['health_ms']['p99_ms']:.1f} ms (idle "
            f"{s['idle']['health_ms']['p99_ms']:.1f})", f"<= {HEALTH_P99_TARGET_MS} ms",
            s["training"]["health_ms"]["p99_ms"] <= HEALTH_P99_TARGET_MS)
        row("while training: digits_cnn predict p50", f"{s['training']['predict_ms']['p50_ms']:.2f} ms (idle "
            f"{s['idle']['predict_ms']['p50_ms']:.2f}: {s['predict_p50_ratio']}x)", f"<= {PREDICT_RATIO_TARGET}x idle",
            s["predict_p50_ratio"] <= PREDICT_RATIO_TARGET)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
