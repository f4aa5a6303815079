"""Load and soak: 200 clients at once for 60 s against the real server (two model workers), across the kinds of
request a page makes: digit and sketch drawings to predict, text streams of a few hundred characters, camera
frames to detect, static pages and /api/health.

Each client waits for its answer, then thinks for up to THINK_S before the next request, as a person's page
does. A 503 with Retry-After (every model worker busy, or every stream slot taken) is load shed on purpose and
counted apart: the client waits as it is told. Anything else that is not a 2xx, a broken connection, a stream
that does not reach its end, or no answer within TIMEOUT_S is an error or a timeout. Meanwhile another
process asks /api/health ten times a second and reads the server's resident memory once a second, so that
neither figure waits on the clients' event loop."""

from __future__ import annotations

import asyncio
import http.client
import multiprocessing
import os
import random
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from collections import Counter, defaultdict

import httpx
import numpy as np
import vision
from report import percentiles_ms, row

from mlsandbox import experiments

HOST = "127.0.0.1"
CLIENTS, SECONDS, WORKERS = 200, 60, 2
THINK_S, TIMEOUT_S, KEEP_ALIVE_S = 1.0, 30.0, 2.0
STREAM_LENGTH = 300
GROWTH_FROM_S = 10  # memory growth is measured from this second to the end
HEALTH_P99_MS, GROWTH_TARGET = 50.0, 0.10
MIX = {"digit": 3, "sketch": 2, "stream": 1, "frame": 1, "page": 2, "health": 1}  # weights of the kinds of request
PAGES = ["/", "/experiments/digits_cnn", "/experiments/shakespeare_lstm", "/static/css/style.css",
         "/static/js/home.js", "/api/experiments", "/favicon.ico"]


def probe(port: int, pid: int, stop, answer) -> None:
    """In its own process: /api/health every 100 ms ((start, seconds or None)), and the server's RSS each second."""
    health, rss, started = [], [], time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    while not stop.is_set():
        tick = time.perf_counter()
        if len(rss) <= (tick - started):
            rss.append(sum(resident_bytes(p) for p in tree(pid)))
        try:
            connection.request("GET", "/api/health")
            response = connection.getresponse()
            response.read()
            health.append((tick - started, time.perf_counter() - tick if response.status == 200 else None))
        except (OSError, http.client.HTTPException):
            health.append((tick - started, None))
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
        time.sleep(max(0.0, 0.1 - (time.perf_counter() - tick)))
    answer.send((health, rss))


class Tally:
    def __init__(self):
        self.counts: dict[str, Counter] = defaultdict(Counter)  # kind -> ok, shed, error, timeout
        self.latencies: dict[str, list[float]] = defaultdict(list)  # kind -> seconds of the answered ones
        self.examples: list[str] = []  # the first few errors, to read

    def error(self, kind: str, what: str, outcome: str = "error") -> None:
        self.counts[kind][outcome] += 1
        if len(self.examples) < 10:
            self.examples.append(f"{kind}: {what}"[:300])


async def one_request(client: httpx.AsyncClient, kind: str, bodies: dict, rng: random.Random, tally: Tally) -> float:
    """Make one request of a kind and count how it went; the seconds to wait before the next (Retry-After)."""
    started = time.perf_counter()
    try:
        if kind == "stream":
            body = {"prompt": "ROMEO:\n", "length": STREAM_LENGTH, "seed": rng.randrange(2**31)}
            async with client.stream("POST", "/api/experiments/shakespeare_lstm/generate", json=body) as response:
                text = (await response.aread()).decode()
                if response.status_code == 200 and "event: end" not in text:
                    tally.error(kind, f"a stream that stopped after {text.count('data: ')} events")
                    return 0.0
        elif kind in ("page", "health"):
            response = await client.get(rng.choice(PAGES) if kind == "page" else "/api/health")
        else:
            path, content_type = {"digit": ("/api/experiments/digits_cnn/predict", "image/png"),
                                  "sketch": ("/api/experiments/sketch_cnn/predict", "image/png"),
                                  "frame": ("/api/experiments/object_detection/detect", "image/jpeg")}[kind]
            response = await client.post(path, content=rng.choice(bodies[kind]),
                                         headers={"Content-Type": content_type})
    except httpx.TimeoutException:
        tally.error(kind, f"no answer within {TIMEOUT_S:.0f} s", "timeout")
        return 0.0
    except httpx.HTTPError as e:
        tally.error(kind, repr(e))
        return 0.0
    if response.status_code == 503 and "retry-after" in response.headers:
        tally.counts[kind]["shed"] += 1
        return float(response.headers["retry-after"])
    if not 200 <= response.status_code < 300:
        tally.error(kind, f"HTTP {response.status_code} {response.text[:200]}")
        return 0.0
    tally.counts[kind]["ok"] += 1
    tally.latencies[kind].append(time.perf_counter() - started)
    return 0.0


