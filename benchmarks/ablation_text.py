"""What each choice of a text model buys: the LSTM against the transformer, a shorter and a longer
context, no dropout; each trained for the same short budget and scored on the validation plays.

    .venv/bin/python benchmarks/ablation_text.py [--steps N] [--only VARIANT ...]

The test plays stay untouched for the shipped models. Writes benchmarks/results/ablation_text.json after
each variant (a list of rows: experiment, variant, val_nats_per_char, seconds), which the Shakespeare
notebooks show.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import sys
from pathlib import Path

from report import write_json

from mlsandbox import experiments, machine, train

RESULTS = Path(__file__).resolve().parent / "results"
OUT = RESULTS / "ablation_text.json"


def net_with(experiment_id: str, **changes):
    """The experiment's network builder with some of its arguments changed."""
    from mlsandbox.kinds.text_generator import vocabulary
    from mlsandbox.nets.charlm import LSTMModel, TransformerModel

    experiment = experiments.get(experiment_id)
    size = len(vocabulary(experiment.load_data().train))
    if experiment_id.endswith("lstm"):
        return functools.partial(LSTMModel, size, **{"hidden": 512, "layers": 2, "dropout": 0.1, **changes})
    return functools.partial(TransformerModel, size, **{"context": 128, "width": 192, "layers": 4, "heads": 4,
                                                        "dropout": 0.1, **changes})


# variant: (experiment, changes to the network, changes to the recipe)
VARIANTS = {
    "LSTM, the recipe": ("shakespeare_lstm", {}, {}),
    "LSTM, no dropout": ("shakespeare_lstm", {"dropout": 0.0}, {}),
    "LSTM, context 64": ("shakespeare_lstm", {}, {"context": 64}),
    "transformer, the recipe": ("shakespeare_transformer", {}, {}),
    "transformer, context 64": ("shakespeare_transformer", {"context": 64}, {"context": 64}),
    "transformer, no dropout": ("shakespeare_transformer", {"dropout": 0.0}, {}),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=500, help="training steps of every variant (default 500)")
    parser.add_argument("--only", nargs="+", choices=VARIANTS, metavar="VARIANT", help="; ".join(VARIANTS))
    args = parser.parse_args(argv)
    rows = json.loads(OUT.read_text())["rows"] if OUT.is_file() else []
    for name in args.only or VARIANTS:
        experiment_id, net_changes, recipe_changes = VARIANTS[name]
        experiment = experiments.get(experiment_id)
        variant = dataclasses.replace(experiment, id=f"ablation_{experiment_id}", build_net=net_with(experiment_id,
                                                                                                      **net_changes))
        recipe = dataclasses.replace(experiment.recipe, epochs=1, steps_per_epoch=args.steps, **recipe_changes)
        result = train.fit(variant, experiment.load_data(), recipe)
        rows = [r for r in rows if r["variant"] != name] + [{
            "experiment": experiment_id, "variant": name, "steps": args.steps,
            "val_nats_per_char": result.history[-1]["val_loss"], "seconds": round(result.seconds, 1)}]
        RESULTS.mkdir(exist_ok=True)
        report = {"command": "python benchmarks/ablation_text.py", "machine": machine.describe(), "rows": rows}
        write_json(report, OUT)  # replaced atomically
        print(f"{name}: {rows[-1]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
