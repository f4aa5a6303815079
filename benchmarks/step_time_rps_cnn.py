"""How long a training step of an rps_cnn variant takes, against the shipped network's, in one run:

    .venv/bin/python benchmarks/step_time_rps_cnn.py STAGES [STAGES ...] [--size 96]

STAGES as in probe_rps_cnn.py, e.g. '[[16],[32],[64,64],[192,192]]'. Each network takes ten training steps of
the experiment's own task (its loss with the locator's, on one batch that the task drew and augmented from 64
random pictures), five times; the median is kept, and each variant is reported as a ratio to the shipped
network at the experiment's size, measured in the same run (these machines are shared: compare ratios, not
milliseconds). Prints one JSON line. A ratio times the shipped recipe's training seconds (its card) estimates
a full run, for the 30-minute budget."""

import argparse
import dataclasses
import functools
import json
import statistics
import time

import numpy as np
import torch

from mlsandbox import experiments
from mlsandbox.data import Split
from mlsandbox.experiments import rps
from mlsandbox.train import LAYOUT

parser = argparse.ArgumentParser()
parser.add_argument("stages", type=json.loads, nargs="+")
parser.add_argument("--size", type=int, default=rps.CNN_SIZE)
args = parser.parse_args()

experiment = experiments.get("rps_cnn")


def step_milliseconds(stages, size: int) -> float:
    torch.manual_seed(0)
    count = experiment.recipe.batch_size
    pictures = np.random.default_rng(0).random((count, 4, size, size), dtype=np.float32)  # colours and coverage
    poses = np.arange(count) % len(experiment.labels)
    split = Split(pictures, poses, pictures[:0, :3], poses[:0], pictures[:0, :3], poses[:0], "timing")
    variant = dataclasses.replace(experiment, build_net=functools.partial(rps.build_cnn, stages, size),
                                  backdrops=lambda: pictures[:, :3])
    task = variant.training_task(split, variant.recipe)
    batch = next(task.batches(torch.Generator().manual_seed(0)))
    model = variant.build_net().to(memory_format=LAYOUT).train()
    optimizer = torch.optim.AdamW(model.parameters())

    def step():
        loss, _, _ = task.loss(model, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    times = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(10):
            step()
        times.append((time.perf_counter() - started) * 100)  # ms per step
    return statistics.median(times)


shipped = step_milliseconds(rps.CNN_STAGES, rps.CNN_SIZE)
ratios = {json.dumps(s): round(step_milliseconds(rps.cnn_stages(s), args.size) / shipped, 3) for s in args.stages}
print(json.dumps({"shipped_ms": round(shipped, 1), "size": args.size, "threads": torch.get_num_threads(),
                  "ratios": ratios}))