async def person(number: int, port: int, bodies: dict, stop_at: float, tally: Tally) -> None:
    """One person's page: its own connection (a shared pool of 200 would cost the clients more CPU than the
    requests), dropped when idle before the server's keep-alive timeout (5 s) could close it under a request."""
    rng = random.Random(number)
    limits = httpx.Limits(max_connections=1, keepalive_expiry=KEEP_ALIVE_S)
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", limits=limits, timeout=TIMEOUT_S) as client:
        await asyncio.sleep(rng.uniform(0, THINK_S))  # the clients arrive over the first second
        while time.perf_counter() < stop_at:
            kind = rng.choices(list(MIX), weights=list(MIX.values()))[0]
            wait = await one_request(client, kind, bodies, rng, tally) or rng.uniform(0, THINK_S)
            await asyncio.sleep(min(wait, max(0.0, stop_at - time.perf_counter())))


async def clients(port: int, bodies: dict, count: int, seconds: float, tally: Tally) -> None:
    stop_at = time.perf_counter() + seconds
    await asyncio.gather(*(person(i, port, bodies, stop_at, tally) for i in range(count)))


def soak(quick: bool, serve=None, free_port=None, wait_until_up=None, drawings=None) -> tuple[dict, list]:
    missing = [i for i in ("digits_cnn", "sketch_cnn", "shakespeare_lstm", "object_detection")
               if not experiments.get(i).model_path.is_file()]
    if missing:
        return {"skipped": f"no trained model for {', '.join(missing)}"}, []
    count, seconds = (20, 12) if quick else (CLIENTS, SECONDS)
    rng = np.random.default_rng(3)
    bodies = {"digit": drawings(experiments.get("digits_cnn"), rng),
              "sketch": drawings(experiments.get("sketch_cnn"), rng), "frame": vision.frames()}
    port, log = free_port(), tempfile.TemporaryFile()
    process = subprocess.Popen(serve(port), stdout=subprocess.DEVNULL, stderr=log,
                               env={**os.environ, "MLSANDBOX_WORKERS": str(WORKERS)})
    tally = Tally()
    try:
        wait_until_up(port, process)
        stop, (answer, sent) = multiprocessing.Event(), multiprocessing.Pipe(duplex=False)
        prober = multiprocessing.Process(target=probe, args=(port, process.pid, stop, sent))
        prober.start()
        started, cpu = time.perf_counter(), time.process_time()
        asyncio.run(clients(port, bodies, count, seconds, tally))
        wall = time.perf_counter() - started
        cpu_s = {"clients": time.process_time() - cpu, "server": cpu_seconds(process.pid)}  # the server's since start
        stop.set()
        health, rss = answer.recv()
        prober.join()
        stopping = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=30)
        stop_s = time.perf_counter() - stopping
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log.seek(0)
    server_log = log.read().decode(errors="replace")
    return figures_and_rows(quick, count, seconds, wall, cpu_s, tally, health, rss, status, stop_s, server_log)


