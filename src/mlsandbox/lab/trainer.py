"""The trainer: runs the lab's runs with the one training loop (train.fit) and the one export, in a process of
its own, so that the server never imports torch.

`python -m mlsandbox.lab.trainer SERVER_PID` is the warm trainer a server with the lab on keeps: one per machine (a lock
file says whether one is there), at low priority with bounded threads, torch already imported, and the data of
the experiment a learner is looking at already loaded, so that a run's first step comes within a second of
Start. It takes queued runs one after another. `mlsandbox train ID --set ...` runs one in its own process."""

from __future__ import annotations

import errno
import fcntl
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from mlsandbox import experiments, export, runtime, train
from mlsandbox.kinds import Experiment, fast_mode
from mlsandbox.lab import estimates, runs
from mlsandbox.lab.events import EventLog

POLL = 0.05  # seconds between two looks for a queued run


def execute(run: runs.Run, data: Any | None = None) -> dict:
    """Train, export and evaluate run (already marked running in this process); end it as finished, stopped or
    failed, and return its final state. data: the experiment's loaded data, if at hand."""
    experiment, settings = run.experiment, run.settings
    recipe, net, share = experiment.plan(settings["values"])
    log = EventLog(run)
    try:
        data = for_run(data if data is not None else experiment.load_data(), share)
        result = train.fit(experiment, data, recipe, net=net, watcher=log)
        if result.best_epoch == 0:
            run.end("stopped", reason="Stopped before its first validation, so there is no model to keep.")
            return run.state()
        log.emit("exporting", message="Exporting to ONNX and measuring on the held-out test split")
        card = export.export(experiment, data, result, command=settings["command"], out=run.model_dir,
                             extra={"run": run.id, "settings": settings["changed"]})
        estimates.record_pace(experiment, settings["estimate_seconds"], result.seconds)
        fields = {"metrics": card["metrics"], "seconds": card["training"]["seconds"],
                  "parameters": card["parameters"], "headline": experiment.headline(card["metrics"]),
                  "shipped": shipped_metrics(experiment, data) if "per_class" in card["metrics"] else None}
        if result.stopped:
            run.end("stopped", reason=f"Stopped after {len(result.history)} of {recipe.epochs} epochs; the best "
                                      f"epoch ({result.best_epoch}) was exported.", **fields)
        else:
            run.end("finished", **fields)
    except Exception as error:  # the run fails with the reason; the trainer goes on to the next
        run.fail(reason(error))
    return run.state()


def shipped_metrics(experiment: Experiment, data: Any) -> dict | None:
    """The shipped model's figures on the same test split, class by class too (its card has no per-class ones), so
    that the page can say where the two differ most; None if it cannot be served."""
    try:
        return experiment.evaluate(data)[0]
    except runtime.ModelUnavailable:
        return None


def make_model(experiment: Experiment, fast: bool = False) -> dict:
    """`mlsandbox train ID`: train the shipped recipe, export it with its card into the artifacts, and return the
    card. Fast: a small subset and one epoch, written to the cache so that the committed model stays."""
    data, recipe = experiment.load_data(), experiment.recipe
    if fast:
        train.use_fast_artifacts()
        data, recipe = data.subset(train.FAST_SUBSET), train.quick(recipe)
    result = train.fit(experiment, data, recipe)
    return export.export(experiment, data, result, command=experiment.remake + " --fast" * fast)


def reason(error: Exception) -> str:
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return ("The disk is full: the model could not be written, and nothing of it was kept. Free some space "
                "(old runs are in the cache's lab folder) and start the run again.")
    return f"Training failed: {type(error).__name__}: {error}"


def for_run(data: Any, share: float) -> Any:
    """The data a run learns from: share of the training part (fewer still in fast mode); validation and test
    whole, so that its figures compare with the shipped model's."""
    if not hasattr(data, "training_share"):
        return data  # drawn afresh at each step (sums): there is no fixed training part to share
    if hasattr(data, "y_train"):
        kept = round(len(data.y_train) * share)
        kept = min(kept, runs.FAST_EXAMPLES) if fast_mode() else kept
        return data if kept == len(data.y_train) else data.training_share(max(kept, 1))
    return data.training_share(train.FAST_SUBSET) if fast_mode() else data


def warm_up() -> None:
    """A small step of a convolutional network and a recurrent one, and an export to ONNX, so that a run's first
    step and its export are not the ones that pay for torch's and the exporter's first use (seconds each)."""
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8 * 26 * 26, 10))
    net(torch.zeros(4, 1, 28, 28)).sum().backward()
    torch.optim.AdamW(net.parameters()).step()
    lstm = torch.nn.LSTM(8, 8, batch_first=True)
    lstm(torch.zeros(2, 4, 8))[0].sum().backward()
    with tempfile.TemporaryDirectory() as scratch:
        export.write_onnx(net, (torch.zeros(2, 1, 28, 28),), Path(scratch) / "warm.onnx", ["image"], ["scores"])


def claim_next() -> runs.Run | None:
    """The oldest queued run, marked running in this process; None if there is none."""
    for run in reversed(runs.every()):
        with runs.locked(run.folder / "lock"):
            if run.recorded_state()["state"] == "queued":
                run.set_state("running", pid=os.getpid(), started=runs.now())
                return run
    return None


class Loaded:
    """The data last asked for, kept in memory between runs (experiments of a family share theirs)."""

    def __init__(self):
        self.load, self.data = None, None

    def of(self, experiment: Experiment) -> Any:
        if self.load is not experiment.load_data:
            self.load, self.data = None, None  # free the old data before loading the new
            self.data, self.load = experiment.load_data(), experiment.load_data
        return self.data


def serve_runs(server: int) -> int:
    """Take queued runs one after another while the server process `server` is alive."""
    lock = open(runs.lab_dir() / "trainer.lock", "a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"trainer {os.getpid()}: another trainer serves this machine", flush=True)
        return 0
    os.nice(10)
    torch.set_num_threads(runs.trainer_threads())
    warm_up()
    loaded, news = Loaded(), Changes()
    queue, wanted = runs.lab_dir() / "queue", runs.lab_dir() / "wanted"
    while runs.alive(server):  # a server that ends takes its trainer with it
        if news(queue):
            while (run := claim_next()) is not None:
                execute(run, loaded.of(run.experiment))
        if news(wanted):
            try:
                loaded.of(experiments.get(wanted.read_text().strip()))
            except (experiments.UnknownExperiment, OSError):
                pass
        time.sleep(POLL)
    return 0


class Changes:
    """Whether a file has changed since the last call asked about it (the first call: always)."""

    def __init__(self):
        self.seen: dict[Path, int | None] = {}

    def __call__(self, path: Path) -> bool:
        try:
            stamp = path.stat().st_mtime_ns
        except FileNotFoundError:
            stamp = None
        fresh = path not in self.seen or self.seen[path] != stamp
        self.seen[path] = stamp
        return fresh


if __name__ == "__main__":
    sys.exit(serve_runs(int(sys.argv[1])))
