"""Probe a variant of the rps_mobilenet_v2 recipe on the validation renders (never the test ones):

    .venv/bin/python benchmarks/probe_rps.py NAME TRAIN_RENDERS FROZEN COPIES EPOCHS TUNE_SCALE

e.g. `probe_rps.py shipped 5400 11 8 12 0.3`. Prints one JSON line: the variant and its validation accuracy
after each epoch. The notebook's recipe was chosen with it (see rps_mobilenet_v2.ipynb, "The network")."""

import dataclasses
import json
import sys
import time

from mlsandbox import assets, experiments, train
from mlsandbox.data import hands, imagenet

name, count, frozen, copies, epochs, scale = sys.argv[1], *map(int, sys.argv[2:6]), float(sys.argv[6])
experiment = experiments.get("rps_mobilenet_v2")


def build():
    from mlsandbox.nets.mobilenet_v2 import MobileNetV2Transfer

    return MobileNetV2Transfer(len(hands.LABELS), weights=assets.require(imagenet.WEIGHTS), frozen=frozen, tune_from=3,
                               tune_scale=scale)


data = hands.load(experiment.input_size[0], {**hands.COUNTS, "train": count})
started = time.perf_counter()
probe = dataclasses.replace(experiment, id=f"probe_{name}", build_net=build)  # its checkpoint apart from the real one
result = train.fit(probe, data, dataclasses.replace(experiment.recipe, epochs=epochs, copies=copies))
print(json.dumps({"name": name, "train_renders": count, "frozen": frozen, "copies": copies, "epochs": epochs,
                  "tune_scale": scale, "seconds": round(result.seconds), "best_epoch": result.best_epoch,
                  "val_accuracy": [round(h["val_accuracy"], 3) for h in result.history]}))