def tree(pid: int) -> list[int]:
    """The process and its children (the server's worker processes, when it runs several), from /proc."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(p for child in children for p in tree(int(child)))]


def resident_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))


def cpu_seconds(pid: int) -> float:
    """The CPU time a process and its children have used so far (user and system), from /proc."""
    fields = [open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split() for p in tree(pid)]
    return sum(int(f[11]) + int(f[12]) for f in fields) / os.sysconf("SC_CLK_TCK")


def figures_and_rows(quick, count, seconds, wall, cpu_s, tally, health, rss, status, stop_s, server_log):
    totals = sum(tally.counts.values(), Counter())
    answered = [s for _, s in health if s is not None]
    health_stats = {**percentiles_ms(answered), "unanswered": len(health) - len(answered),
                    "max_ms": round(max(answered) * 1000, 1)}
    start = min(GROWTH_FROM_S, len(rss) - 1) if not quick else 1
    growth = rss[-1] / rss[start] - 1
    per_kind = {kind: {**tally.counts[kind], **(percentiles_ms(tally.latencies[kind]) if tally.latencies[kind] else {}),
                       "per_second": round(tally.counts[kind]["ok"] / wall, 1)} for kind in MIX}
    figures = {"clients": count, "seconds": seconds, "wall_seconds": round(wall, 1), "model_workers": WORKERS,
               "cpu_seconds": {k: round(v, 1) for k, v in cpu_s.items()}, "cores": os.cpu_count(),
               "think_seconds": [0, THINK_S], "stream_length": STREAM_LENGTH, "mix": MIX, "kinds": per_kind,
               "requests": sum(totals.values()), "answered": totals["ok"], "shed": totals["shed"],
               "errors": totals["error"], "timeouts": totals["timeout"], "error_examples": tally.examples,
               "health": health_stats, "rss_mb": [round(r / 2**20, 1) for r in rss],
               "rss_growth": round(growth, 4), "rss_growth_from_second": start,
               "sigterm": {"exit_status": status, "seconds": round(stop_s, 2)},
               "server_tracebacks": server_log.count("Traceback"), "server_log_tail": server_log[-2000:]}
    worst = max(answered) * 1000
    rows = [
        row("load", f"{count} clients for {seconds} s: requests answered (2xx), per second", totals["ok"] / wall,
            "{:.0f}"),
        row("load", "requests shed: a fast 503 with Retry-After from a bounded route", totals["shed"], "{:d}"),
        row("load", "errors (other non-2xx, broken connections, streams cut short)", totals["error"], "{:d}",
            at_most=0),
        row("load", f"timeouts (no answer within {TIMEOUT_S:.0f} s)", totals["timeout"], "{:d}", at_most=0),
        row("load", f"/api/health p99 throughout, 10 a second (p50 {health_stats['p50_ms']:.1f} ms, worst "
            f"{worst:.0f} ms)", health_stats["p99_ms"], "{:.1f} ms", at_most=HEALTH_P99_MS),
        row("load", f"server memory growth, second {start} to {len(rss) - 1} ({rss[start] / 2**20:.0f} -> "
            f"{rss[-1] / 2**20:.0f} MB)", growth, "{:.1%}", at_most=GROWTH_TARGET),
        row("load", "tracebacks in the server's log", figures["server_tracebacks"], "{:d}", at_most=0),
        row("load", f"seconds from SIGTERM to the server's exit (exit status {status})",
            stop_s if status == 0 else float("inf"), "{:.2f}", at_most=5.0),
    ]
    for kind in MIX:
        k = per_kind[kind]
        rows.append(row("load", f"{kind}: answered / shed / errors, p50 / p99 ms", k.get("p50_ms"), "{:.1f}"))
        rows[-1]["shown"] = (f"{k.get('ok', 0)} / {k.get('shed', 0)} / {k.get('error', 0) + k.get('timeout', 0)}, "
                             f"{k.get('p50_ms', float('nan')):.1f} / {k.get('p99_ms', float('nan')):.1f}")
    return figures, rows
