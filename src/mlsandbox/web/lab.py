"""The lab's routes: what a learner may change, runs started, watched (Server-Sent Events from the run's event
log), steered and stopped, and their files. Training happens in the trainer process (mlsandbox.lab.trainer);
this module only reads and writes run folders (mlsandbox.lab.runs), so the server never imports torch."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

from fastapi import APIRouter, Header, HTTPException, Query
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field

from mlsandbox import settings as lab_settings
from mlsandbox.experiments import Experiment
from mlsandbox.lab import estimates, runs
from mlsandbox.settings import SettingError
from mlsandbox.web.common import experiment_or_404, problems

router = APIRouter(tags=["lab"])

HEARTBEAT = 15.0  # seconds: a comment line keeps an idle stream open through proxies
POLL = 0.1  # seconds between two looks at a run's event log: events reach the page within this
LAB_COMMAND = "make lab"


class SettingInfo(BaseModel):
    name: str
    type: str = Field(description="int, float or bool")
    low: float | None
    high: float | None
    default: Any = Field(description="the shipped recipe's value")
    help: str
    log: bool = Field(description="spans orders of magnitude: best changed by factors")
    step: int = Field(description="whole numbers: a multiple of this")


class LabInfo(BaseModel):
    enabled: bool = Field(description="whether this server trains (started with --lab, as `make lab` does)")
    command: str = Field(description="the command that serves with the lab on")
    limit_seconds: float = Field(description="the longest run this server starts, by its estimate")


class Settings(BaseModel):
    experiment: str
    trainable: bool
    why: str | None = Field(description="why the lab cannot train it, when it cannot")
    lab: LabInfo
    settings: list[SettingInfo]
    presets: dict[str, dict[str, Any]] = Field(description="quick (a short run) and shipped (the shipped recipe)")
    estimates: dict[str, float] = Field(description="each preset's estimated seconds on this machine")


class RunRequest(BaseModel, extra="forbid"):
    preset: str | None = Field(None, description="quick or shipped: the values to start from (shipped if absent)")
    settings: dict[str, Any] = Field(default_factory=dict, max_length=64,
                                     description="settings to change, by name (GET .../settings lists them)")


class Estimate(BaseModel):
    seconds: float
    limit_seconds: float
    over: str | None = Field(description="what to change when the run is over the limit")
    values: dict[str, Any]


class LearningRate(BaseModel):
    learning_rate: float = Field(description="the new peak learning rate; the schedule keeps its shape")


class RunInfo(BaseModel):
    id: str
    experiment: str
    state: str = Field(description="queued, running, finished, stopped or failed")
    preset: str | None
    settings: dict[str, Any] = Field(description="every setting's value")
    changed: dict[str, Any] = Field(description="the settings that differ from the shipped recipe")
    command: str = Field(description="the command that trains the same model again")
    created: str
    started: str | None = None
    ended: str | None = None
    estimate_seconds: float
    progress: float = Field(0, description="0 to 1")
    eta: float | None = Field(None, description="seconds left, from the steps so far")
    events: int = Field(description="events logged so far")
    pid: int | None = Field(None, description="the trainer's process, while it trains")
    reason: str | None = Field(None, description="why it failed or stopped")
    metrics: dict | None = Field(None, description="held-out test figures, as `mlsandbox evaluate ID --run RUN "
                                                   "--json` gives them")
    headline: str | None = None
    shipped: dict | None = Field(None, description="classifiers: the shipped model's figures on the same test split, "
                                                   "class by class too, measured when the run finished")
    seconds: float | None = Field(None, description="training time")
    parameters: int | None = None
    card: dict | None = None
    files: dict[str, str] = Field(description="download links of what it has written")


def lab_info() -> LabInfo:
    return LabInfo(enabled=runs.lab_on(), command=LAB_COMMAND, limit_seconds=estimates.limit())


def describe(run: runs.Run) -> RunInfo:
    state, settings = run.state(), run.settings
    events = run.recent()
    steps = [e for e in events if e["type"] == "step"]
    ended = events[-1] if events and events[-1]["type"] in runs.ENDED else {}
    names = sorted(n for n in runs.FILES if (run.model_dir / n).is_file()) + ["events.jsonl"] * bool(events)
    return RunInfo(
        id=run.id, experiment=settings["experiment"], state=state["state"], preset=settings["preset"],
        settings=settings["values"], changed=settings["changed"], command=settings["command"],
        created=settings["created"], started=state.get("started"), ended=state.get("ended"),
        estimate_seconds=settings["estimate_seconds"],
        progress=1.0 if state["state"] == "finished" else steps[-1]["progress"] if steps else 0.0,
        eta=steps[-1]["eta"] if steps and state["state"] in runs.ACTIVE else None,
        events=events[-1]["id"] if events else 0,
        pid=state.get("pid") if state["state"] == "running" else None, reason=state.get("reason"),
        metrics=ended.get("metrics"), headline=ended.get("headline"), shipped=ended.get("shipped"),
        seconds=ended.get("seconds"),
        parameters=ended.get("parameters"), card=run.card(),
        files={n: f"/api/runs/{run.id}/files/{n}" for n in names})


def run_or_404(run_id: str) -> runs.Run:
    try:
        return runs.get(run_id)
    except runs.UnknownRun as e:
        raise HTTPException(404, str(e)) from None


def chosen(experiment: Experiment, request: RunRequest) -> dict:
    try:
        return experiment.choose_settings(request.settings, request.preset or "shipped")
    except SettingError as e:
        raise HTTPException(422, str(e)) from None


@router.get("/api/experiments/{experiment_id}/settings", responses=problems(404))
def settings_of(experiment_id: str) -> Settings:
    """What a learner may change of this experiment's training: each setting with its type, range, shipped value
    and a line of help, the two presets, and how long each would take here."""
    experiment = experiment_or_404(experiment_id)
    why = experiment.not_trainable()
    if why:
        return Settings(experiment=experiment.id, trainable=False, why=why, lab=lab_info(), settings=[], presets={},
                        estimates={})
    if runs.lab_on() and experiment.load_test is None:  # cheap to load whole: the warm trainer loads it now,
        (runs.lab_dir() / "wanted").write_text(experiment.id)  # before Start is pressed (not rendered hands)
    shipped, presets = experiment.shipped_settings(), experiment.presets()
    return Settings(experiment=experiment.id, trainable=True, why=None, lab=lab_info(),
                    settings=[SettingInfo(**s.describe(shipped[s.name])) for s in experiment.settings],
                    presets=presets, estimates={name: round(estimates.estimate(experiment, values), 1)
                                                for name, values in presets.items()})


@router.post("/api/experiments/{experiment_id}/estimate", responses=problems(404, 422))
def estimate(experiment_id: str, body: RunRequest) -> Estimate:
    """How long a run with these settings would take here, and whether the server would start it."""
    experiment = experiment_or_404(experiment_id)
    values = chosen(experiment, body)
    seconds = estimates.estimate(experiment, values)
    return Estimate(seconds=round(seconds, 1), limit_seconds=estimates.limit(),
                    over=estimates.over_limit(experiment, values, seconds), values=values)


@router.post("/api/experiments/{experiment_id}/runs", status_code=202, responses=problems(404, 409, 422))
def start_run(experiment_id: str, body: RunRequest) -> RunInfo:
    """Train this experiment with a preset, changed settings, or both (the changes over the preset). The run is
    queued for the trainer at once; watch it at /api/runs/{run}/events. One run trains at a time."""
    experiment = experiment_or_404(experiment_id)
    if why := experiment.not_trainable():
        raise HTTPException(422, why)
    if not runs.lab_on():
        raise HTTPException(409, f"Training from the page is off on this server. Serve with it on: `{LAB_COMMAND}` "
                                 "(or `mlsandbox serve --lab` where PyTorch is installed).")
    values = chosen(experiment, body)
    seconds = estimates.estimate(experiment, values)
    if over := estimates.over_limit(experiment, values, seconds):
        raise HTTPException(422, over)
    try:
        run = runs.create(experiment, values, body.preset, seconds)
    except runs.Busy as e:
        raise HTTPException(409, str(e)) from None
    ensure_trainer()
    return describe(run)


@router.get("/api/runs")
def list_runs() -> list[RunInfo]:
    """Every run kept on this machine, newest first."""
    return [describe(run) for run in runs.every()]


@router.get("/api/runs/{run_id}", responses=problems(404))
def get_run(run_id: str) -> RunInfo:
    """A run's state and, once finished, its held-out test figures and model card."""
    run = run_or_404(run_id)
    if runs.lab_on() and run.recorded_state()["state"] == "queued":
        ensure_trainer()  # one that died between the run's start and its claim is replaced
    return describe(run)


