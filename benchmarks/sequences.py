"""Benchmarks of the sequence models: held-out quality and training time from the real models, and
streamed generation from the real server (time to first character, characters per second of one stream
and of 8 at once, and /api/health latency meanwhile)."""

from __future__ import annotations

import http.client
import json
import statistics
import subprocess
import threading
import time

from report import percentiles_ms, row

from mlsandbox import experiments
from mlsandbox.kinds.sequence_translator import SequenceTranslator
from mlsandbox.kinds.text_generator import TextGenerator

HOST = "127.0.0.1"
QUALITY = {  # experiment id: (metric, target, at least?)
    "numbers_summation": ("exact_match", 0.999, True),
    "shakespeare_lstm": ("nats_per_char", 1.70, False),
    "shakespeare_transformer": ("nats_per_char", 1.70, False),
    "wikipedia": ("nats_per_char", 1.75, False),
}
BETTER_SHAKESPEARE = 1.48  # the better of the two Shakespeare models
TRAINING_TARGET_S = {"summation": 600.0, "shakespeare": 1800.0, "wikipedia": 1800.0}
FIRST_CHARACTER_MS, ONE_STREAM_CPS, EACH_OF_8_CPS, HEALTH_P99_MS = 150.0, 500.0, 100.0, 50.0
STREAMED = "shakespeare_lstm"


def sequence_models() -> list[experiments.Experiment]:
    return [e for e in experiments.REGISTRY.values()
            if isinstance(e, (SequenceTranslator, TextGenerator)) and e.model_path.is_file()]


def quality(quick: bool) -> tuple[dict, list]:
    """Held-out figures of each sequence model, measured again from its exported file, and its training time."""
    figures, rows, shakespeare = {}, [], []
    for e in sequence_models():
        data = e.load_data()
        metrics, _ = e.evaluate(data.subset(200) if quick else data)
        metric, target, at_least = QUALITY.get(e.id, ("accuracy", None, True))
        figures[e.id] = metrics
        limits = {"at_least": target} if at_least else {"at_most": target}
        rows.append(row("sequences", f"{e.id} {metric.replace('_', ' ')} (held-out {'subset' if quick else 'test'})",
                        metrics[metric], **limits))
        if e.family == "shakespeare":
            shakespeare.append(metrics["nats_per_char"])
        seconds = e.card()["training"]["seconds"]
        rows.append(row("sequences", f"{e.id} training seconds (card)", seconds, "{:.0f}",
                        at_most=TRAINING_TARGET_S.get(e.family)))
    if shakespeare:
        rows.append(row("sequences", "better Shakespeare model, nats per character", min(shakespeare),
                        at_most=BETTER_SHAKESPEARE))
    return figures, rows


def _generate(port: int, experiment_id: str, length: int, seed: int) -> dict:
    """One streamed generation: seconds to the first character and to the end, characters received."""
    body = json.dumps({"prompt": "ROMEO:\n", "length": length, "seed": seed})
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    started = time.perf_counter()
    connection.request("POST", f"/api/experiments/{experiment_id}/generate", body,
                       {"Content-Type": "application/json"})
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"generate answered {response.status}: {response.read()[:200]!r}")
    first, count = None, 0
    while line := response.readline():
        if line.startswith(b'data: {"character"'):
            count += 1
            first = first or time.perf_counter() - started
    connection.close()
    return {"first_s": first, "seconds": time.perf_counter() - started, "characters": count}


def _health(port: int, stop: threading.Event, latencies: list) -> None:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    while not stop.is_set():
        started = time.perf_counter()
        connection.request("GET", "/api/health")
        connection.getresponse().read()
        latencies.append(time.perf_counter() - started)
        time.sleep(0.02)
    connection.close()


def streams(quick: bool, cli=None, free_port=None, wait_until_up=None) -> tuple[dict, list]:
    e = experiments.get(STREAMED)
    if not e.model_path.is_file():
        return {"skipped": f"{STREAMED} has no trained model"}, []
    port = free_port()
    process = subprocess.Popen([*cli(), "serve", "--host", HOST, "--port", str(port), "--log-level", "warning"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(port, process)
        firsts = [_generate(port, STREAMED, 1, seed)["first_s"] for seed in range(10 if quick else 100)]
        length = 200 if quick else 2000
        one = _generate(port, STREAMED, length, 0)
        results, latencies, stop = [None] * 8, [], threading.Event()
        checker = threading.Thread(target=_health, args=(port, stop, latencies))
        checker.start()

        def run(i: int) -> None:
            results[i] = _generate(port, STREAMED, length, i)

        workers = [threading.Thread(target=run, args=(i,)) for i in range(8)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        stop.set()
        checker.join()
    finally:
        process.terminate()
        process.wait(timeout=10)
    first = percentiles_ms(firsts)
    health = percentiles_ms(latencies)
    each = [r["characters"] / r["seconds"] for r in results]
    figures = {"experiment": STREAMED, "first_character": first, "one_stream_cps": one["characters"] / one["seconds"],
               "eight_streams_cps": [round(x, 1) for x in each], "health_during_eight": health, "length": length}
    rows = [
        row("streams", f"{STREAMED}: request to first character, p50 ({first['n']} requests)", first["p50_ms"],
            "{:.1f} ms", at_most=FIRST_CHARACTER_MS),
        row("streams", f"{STREAMED}: request to first character, p99", first["p99_ms"], "{:.1f} ms"),
        row("streams", f"{STREAMED}: characters per second, one stream of {length}", figures["one_stream_cps"],
            "{:.0f}", at_least=ONE_STREAM_CPS),
        row("streams", f"{STREAMED}: characters per second of the slowest of 8 streams at once (median "
            f"{statistics.median(each):.0f})", min(each), "{:.0f}", at_least=EACH_OF_8_CPS),
        row("streams", "/api/health p99 while 8 streams run", health["p99_ms"], "{:.1f} ms", at_most=HEALTH_P99_MS),
    ]
    return figures, rows
