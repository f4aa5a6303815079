"""How long a lab run will take here, and whether the server starts it.

A card records how long the shipped recipe took; a run's time is scaled from it by each setting's cost
(mlsandbox.settings.Setting.cost), and by how the last run of the experiment here compared with its own estimate
(the measured pace, kept beside the runs)."""

from __future__ import annotations

import json
import os

from mlsandbox.kinds import Experiment, fast_mode
from mlsandbox.lab.runs import FAST_EXAMPLES, lab_dir, locked, minutes, write_json

LIMIT_ENV = "MLSANDBOX_LAB_LIMIT"  # the longest run the server starts, in estimated seconds
DEFAULT_LIMIT = 15 * 60


def limit() -> float:
    return float(os.environ.get(LIMIT_ENV) or DEFAULT_LIMIT)


def estimate(experiment: Experiment, values: dict) -> float:
    """Seconds a run of experiment with values would take here."""
    card = experiment.card() or {}
    seconds = card.get("training", {}).get("seconds", 60.0)
    shipped = experiment.shipped_settings()
    for setting in experiment.settings:
        if setting.cost and shipped[setting.name]:
            seconds *= (values[setting.name] / shipped[setting.name]) ** setting.cost
    if fast_mode() and "train" in card.get("split", {}):
        seconds *= min(1.0, FAST_EXAMPLES / card["split"]["train"])
    return seconds * pace().get(experiment.id, 1.0)


def pace() -> dict[str, float]:
    path = lab_dir() / "pace.json"
    return json.loads(path.read_text()) if path.exists() else {}


def record_pace(experiment: Experiment, estimated: float, took: float) -> None:
    """Remember how a run's time compared with its estimate (before this correction), for the next estimate."""
    if estimated <= 0 or took <= 0:
        return
    with locked(lab_dir() / "lock"):
        known = pace()
        base = estimated / known.get(experiment.id, 1.0)
        write_json(lab_dir() / "pace.json", {**known, experiment.id: round(took / base, 3)})


def over_limit(experiment: Experiment, values: dict, seconds: float) -> str | None:
    """What to change when a run would take longer than the server allows; None when it fits."""
    if seconds <= limit():
        return None
    epochs = values.get("epochs")
    fits = int(epochs * limit() / seconds) if epochs else 0
    change = (f"set epochs to {fits} or fewer" if fits >= 1 else
              "make the network smaller (" + ", ".join(s.name for s in experiment.settings if s.cost and s.name !=
                                                       "epochs") + ")")
    return (f"This run would take about {minutes(seconds)} here, over this server's limit of {minutes(limit())}: "
            f"{change}, or start the server with a longer --lab-limit.")
