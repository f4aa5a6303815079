"""What each choice of a training recipe buys: train again with one choice taken out at a time.

    .venv/bin/python benchmarks/ablation.py sketch_cnn [--epochs N] [--only VARIANT ...]

Every variant trains with the same data, seed and number of epochs (by default a fifth of the shipped
recipe's, so the six cost about as much as one full run) and is scored on the validation split; the
test split stays untouched for the shipped model. Writes benchmarks/results/ablation_<id>.json after
each variant, which the experiment's notebook shows; with --only or a chosen --epochs, to
ablation_<id>_<N>epochs.json instead, leaving the notebook's table alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import torch

from report import write_json

from mlsandbox import evaluation, experiments, machine, train

RESULTS = Path(__file__).resolve().parent / "results"
AFFINE = dict(rotate_degrees=0.0, shift=0.0, scale=(1.0, 1.0))
VARIANTS = {
    "the recipe": {},
    "no mirrored drawings": dict(flip=False),
    "no thicker strokes": dict(thicken=0.0),
    "no rotation, shift or zoom": AFFINE,
    "no augmentation at all": dict(flip=False, thicken=0.0, elastic=0.0, **AFFINE),
    "no label smoothing or weight averaging": dict(label_smoothing=0.0, ema=0.0),
    "mirrored drawings only": dict(thicken=0.0, elastic=0.0, **AFFINE),
    "mirrored, gentler rotation, shift and zoom": dict(thicken=0.0, rotate_degrees=6.0, shift=0.04, scale=(0.9, 1.0)),
}


def validation_scores(model: torch.nn.Module, split) -> dict:
    with torch.no_grad():
        logits = model.eval().cpu()(train.as_tensor(split.x_val))
    probabilities = torch.softmax(logits, 1).numpy()
    return {"val_accuracy": float((probabilities.argmax(1) == split.y_val).mean()),
            "val_top3_accuracy": evaluation.top_k_accuracy(probabilities, split.y_val, 3)}


def earlier_variants(out: Path, chosen: dict) -> list[dict]:
    """Variants already measured at this length and not being measured again: each run adds to the table."""
    if not out.is_file():
        return []
    return [v for v in json.loads(out.read_text())["variants"] if v["variant"] not in chosen]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("id", help="an experiment id, e.g. sketch_cnn")
    parser.add_argument("--epochs", type=int, help="epochs for every variant (default: a fifth of the recipe's)")
    parser.add_argument("--only", nargs="+", choices=VARIANTS, metavar="VARIANT", help="some of: " + "; ".join(VARIANTS))
    args = parser.parse_args(argv)
    experiment = experiments.get(args.id)
    default = max(1, round(experiment.recipe.epochs / 5))
    epochs = args.epochs or default
    split = experiment.load_data()
    chosen = {name: VARIANTS[name] for name in args.only or VARIANTS}
    out = RESULTS / (f"ablation_{experiment.id}.json" if epochs == default and not args.only
                     else f"ablation_{experiment.id}_{epochs}epochs.json")
    command = f"python benchmarks/ablation.py {experiment.id} --epochs {epochs}"
    if args.only:
        command += " --only " + " ".join(f"'{name}'" for name in chosen)
    report = {"id": experiment.id, "epochs": epochs, "split": split.sizes(), "machine": machine.describe(),
              "command": command, "variants": earlier_variants(out, chosen)}
    for name, changes in chosen.items():
        recipe = dataclasses.replace(experiment.recipe, epochs=epochs, **changes)
        result = train.fit(experiment, split, recipe)
        report["variants"].append({"variant": name, "changes": {k: list(v) if isinstance(v, tuple) else v
                                                                for k, v in changes.items()},
                                   **validation_scores(result.model, split), "best_epoch": result.best_epoch,
                                   "seconds": round(result.seconds, 1), "command": command})
        RESULTS.mkdir(exist_ok=True)
        write_json(report, out)  # replaced atomically
        print(f"{name}: {report['variants'][-1]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
