"""Fuzz the server and the command line with fresh seeds, many more cases than `make test` draws.

    .venv/bin/python tools/fuzz.py --seeds 20 --cases 200

Three kinds of target, each run with every seed:
- every operation of the OpenAPI schema, drawn by Schemathesis with the hooks of tests/test_fuzz.py: no 5xx, and
  every answer as the schema documents it;
- the camera WebSocket /api/experiments/{id}/frames of every camera kind (object detectors, face readers: those
  registered in mlsandbox.web.camera), and of other ids: text, bytes, real and broken JPEGs, huge messages, JSON,
  floods, closing early; each message is answered (as the kind answers a frame), or the connection closed with a
  reason, and the server answers /api/health after each case;
- the command line (`mlsandbox predict|generate|evaluate|list|fetch`) with odd ids, files, names and numbers:
  no traceback, an exit status of 0, 1 or 2, done within the time limit.

It starts its own server on a free loopback port (`mlsandbox serve`, its log in a file) and reaches nothing
else. Each find is printed with its seed and a command that draws the same cases again; the summary counts
cases by target, 5xx and hangs. The exit status is 1 if anything was found."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import multiprocessing
import os
import random
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import typing
import urllib.parse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
import requests  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from PIL import Image  # noqa: E402
from schemathesis.core.failures import Failure, FailureGroup, ServerError  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

import test_fuzz  # noqa: E402  the schema, its hooks and checks, as the suite fuzzes them
from mlsandbox import experiments, imaging  # noqa: E402
from mlsandbox.web import app as _app, camera  # noqa: E402, F401  (with the app, every kind has registered its look)

TIMEOUT = 30  # seconds a request, a WebSocket answer or a command may take before it counts as a hang
WS_TARGET = "WS /api/experiments/{experiment_id}/frames"
CLI_COMMANDS = ("predict", "generate", "evaluate", "list", "fetch")


def camera_answers() -> dict:
    """Each experiment of a camera kind: the answer model (pydantic) of its kind's look at a frame."""
    answers = {}
    for e in experiments.REGISTRY.values():
        for kind, look in camera.LOOKS.items():
            if isinstance(e, kind):
                answers[e.id] = typing.get_type_hints(look.look)["return"]
    return answers


CAMERAS = camera_answers()  # id -> Detections, Faces...


class OutOfTime(BaseException):
    """The run's time budget is spent: stop drawing (a BaseException, so that Hypothesis does not replay it)."""


class Run:
    """What a run has done and found, printed as it goes."""

    def __init__(self, cases: int, deadline: float):
        self.cases, self.deadline = cases, deadline
        self.counts: Counter[str] = Counter()
        self.finds: list[dict] = []
        self.seed = 0

    def case(self, target: str) -> None:
        if time.monotonic() > self.deadline:
            raise OutOfTime
        self.counts[target] += 1

    def find(self, target: str, kind: str, message: str, case: str = "") -> None:
        command = f".venv/bin/python tools/fuzz.py --seed {self.seed} --cases {self.cases} --target {shlex.quote(target)}"
        self.finds.append({"seed": self.seed, "target": target, "kind": kind, "message": message, "case": case,
                           "reproduce": command})
        print(f"FIND [seed {self.seed}] {target}: {kind}: {message}", flush=True)
        if case:
            print(f"  case: {case[:400]}" + (f"... ({len(case):,} characters)" if len(case) > 400 else ""))
        print(f"  reproduce: {command}", flush=True)


# --- The server ------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`mlsandbox serve` on a free loopback port, its output in a log file; started again if it dies."""

    def __init__(self, log: Path, workers: int):
        self.log, self.workers, self.process, self.read_to = log, workers, None, 0

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "mlsandbox", "serve", "--port", str(port), "--log-level", "warning"]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        deadline = time.monotonic() + 120
        while not self.healthy(1):
            if self.process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"fuzz: the server did not start; its log is {self.log}")
            time.sleep(0.2)

    def healthy(self, timeout: float = 10) -> bool:
        try:
            return httpx.get(f"{self.url}/api/health", timeout=timeout).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the group this run started: the server's own workers
                self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()
        test_fuzz.prepare(self.url)

    def new_errors(self) -> str:
        """What the server logged since the last call, if it holds a traceback or a dead worker."""
        with open(self.log, "rb") as f:
            f.seek(self.read_to)
            text = f.read().decode(errors="replace")
            self.read_to = f.tell()
        return text if re.search(r"Traceback|Exception in|died|Killed", text) else ""


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else ""


