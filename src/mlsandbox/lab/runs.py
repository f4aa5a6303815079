"""Runs of the lab, each a folder in the cache: the contract between the server (which never imports torch),
any of its processes, the command line and the trainer process.

    <cache>/lab/<run>/settings.json   the experiment, its chosen settings and the estimate (written once)
                      state.json      queued | running | finished | stopped | failed, the trainer's pid, why
                      control.json    the learner's orders while it trains: stop, a new learning rate
                      events.jsonl    what the trainer saw, one JSON object a line (mlsandbox.lab.events)
                      artifacts/<id>/ model.onnx, card.json, history.json, curves.png: the export's files

One run trains at a time per machine: a lock file makes the check and the creation one step."""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from mlsandbox import experiments
from mlsandbox.assets import cache_dir
from mlsandbox.kinds import Experiment, fast_mode

LAB_ENV = "MLSANDBOX_LAB"  # "1": the server trains from the page
KEEP_ENV = "MLSANDBOX_LAB_KEEP"  # how many runs are kept; older finished ones are removed
THREADS_ENV = "MLSANDBOX_LAB_THREADS"  # the trainer's threads (default: all cores but one, and two at least)
DIR_ENV = "MLSANDBOX_LAB_DIR"  # where the runs are kept (default: the cache's lab folder)
DEFAULT_KEEP = 20
FAST_EXAMPLES = 2_000  # fast mode (tests): training examples of an image data set a run learns from
ACTIVE, ENDED = ("queued", "running"), ("finished", "stopped", "failed")
RUN_ID = re.compile(r"[a-z0-9_]+-\d{8}-\d{6}-[0-9a-f]{4}")
FILES = {"model.onnx", "card.json", "history.json", "curves.png", "confusion.png"}


class UnknownRun(KeyError):
    def __str__(self) -> str:
        return f"There is no run {self.args[0]!r}: it never existed or was removed (the newest {keep()} are kept)."


class Busy(RuntimeError):
    """A run is already training on this machine; the message says which, and for about how long."""


def lab_on() -> bool:
    return os.environ.get(LAB_ENV) == "1"


def keep() -> int:
    return int(os.environ.get(KEEP_ENV) or DEFAULT_KEEP)


def trainer_threads() -> int:
    """The trainer runs at low priority (nice 10), so the server's requests come first even when the trainer
    keeps every core busy; on two cores two threads train twice as fast as one and the demos stay as quick
    (benchmarks/lab.py measures both)."""
    cores = os.cpu_count() or 1
    return int(os.environ.get(THREADS_ENV) or min(cores, max(2, cores - 1)))


def lab_dir() -> Path:
    path = Path(os.environ.get(DIR_ENV) or cache_dir() / "lab")
    path.mkdir(parents=True, exist_ok=True)
    return path


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def write_json(path: Path, value: Any) -> None:
    """Write value as JSON in one step: a reader sees the old file or the new one, never half of it."""
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    staging.write_text(json.dumps(value))
    os.replace(staging, path)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on path (a lock file) across every process of this machine, for the block."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def alive(pid: int) -> bool:
    """Whether process pid still runs (a zombie, ended but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (ProcessLookupError, PermissionError):
        return False
    except (OSError, IndexError):  # no /proc here: os.kill's answer is all there is
        return True


@dataclass(frozen=True)
class Run:
    folder: Path

    @property
    def id(self) -> str:
        return self.folder.name

    @property
    def settings(self) -> dict:
        return json.loads((self.folder / "settings.json").read_text())

    @property
    def experiment(self) -> Experiment:
        return experiments.get(self.settings["experiment"])

    @property
    def artifacts(self) -> Path:
        """Where the export writes this run's files (the experiment's folder under it)."""
        return self.folder / "artifacts"

    @property
    def model_dir(self) -> Path:
        return self.artifacts / self.settings["experiment"]

    @property
    def events_path(self) -> Path:
        return self.folder / "events.jsonl"

    def recorded_state(self) -> dict:
        """The state as last written, without looking at the trainer."""
        return json.loads((self.folder / "state.json").read_text())

    def state(self) -> dict:
        """The run's state; a run whose trainer has died without saying so is marked failed first."""
        state = self.recorded_state()
        if state["state"] == "running" and not alive(state["pid"]):
            self.fail(f"The trainer process (pid {state['pid']}) ended without finishing the run: it was killed, or "
                      "ran out of memory. Start the run again.", expected="running")
            state = self.recorded_state()
        return state

    def set_state(self, state: str, **fields) -> None:
        current = self.recorded_state()
        write_json(self.folder / "state.json", {**current, "state": state, **fields})

    def end(self, state: str, expected: str | None = None, **fields) -> bool:
        """End the run as state (finished, stopped, failed) with fields (a reason, the test metrics), and log it as
        its last event, once, whichever process gets there first; with expected, only if it is still in that
        state. Whether this call ended it."""
        with locked(self.folder / "lock"):
            now_in = self.recorded_state()["state"]
            if now_in in ENDED or (expected and now_in != expected):
                return False
            self.set_state(state, ended=now(), **{k: v for k, v in fields.items() if k == "reason"})
            events = self.recent()
            with open(self.events_path, "a") as log:
                log.write(json.dumps({"id": events[-1]["id"] + 1 if events else 1, "type": state, **fields}) + "\n")
        return True

    def fail(self, reason: str, expected: str | None = None) -> bool:
        return self.end("failed", expected, reason=reason)

    def order(self, **orders) -> None:
        """Leave orders for the trainer (stop=True, learning_rate=x); it reads them before its next step."""
        path = self.folder / "control.json"
        current = json.loads(path.read_text()) if path.exists() else {}
        write_json(path, {**current, **orders})

    def orders(self) -> dict:
        path = self.folder / "control.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def recent(self, window: int = 1 << 18) -> list[dict]:
        """The last events, read from the log's last window bytes only: enough for the newest step event and the
        last event of any run (a validation's pictures take tens of KB), without parsing a long log whole."""
        try:
            with open(self.events_path, "rb") as log:
                start = max(0, log.seek(0, os.SEEK_END) - window)
                log.seek(start)
                lines = log.read().split(b"\n")
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines[1 if start else 0 : -1]]  # whole lines only

    def file(self, name: str) -> Path:
        """One of the run's files (FILES, or its event log), if it has been written."""
        path = self.events_path if name == "events.jsonl" else self.model_dir / name
        if (name not in FILES and name != "events.jsonl") or not path.is_file():
            raise FileNotFoundError(name)
        return path

    def card(self) -> dict | None:
        path = self.model_dir / "card.json"
        return json.loads(path.read_text()) if path.is_file() else None


