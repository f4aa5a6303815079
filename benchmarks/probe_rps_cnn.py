"""Probe a variant of the rps_cnn network or recipe, never reading the test renders:

    .venv/bin/python benchmarks/probe_rps_cnn.py NAME STAGES [--shift] [--renders 5400] [--epochs 20] [--recipe JSON]
        [--size 96]

STAGES is the channels of each convolution, stage by stage, e.g. '[[16],[32],[64,64],[128,128]]' (3x3 kernels).
Plain: trains on the first RENDERS training renders and scores on the experiment's 1,800 validation renders.
With --shift, a shift of its own, built from training renders alone: those drawn over the stripes texture and
those turned |roll| 65-80 degrees are held back, the network trains on RENDERS of the others (pasting them onto
backdrops without stripes), and it is scored on 1,500 of those held back: an unseen texture and angles past
training's, as the test part has (the wood texture, |roll| 80-110). --size reads the pictures at another size
than the experiment's (rendered and cached the first time). Prints one JSON line. The rps_cnn notebook
measured its networks with it (see rps_cnn.ipynb, "A second convolution in the last stage")."""

import argparse
import dataclasses
import functools
import json

import numpy as np
import torch

from mlsandbox import experiments, train
from mlsandbox.data import Split, hands
from mlsandbox.data.hands import scenes
from mlsandbox.experiments import rps

SHIFT_ROLL = (65.0, 80.0)

parser = argparse.ArgumentParser()
parser.add_argument("name")
parser.add_argument("stages", type=json.loads)
parser.add_argument("--shift", action="store_true")
parser.add_argument("--renders", type=int, default=5400)
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--recipe", type=json.loads, default={})
parser.add_argument("--size", type=int, default=rps.CNN_SIZE)
args = parser.parse_args()

experiment = experiments.get("rps_cnn")
experiment = dataclasses.replace(experiment, input_size=(args.size, args.size),  # rps passes size to load by name
                                 load_data=functools.partial(experiment.load_data, size=args.size),
                                 backdrops=functools.partial(hands.backdrops, args.size))
data = experiment.load_data()
if args.shift:
    shown = [scenes.scene(i, "train") for i in range(len(data.y_train))]
    striped = np.array([s.background[0] == "stripes" for s in shown])
    turned = np.array([SHIFT_ROLL[0] <= abs(s.roll) <= SHIFT_ROLL[1] for s in shown])
    kept, held = np.flatnonzero(~(striped | turned))[: args.renders], np.flatnonzero(striped | turned)[:1500]
    x_val, y_val = data.x_train[held, :3], data.y_train[held]
    x_train, y_train = data.x_train[kept], data.y_train[kept]

    def backdrops():
        pictures = experiment.backdrops()
        return pictures[np.array([hands.backdrop(i)[0] != "stripes" for i in range(len(pictures))])]
else:
    x_val, y_val = data.x_val, data.y_val
    x_train, y_train = data.x_train[: args.renders], data.y_train[: args.renders]
    backdrops = experiment.backdrops
split = Split(x_train, y_train, x_val, y_val, data.x_test[:0], data.y_test[:0], "probe")

probe = dataclasses.replace(experiment, id=f"probe_{args.name}", backdrops=backdrops,  # its own checkpoint
                            build_net=functools.partial(rps.build_cnn, rps.cnn_stages(args.stages), args.size))
recipe = dataclasses.replace(experiment.recipe, epochs=args.epochs,
                             **{k: tuple(v) if isinstance(v, list) else v for k, v in args.recipe.items()})
result = train.fit(probe, split, recipe)
report = {"name": args.name, "stages": args.stages, "size": args.size, "shift": args.shift,
          "train_renders": len(y_train), "epochs": args.epochs, "recipe": args.recipe, "seconds": round(result.seconds),
          "best_epoch": result.best_epoch, "val_accuracy": [round(h["val_accuracy"], 4) for h in result.history]}
if args.shift:  # the best epoch's accuracy on each kind held back
    for kind, shows in (("stripes", striped[held]), ("roll", turned[held])):
        with torch.no_grad():
            _, accuracy = train.evaluate(result.model, train.as_tensor(x_val[shows]), torch.from_numpy(y_val[shows]))
        report[f"{kind}_accuracy"] = round(accuracy, 4)
print(json.dumps(report))