def checked_server(run: Run, server: Server, target: str, case: str, found: bool) -> None:
    """After a case: a traceback in the server's log is a find (unless the case was one already), and a server
    that no longer answers /api/health is one, started again."""
    errors = server.new_errors()
    if errors and not found:
        run.find(target, "traceback", f"the server logged: {last_line(errors)}", case)
    if not server.healthy():
        run.find(target, "hang", "the server stopped answering /api/health", case)
        server.restart()


# --- The OpenAPI operations ------------------------------------------------------------------------------

def fuzz_operation(run: Run, server: Server, label: str, operation, cases: int) -> None:
    @seed(run.seed)
    @settings(max_examples=cases, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              phases=[Phase.generate])
    @given(case=test_fuzz.requests_for(operation))
    def fuzz(case):
        run.case(label)
        found, started = True, time.monotonic()
        try:
            curl = case.as_curl_command(base_url=server.url)[:2000]
        except Exception as e:  # a body curl cannot carry
            curl = f"{case.method} {case.formatted_path} ({type(e).__name__}: {e})"
        try:
            case.call_and_validate(base_url=server.url, checks=test_fuzz.CHECKS, timeout=TIMEOUT)
            found = time.monotonic() - started > TIMEOUT  # a stream read until the timeout, then cut short
            if found:
                run.find(label, "hang", f"no whole answer within {TIMEOUT} s", curl)
        except (requests.Timeout, TimeoutError):
            run.find(label, "hang", f"no answer within {TIMEOUT} s", curl)
        except (Failure, FailureGroup) as e:
            failures = e.exceptions if isinstance(e, FailureGroup) else [e]
            errors = server.new_errors()
            for failure in failures:
                kind = "5xx" if isinstance(failure, ServerError) else "schema"
                message = f"{failure.title}: {' '.join(failure.message.split())[:300]}"
                run.find(label, kind, message + (f" (server log: {last_line(errors)})" if errors else ""), curl)
        except requests.RequestException as e:
            run.find(label, "connection", f"{type(e).__name__}: {e}"[:300], curl)
        checked_server(run, server, label, curl, found)

    fuzz()


# --- The camera WebSocket --------------------------------------------------------------------------------

def jpeg(width: int, height: int, quality: int, shade: int) -> bytes:
    buffer = io.BytesIO()
    picture = Image.linear_gradient("L").resize((width, height)).point(lambda v: (v + shade) % 256).convert("RGB")
    picture.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


PHOTO = jpeg(320, 240, 85, 0)
MAX_MESSAGE = imaging.MAX_BYTES + 4096  # the server's ws_max_size (mlsandbox.cli serve)

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                       max_size=4), max_leaves=12)
thresholds = st.one_of(st.floats(0.05, 1), st.floats(), st.integers(), json_values)
texts = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=200),  # what a WebSocket text can carry
    st.builds(lambda v: json.dumps({"threshold": v}), thresholds),
    st.builds(json.dumps, json_values),
    st.integers(1, 100_000).map(lambda depth: "[" * depth + "]" * depth),  # nested deeper than a parser recurses
    st.integers(1, 100_000).map(lambda depth: '{"threshold": ' + "[" * depth + "]" * depth + "}"),
)
frames = st.one_of(
    st.binary(max_size=2000),
    st.builds(jpeg, st.integers(1, 1200), st.integers(1, 1200), st.integers(1, 95), st.integers(0, 255)),
    st.integers(0, len(PHOTO)).map(lambda cut: PHOTO[:cut]),  # a truncated JPEG
    st.builds(jpeg, st.sampled_from([4097, 8000, 16000]), st.sampled_from([1, 4097, 5000]), st.just(5), st.just(0)),
    st.sampled_from([imaging.MAX_BYTES, imaging.MAX_BYTES + 1, MAX_MESSAGE, MAX_MESSAGE + 1, 3 * imaging.MAX_BYTES])
    .map(lambda size: PHOTO + bytes(size - len(PHOTO))),  # huge: around each limit
)
actions = st.one_of(
    st.tuples(st.just("text"), texts),
    st.tuples(st.just("bytes"), frames),
    st.tuples(st.just("flood"), st.integers(2, 90)),  # messages sent without waiting for answers
    st.tuples(st.just("close"), st.sampled_from([1000, 1001, 4000])),
    st.tuples(st.just("drop"), st.none()),  # the connection cut with no close frame
)