def get(run_id: str) -> Run:
    folder = lab_dir() / run_id
    if not RUN_ID.fullmatch(run_id) or not (folder / "state.json").is_file():
        raise UnknownRun(run_id)
    return Run(folder)


def every() -> list[Run]:
    """Every run kept, newest first."""
    folders = (f for f in lab_dir().iterdir() if RUN_ID.fullmatch(f.name) and (f / "state.json").is_file())
    return [Run(f) for f in sorted(folders, key=lambda f: f.name.split("-", 1)[1], reverse=True)]


def active() -> Run | None:
    for run in every():
        if run.state()["state"] in ACTIVE:
            return run
    return None


def create(experiment: Experiment, values: dict, preset: str | None, seconds: float,
           trainer_pid: int | None = None) -> Run:
    """A new run of experiment with values (chosen and checked by experiment.choose_settings), estimated to take
    seconds: queued for the trainer, or, with trainer_pid, already running in that process (the command line).
    Busy if one is active."""
    with locked(lab_dir() / "lock"):
        running = active()
        if running is not None:
            raise Busy(busy_message(running))
        prune()
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        folder = lab_dir() / f"{experiment.id}-{stamp}-{secrets.token_hex(2)}"
        staging = folder.with_name(f".{folder.name}")
        staging.mkdir()
        write_json(staging / "settings.json", {
            "experiment": experiment.id, "preset": preset, "values": values,
            "changed": experiment.changed_settings(values), "estimate_seconds": round(seconds, 1),
            "fast": fast_mode(), "created": now(), "command": experiment.train_command(values)})
        state = {"state": "queued"} if trainer_pid is None else {"state": "running", "pid": trainer_pid,
                                                                  "started": now()}
        write_json(staging / "state.json", state)
        os.replace(staging, folder)
    run = Run(folder)
    if trainer_pid is None:
        (lab_dir() / "queue").write_text(run.id)  # the trainer watches this file
    return run


def busy_message(run: Run) -> str:
    state, settings = run.state(), run.settings
    steps = [e for e in run.recent() if e["type"] == "step"]
    left = steps[-1]["eta"] if steps else settings["estimate_seconds"]
    return (f"A {settings['experiment']} run ({run.id}) is {state['state']} on this machine, about {minutes(left)} "
            f"from its end; one run trains at a time. Wait for it, or stop it on its page "
            f"(/experiments/{settings['experiment']}?run={run.id}).")


def minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def prune() -> None:
    """Remove the oldest ended runs beyond the newest keep() - 1, to make room for one more."""
    for run in every()[keep() - 1:]:
        if run.recorded_state()["state"] in ENDED:
            shutil.rmtree(run.folder, ignore_errors=True)


def stop(run: Run) -> None:
    """Stop a run at its next step; a queued run never starts."""
    if not run.end("stopped", expected="queued", reason="Stopped before it started."):
        run.order(stop=True)


def signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"
