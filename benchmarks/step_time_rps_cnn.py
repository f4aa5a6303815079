"""How long a training step of an rps_cnn variant takes, against the shipped network's, in one run:

    .venv/bin/python benchmarks/step_time_rps_cnn.py STAGES [STAGES ...] [--size 96]

STAGES as in probe_rps_cnn.py, e.g. '[[16],[32],[64,64],[192,192]]'. Each network takes ten training steps (its
poses' and its locator's losses) on a batch of 64 random pictures, five times; the median is kept, and each
variant is reported as a ratio to the shipped network at the experiment's size, measured in the same run
(these machines are shared: compare ratios, not milliseconds). Prints one JSON line. A ratio times the
shipped recipe's training seconds (its card) estimates a full run, for the 30-minute budget."""

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

from mlsandbox.experiments import rps
from mlsandbox.train import LAYOUT

parser = argparse.ArgumentParser()
parser.add_argument("stages", type=json.loads, nargs="+")
parser.add_argument("--size", type=int, default=rps.CNN_SIZE)
args = parser.parse_args()


def step_milliseconds(stages, size: int, batch: int = 64) -> float:
    torch.manual_seed(0)
    model = rps.build_cnn(stages, size).to(memory_format=LAYOUT).train()
    optimizer = torch.optim.AdamW(model.parameters())
    pictures = torch.rand(batch, 3, size, size).contiguous(memory_format=LAYOUT)
    poses, coverage = torch.randint(3, (batch,)), torch.rand(batch, 1, size, size)

    def step():
        logits, cells = model.located(pictures)
        hand = F.avg_pool2d(coverage, size // cells.shape[-1])
        loss = F.cross_entropy(logits, poses) + F.binary_cross_entropy_with_logits(cells, hand)
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


as_stages = lambda channels: tuple(tuple((c, 3) for c in stage) for stage in channels)  # noqa: E731
shipped = step_milliseconds(rps.CNN_STAGES, rps.CNN_SIZE)
report = {"shipped_ms": round(shipped, 1), "size": args.size, "threads": torch.get_num_threads(),
          "ratios": {json.dumps(s): round(step_milliseconds(as_stages(s), args.size) / shipped, 3) for s in args.stages}}
print(json.dumps(report))