def ws_ids() -> st.SearchStrategy[str]:
    """Mostly an experiment of a camera kind (each as often), else any served one, or any text."""
    served = [i for i in experiments.REGISTRY if i in test_fuzz.server_state["served"]]
    cameras = st.sampled_from(sorted(CAMERAS))
    return st.one_of(cameras, cameras, st.sampled_from(served),
                     st.text(max_size=30).map(lambda s: urllib.parse.quote(s, safe="")))


def check_answer(text: str | bytes, experiment_id: str) -> str | None:
    """What is wrong with an answer, if anything: it is JSON of the kind's answer (Detections, Faces),
    {"error": ...} or {"threshold": ...}."""
    try:
        answer = json.loads(text)
    except (ValueError, TypeError):
        return f"an answer that is not JSON: {text[:100]!r}"
    if not isinstance(answer, dict):
        return f"an answer that is not an object: {text[:100]!r}"
    if "error" in answer:
        return None if isinstance(answer["error"], str) and answer["error"] else f"an empty error: {text[:100]!r}"
    if "threshold" in answer:
        return None if 0.05 <= answer["threshold"] <= 1 else f"a threshold out of range: {text[:100]!r}"
    shape = CAMERAS.get(experiment_id)
    if shape is None:
        return f"a frame answered for {experiment_id}, which is of no camera kind: {text[:100]!r}"
    try:
        found = shape.model_validate(answer)
    except ValueError as e:
        return f"an answer that is not {shape.__name__}: {' '.join(str(e).split())[:200]}"
    return None if found.experiment == experiment_id else f"an answer for {found.experiment}"


logging.getLogger("websockets").setLevel(logging.CRITICAL)  # not the client's own traces of a cut connection


def play(url: str, experiment_id: str, steps: list) -> str | None:
    """Send the steps; what went wrong, if anything."""
    ours, oversized = False, False  # whether this end closed the connection; sent a message over the server's limit
    try:
        with connect(f"{url.replace('http', 'ws', 1)}/api/experiments/{experiment_id}/frames", open_timeout=TIMEOUT,
                     close_timeout=5, max_size=None, compression=None, proxy=None) as ws:
            for action, value in steps:
                ours = action in ("close", "drop")
                if action == "close":
                    ws.close(value)
                    return None
                if action == "drop":
                    ws.socket.shutdown(socket.SHUT_RDWR)
                    return None
                messages = ["x"] * value if action == "flood" else [value]
                for message in messages:
                    oversized = len(message) > MAX_MESSAGE
                    ws.send(message)
                for _ in messages:
                    problem = check_answer(ws.recv(timeout=TIMEOUT), experiment_id)
                    if problem:
                        return problem
    except InvalidStatus as e:  # refused before it was accepted: only an id of no camera kind is
        return None if experiment_id not in CAMERAS else f"the socket of {experiment_id}, a camera kind, refused: {e}"
    except TimeoutError:
        return f"hang: no answer within {TIMEOUT} s"
    except ConnectionClosed as e:
        if ours or oversized and (e.rcvd is None or e.rcvd.code == 1009):  # the reader refuses before reading it
            return None
        if e.rcvd is None:
            return "closed with no close frame"
        if e.rcvd.code == 1011 or not e.rcvd.reason:
            return f"closed with {e.rcvd.code} {e.rcvd.reason!r}"
    except OSError as e:
        return f"no WebSocket: {e}"
    return None


def describe(steps: list) -> str:
    shown = lambda v: f"<{len(v):,} {'bytes' if isinstance(v, bytes) else 'characters'} {v[:24]!r}...{v[-8:]!r}>" \
        if isinstance(v, (str, bytes)) and len(v) > 60 else repr(v)  # noqa: E731
    return "; ".join(f"{a} {shown(v)}" for a, v in steps)


def fuzz_frames(run: Run, server: Server, cases: int) -> None:
    @seed(run.seed)
    @settings(max_examples=cases, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              phases=[Phase.generate])
    @given(experiment_id=ws_ids(), steps=st.lists(actions, max_size=6))
    def fuzz(experiment_id, steps):
        run.case(WS_TARGET)
        case = f"{experiment_id}: {describe(steps)}"
        problem = play(server.url, experiment_id, steps)
        if problem:
            run.find(WS_TARGET, "hang" if problem.startswith("hang") else "websocket", problem, case)
        checked_server(run, server, WS_TARGET, case, bool(problem))

    fuzz()


# --- The command line ------------------------------------------------------------------------------------