@router.post("/api/runs/{run_id}/stop", responses=problems(404, 409))
def stop_run(run_id: str) -> RunInfo:
    """Stop a run at its next step. The best epoch validated so far is exported and measured, as at the end."""
    run = run_or_404(run_id)
    state = run.state()["state"]
    if state in runs.ENDED:
        raise HTTPException(409, f"Run {run.id} has {state} already: there is nothing to stop.")
    runs.stop(run)
    return describe(run)


@router.post("/api/runs/{run_id}/learning-rate", responses=problems(404, 409, 422))
def change_learning_rate(run_id: str, body: LearningRate) -> RunInfo:
    """Change the peak learning rate of a run while it trains; it takes effect at the next step."""
    run = run_or_404(run_id)
    state = run.state()["state"]
    if state in runs.ENDED:
        raise HTTPException(409, f"Run {run.id} has {state}: the learning rate can change only while it trains.")
    try:
        rate = lab_settings.LEARNING_RATE.check(body.learning_rate)
    except SettingError as e:
        raise HTTPException(422, str(e)) from None
    run.order(learning_rate=rate)
    return describe(run)


@router.get("/api/runs/{run_id}/files/{name}", responses=problems(404))
def run_file(run_id: str, name: str) -> FileResponse:
    """A file the run wrote: model.onnx, card.json, history.json, curves.png, confusion.png or events.jsonl."""
    run = run_or_404(run_id)
    try:
        path = run.file(name)
    except FileNotFoundError:
        raise HTTPException(404, f"Run {run.id} has no file {name!r} (yet); it may have: "
                                 f"{', '.join(sorted(runs.FILES))}, events.jsonl.") from None
    return FileResponse(path, filename=f"{run.id}-{name}")


