"""The event log of a run: a train.Watcher that writes what the training loop does to the run's events.jsonl,
and reads the learner's orders from its control.json. The server streams the file to the page as it grows."""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path

from mlsandbox.lab.runs import Run

STEP_INTERVAL = 0.1  # seconds between two step events at most: about ten a second
# A validation's pictures (its surest mistakes, the first layer, the stage maps) come at most this often, and with
# the last epoch's: a run of many short epochs would otherwise log tens of KB a second. The page keeps the last.
PICTURES_EVERY = 15.0
PICTURES = ("mistakes", "filters", "activations")


def memory_mb() -> float:
    """This process's resident memory now, in MB (its peak where /proc is not there to ask)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    except OSError:
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class EventLog:
    def __init__(self, run: Run):
        self.run = run
        events = run.recent()
        self.last_id = events[-1]["id"] if events else 0
        self.orders_seen: int | None = None
        self.peak: float | None = None
        self.step = 0
        self.pictures_at = -PICTURES_EVERY

    def emit(self, kind: str, **fields) -> None:
        self.last_id += 1
        with open(self.run.events_path, "a") as log:
            log.write(json.dumps({"id": self.last_id, "type": kind, **fields}, allow_nan=False) + "\n")

    # train.Watcher

    def started(self, task, recipe, total_steps: int) -> None:
        self.total_steps, self.epochs, self.peak = total_steps, recipe.epochs, recipe.learning_rate
        self.since = (0.0, 0, 0)  # loss sum, right, counted since the last step event
        self.task, self.parts, self.part_steps = task, {}, 0  # a loss made of parts (a GAN's two networks'): their sums
        self.last_emit = self.began = time.perf_counter()
        settings = self.run.settings
        self.emit("started", experiment=settings["experiment"], epochs=recipe.epochs,
                  steps_per_epoch=task.steps_per_epoch, total_steps=total_steps, learning_rate=recipe.learning_rate,
                  threads=_threads(), settings=settings["values"], changed=settings["changed"],
                  view=task.lab_examples() if hasattr(task, "lab_examples") else {})

    def stepped(self, step: int, epoch: int, loss: float, right: int, counted: int, learning_rate: float) -> None:
        self.step = step
        loss_sum, right_sum, counted_sum = self.since = (self.since[0] + loss * counted, self.since[1] + right,
                                                         self.since[2] + counted)
        for name, value in getattr(self.task, "parts", {}).items():
            self.parts[name] = self.parts.get(name, 0.0) + value
        self.part_steps += 1
        now = time.perf_counter()
        if step > 1 and now - self.last_emit < STEP_INTERVAL and step < self.total_steps:
            return
        elapsed = now - self.began
        self.emit("step", step=step, epoch=epoch, loss=float(f"{loss_sum / counted_sum:.6g}"),
                  accuracy=round(right_sum / counted_sum, 4), learning_rate=float(f"{learning_rate:.4g}"),
                  examples_per_second=round(counted_sum / max(now - self.last_emit, 1e-6)),
                  progress=round(step / self.total_steps, 5), elapsed=round(elapsed, 2),
                  eta=round(elapsed / step * (self.total_steps - step), 1), memory_mb=memory_mb(),
                  **({"parts": {name: float(f"{total / self.part_steps:.6g}") for name, total in self.parts.items()}}
                     if self.parts else {}))
        self.since, self.last_emit, self.parts, self.part_steps = (0.0, 0, 0), now, {}, 0

    def validated(self, record: dict, best: bool, task, model) -> None:
        view = task.lab_view(model) if hasattr(task, "lab_view") else {}
        now = time.perf_counter()
        if now - self.pictures_at < PICTURES_EVERY and record["epoch"] < self.epochs:
            view = {name: value for name, value in view.items() if name not in PICTURES}
        else:
            self.pictures_at = now
        self.emit("validation", **record, step=record["epoch"] * task.steps_per_epoch, best=best, view=view)

    def orders(self) -> tuple[bool, float | None]:
        path = self.run.folder / "control.json"
        try:
            changed = path.stat().st_mtime_ns
        except FileNotFoundError:
            return False, None
        if changed == self.orders_seen:
            return False, None
        self.orders_seen = changed
        orders = self.run.orders()
        stop, wanted = bool(orders.get("stop")), orders.get("learning_rate")
        if wanted is None or wanted == self.peak:
            return stop, None
        self.peak = wanted
        self.emit("learning_rate", step=self.step + 1, learning_rate=wanted)  # from the next step on
        return stop, wanted


def _threads() -> int:
    import torch  # the trainer's process has it loaded already

    return torch.get_num_threads()