def cli_worker(connection, log: str) -> None:
    """In a process of its own: run `mlsandbox ARGV` in-process for each argv received; send back how it ended.
    Standard output is UTF-8 and strict, as on a UTF-8 desktop; the network beyond this machine is out of reach."""
    with open(log, "ab") as f:  # what is written below Python's streams (ONNX Runtime) goes to the log
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
    original = socket.getaddrinfo

    def loopback_only(host, *args, **kwargs):
        if host not in ("localhost", "127.0.0.1", "::1", None):
            raise socket.gaierror(socket.EAI_NONAME, f"fuzz: {host} is beyond this machine")
        return original(host, *args, **kwargs)

    socket.getaddrinfo = loopback_only
    nowhere = "http://127.0.0.1:9"  # fetch's own clients (npm, pip) go through a proxy that refuses, and offline
    os.environ.update(http_proxy=nowhere, https_proxy=nowhere, HTTP_PROXY=nowhere, HTTPS_PROXY=nowhere, no_proxy="",
                      NO_PROXY="", npm_config_offline="true", PIP_NO_INDEX="1")
    from mlsandbox import cli

    while True:
        argv = connection.recv()
        stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", write_through=True)
        stderr = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace", write_through=True)
        status, crash = None, None
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                status = cli.main(argv)
            except SystemExit as e:
                status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            except BaseException:  # noqa: B036  what a person would see as a traceback
                crash = traceback.format_exc()
        connection.send({"status": status, "crash": crash,
                         "stderr": stderr.buffer.getvalue().decode(errors="replace")[-2000:]})


class Commands:
    """The worker process, started again after a hang or a crash."""

    def __init__(self, log: Path):
        self.log, self.process = log, None

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=cli_worker, args=(theirs, str(self.log)), daemon=True)
        self.process.start()

    def run(self, argv: list[str]) -> dict:
        fresh = self.process is None or not self.process.is_alive()
        if fresh:
            self.start()
        self.connection.send(argv)
        if self.connection.poll(TIMEOUT + 60 * fresh):  # a fresh process imports the package first
            try:
                return self.connection.recv()
            except EOFError:
                self.stop()
                return {"status": None, "crash": None, "stderr": ""}
        self.stop()
        return {"hang": True}

    def stop(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join()


NAMES = st.one_of(
    st.sampled_from(["a.png", "photo.jpg", "two words.png", "x", ".hidden", "-dash.png", "--json", "café.png",
                     "名前.jpg", "a" * 200 + ".png", "\\n.png", "*.png", "file:x.png"]),
    st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\0" not in b and b not in (b".", b".."))
    .map(os.fsdecode),  # any bytes a name may hold, as Python reads a name that is not UTF-8
)


def picture(width: int, height: int, mode: str, fmt: str) -> bytes:
    """An image in that mode and format, or in RGB where the format cannot hold the mode."""
    image = Image.linear_gradient("L").resize((width, height)).convert(mode)
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=fmt)
    except (OSError, ValueError, KeyError):
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format=fmt)
    return buffer.getvalue()


REAL = picture(280, 280, "RGB", "PNG")
CONTENTS = st.one_of(
    st.just(b""),
    st.binary(max_size=3000),
    st.builds(picture, st.integers(1, 1500), st.integers(1, 1500),
              st.sampled_from(["1", "L", "P", "RGB", "RGBA", "LA", "CMYK", "I;16", "I", "F"]),
              st.sampled_from(["PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF"])),
    st.integers(0, len(REAL)).map(lambda cut: REAL[:cut]),  # a truncated image
    st.text(max_size=500).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.integers(0, 300).map(lambda n: ("To be, or not to be: that is the question. " * 7)[:n].encode()),
    st.text(max_size=300).map(lambda t: t.encode("utf-16")),
    st.sampled_from(["huge image", "long text"]),  # made at run time: too large for an example
)
FILES = st.one_of(
    st.tuples(NAMES, CONTENTS),
    st.sampled_from([("missing", None), ("directory", None), ("/dev/null", None), ("link loop", None),
                     ("a" * 300, None)]),
)