EVENTS = {"description": "Server-Sent Events, each with its id (send it back as Last-Event-ID to resume) and its "
                         "type as the event name: started, step, validation, learning_rate, exporting, then finished, "
                         "stopped or failed, after which the stream ends.",
          "content": {"text/event-stream": {"schema": {"type": "string"}}}}


@router.get("/api/runs/{run_id}/events", response_class=StreamingResponse,
            responses={200: EVENTS, **problems(404, 422)})
async def run_events(run_id: str, last_event_id: str | None = Header(None),
                     after: str | None = Query(None, description="resume after this event id (as Last-Event-ID)"),
                     ) -> StreamingResponse:
    """Watch a run: every event from the first (or after Last-Event-ID), then each new one as the trainer logs it."""
    run = run_or_404(run_id)
    resume = last_event_id if last_event_id is not None else after
    start = 0
    if resume is not None:
        known = (run.recent() or [{"id": 0}])[-1]["id"]
        if not resume.isdigit() or (int(resume) > known and run.state()["state"] in runs.ENDED):
            raise HTTPException(422, f"Last-Event-ID {resume[:40]!r} is not an event of run {run.id}: its events are "
                                     f"numbered 1 to {known}. Leave it out to start from the first.")
        start = int(resume)
    return StreamingResponse(follow(run, start), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def follow(run: runs.Run, after: int):
    """The run's events after the given id as Server-Sent Events, until it ends."""
    position, pending, quiet_since = 0, b"", time.monotonic()
    while True:
        try:
            with open(run.events_path, "rb") as log:
                log.seek(position)
                chunk = log.read()
        except FileNotFoundError:
            chunk = b""
        position += len(chunk)
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            event = json.loads(line)
            if event["id"] > after:
                yield f"id: {event['id']}\nevent: {event['type']}\ndata: ".encode() + line + b"\n\n"
            if event["type"] in runs.ENDED:
                return
        if lines:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > HEARTBEAT:
            quiet_since = time.monotonic()
            run.state()  # notices a trainer that died, and logs it as the run's last event
            yield b": still here\n\n"
        await asyncio.sleep(POLL)


# The trainer process. One per machine: its lock file tells whether one is there.

def trainer_running() -> bool:
    with open(runs.lab_dir() / "trainer.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
        return False


_started: subprocess.Popen | None = None  # the trainer this process started last
_starting = threading.Lock()


def ensure_trainer() -> None:
    """Start the warm trainer if no process of this machine's has one, and reap it when it ends (marking the run
    it was training failed, with how it ended). A trainer takes its lock only once torch is imported, seconds
    after its start: until then the one this process started is enough, or every poll would start another."""
    global _started
    with _starting:
        if (_started and _started.poll() is None) or trainer_running():
            return
        threads = str(runs.trainer_threads())
        env = {**os.environ, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "TQDM_DISABLE": "1"}
        with open(runs.lab_dir() / "trainer.log", "ab") as log:
            trainer = subprocess.Popen([sys.executable, "-m", "mlsandbox.lab.trainer", str(os.getpid())],
                                       stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
        _started = trainer

    def reap() -> None:
        code = trainer.wait()
        for run in runs.every():
            state = run.recorded_state()
            if state["state"] == "running" and state.get("pid") == trainer.pid:
                how = f"was killed by {runs.signal_name(code)}" if code < 0 else f"exited with status {code}"
                run.fail(f"The trainer process (pid {trainer.pid}) {how} before the run finished. Start the run "
                         "again.", expected="running")

    threading.Thread(target=reap, daemon=True, name="trainer-reaper").start()