def made(spec: tuple, folder: Path, number: int) -> str:
    """The file a spec names, made in folder; its path as the command line gets it."""
    name, content = spec
    if content is None:
        special = {"/dev/null": "/dev/null", "missing": str(folder / "missing.png"), "directory": str(folder)}
        if name in special:
            return special[name]
        if name == "link loop":
            (folder / f"loop{number}").symlink_to(folder / f"loop{number}")
            return str(folder / f"loop{number}")
        return str(folder / name)  # too long a name: it cannot exist
    path = folder / str(number) / name
    path.parent.mkdir()
    if content == "huge image":
        path.write_bytes(REAL)
        os.truncate(path, imaging.MAX_BYTES + 1)
    elif content == "long text":
        path.write_bytes(b"To be or not to be. " * 300)  # 6 kB: the transformer scores it in about 12 s
    else:
        path.write_bytes(content)
    return str(path)


def arguments(size: int) -> st.SearchStrategy[str]:
    """What an argument can be: any text but NUL, or any bytes but NUL as Python reads those that are not UTF-8."""
    return st.one_of(st.text(st.characters(exclude_characters="\0", exclude_categories=["Cs"]), max_size=size),
                     st.binary(max_size=size).map(lambda b: os.fsdecode(b.replace(b"\0", b""))))


def ids() -> st.SearchStrategy[str]:
    odd = st.one_of(arguments(30),
                    st.sampled_from(["", " ", "-", "--help", "../digits_cnn", "DIGITS_CNN", "digits_cnn ", "None"]))
    return st.one_of(st.sampled_from(list(experiments.REGISTRY)), st.sampled_from(list(experiments.REGISTRY)), odd)


NUMBERS = st.one_of(st.integers(-10, 60).map(str), st.integers().map(str),
                    st.sampled_from(["nan", "inf", "-inf", "1e400", "-0", "0x10", "1_000", "", " 3", "٣", "1.5",
                                     "9" * 400, "--1", "+5"]))
TEXTS = arguments(80) | st.sampled_from(
    ["17+38", "99999999999+1", "+", "1++2", "ROMEO:\\n", "\\n" * 50, "a" * 3000, "\udcff\udcfe", "\t"])


def option(flag: str, values: st.SearchStrategy) -> st.SearchStrategy[list]:
    return st.one_of(st.just([]), values.map(lambda v: [flag, v]))


def command_line(command: str) -> st.SearchStrategy[tuple[list, list]]:
    """(argv with a None where each file goes, the files' specs)."""
    flag = st.sampled_from([[], [], ["--json"], ["--bogus"]])
    if command == "predict":
        inputs = st.lists(st.one_of(FILES.map(lambda f: (None, f)), TEXTS.map(lambda t: (t, None))), max_size=3)
        return st.builds(lambda i, items, j, top: (["predict", i, *[t for t, _ in items], *j, *top],
                                                   [f for _, f in items if f]),
                         ids(), inputs, flag, option("--top", NUMBERS))
    if command == "generate":
        return st.builds(lambda i, prompt, *options: (["generate", i, prompt, *sum(options, [])], []), ids(), TEXTS,
                         option("--length", st.integers(-3, 40).map(str) | NUMBERS),
                         option("--temperature", st.floats(allow_nan=True).map(repr) | NUMBERS),
                         option("--top-k", NUMBERS), option("--seed", NUMBERS))
    if command == "evaluate":  # with --text always: without, a real id runs the whole test split (minutes)
        generators = [e.id for e in experiments.REGISTRY.values() if e.kind == "text generator"]
        return st.builds(lambda i, j, spec: (["evaluate", i, *j, "--text", None], [spec]),
                         st.sampled_from(generators) | ids(), flag, FILES)
    if command == "list":
        return st.builds(lambda extra: (["list", *extra], []),
                         st.lists(st.sampled_from(["--ids", "--json", "x", "-"]), max_size=2))
    return st.builds(lambda i: (["fetch", *i], []), st.one_of(st.just([]), ids().map(lambda i: [i])))


def fuzz_command(run: Run, commands: Commands, command: str, cases: int, scratch: Path) -> None:
    target = f"mlsandbox {command}"

    @seed(run.seed)
    @settings(max_examples=cases, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              phases=[Phase.generate])
    @given(drawn=command_line(command))
    def fuzz(drawn):
        run.case(target)
        argv, specs = drawn
        with tempfile.TemporaryDirectory(dir=scratch) as folder:
            paths = iter(made(spec, Path(folder), n) for n, spec in enumerate(specs))
            argv = [next(paths) if a is None else a for a in argv]
            shown = "mlsandbox " + " ".join(shlex.quote(os.fsencode(a).decode(errors="backslashreplace")) for a in argv)
            ended = commands.run(argv)
        if ended.get("hang"):
            run.find(target, "hang", f"not done within {TIMEOUT} s", shown)
        elif ended["status"] is None and not ended["crash"]:
            run.find(target, "crash", "the process died", shown)
        elif ended["crash"]:
            run.find(target, "traceback", last_line(ended["crash"]), shown)
        elif ended["status"] not in (0, 1, 2):
            run.find(target, "exit status", f"{ended['status']}: {last_line(ended['stderr'])}", shown)
        elif "Traceback" in ended["stderr"]:
            run.find(target, "traceback", last_line(ended["stderr"]), shown)

    fuzz()


# --- The run ---------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=1, help="how many fresh random seeds to run (default 1)")
    p.add_argument("--seed", type=int, action="append", help="run this seed (again); may be repeated")
    p.add_argument("--cases", type=int, default=200, help="cases per target and seed (default 200)")
    p.add_argument("--target", action="append", help="only targets whose name holds this (e.g. 'predict', 'WS', "
                                                     "'mlsandbox generate'); may be repeated")
    p.add_argument("--skip", action="append", default=[], help="leave out targets whose name holds this")
    p.add_argument("--minutes", type=float, default=600, help="stop after this long, whatever is left (600)")
    p.add_argument("--workers", type=int, default=2, help="server processes (default 2)")
    p.add_argument("--log", type=Path, help="the server's log (default: a new file in /tmp)")
    args = p.parse_args(argv)

    seeds = args.seed or [random.SystemRandom().randrange(2**32) for _ in range(args.seeds)]
    wanted = lambda name: (not args.target or any(t in name for t in args.target)) and not any(  # noqa: E731
        s in name for s in args.skip)
    operations = {label: op for label, op in test_fuzz.OPERATIONS.items() if wanted(label)}
    commands = [c for c in CLI_COMMANDS if wanted(f"mlsandbox {c}")]
    log = args.log or Path(tempfile.mkstemp(prefix="mlsandbox-fuzz-", suffix=".log")[1])
    run = Run(args.cases, time.monotonic() + args.minutes * 60)
    server = Server(log, args.workers if "--workers" in subprocess.run(
        [sys.executable, "-m", "mlsandbox", "serve", "--help"], capture_output=True, text=True).stdout else 1)
    worker = Commands(log.with_suffix(".cli.log"))
    print(f"fuzz: seeds {' '.join(map(str, seeds))}; {args.cases} cases per target; server log {log}", flush=True)
    started, done = time.monotonic(), []
    try:
        if operations or wanted(WS_TARGET):
            server.start()
            test_fuzz.prepare(server.url)
        with tempfile.TemporaryDirectory(prefix="mlsandbox-fuzz-") as scratch:
            for run.seed in seeds:
                for label, operation in operations.items():
                    fuzz_operation(run, server, label, operation, args.cases)
                if wanted(WS_TARGET):
                    fuzz_frames(run, server, args.cases)
                for command in commands:
                    fuzz_command(run, worker, command, args.cases, Path(scratch))
                done.append(run.seed)
                print(f"fuzz: seed {run.seed} done at {(time.monotonic() - started) / 60:.1f} min; "
                      f"{len(run.finds)} finds so far", flush=True)
    except OutOfTime:
        print(f"fuzz: out of time after {args.minutes:g} minutes, in seed {run.seed}")
    finally:
        server.stop()
        worker.stop()
    kinds = Counter(f["kind"] for f in run.finds)
    print(f"\nseeds run: {' '.join(map(str, done)) or 'none whole'}" + (f" (and part of {run.seed})" if
                                                                         run.seed not in done else ""))
    print(f"minutes: {(time.monotonic() - started) / 60:.1f}")
    print("cases by target (all seeds; a target without parameters has one case a seed):")
    for target, count in run.counts.items():
        print(f"  {count:7d}  {target}")
    print(f"5xx: {kinds['5xx']}  hangs: {kinds['hang']}  other finds: {sum(kinds.values()) - kinds['5xx'] - kinds['hang']}"
          + (f" ({', '.join(f'{k} {n}' for k, n in kinds.items() if k not in ('5xx', 'hang'))})" if kinds else ""))
    distinct = {(f["target"], f["kind"], f["message"][:80]): f for f in run.finds}
    for f in distinct.values():
        print(f"  [seed {f['seed']}] {f['target']}: {f['kind']}: {f['message']}\n    {f['reproduce']}")
    print(f"server log: {log}")
    return 1 if run.finds else 0


if __name__ == "__main__":
    sys.exit(main())
