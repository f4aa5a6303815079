"""What each choice of the drawing networks' recipes buys: train again with one choice changed at a time.

    .venv/bin/python benchmarks/ablation_generators.py [--epochs 2] [--only digits_gan|digits_vae]

Every variant trains with the same data, seed and number of epochs and is scored on the validation split, as the
training loop scores each epoch: a GAN by the Fréchet distance between 2,000 drawn pictures and the validation
pictures in the judge's feature space (and the share the judge reads with confidence), the VAE by its negative ELBO
(and the share of drawn digits read as the digit asked for). The test split stays untouched. Writes
benchmarks/results/generators_ablation.json after each variant; the notebooks show it.
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
OUT = RESULTS / "generators_ablation.json"


def gan(**changes):
    from mlsandbox.nets.gan import GAN

    return GAN(latent=64, channels=32, **changes)


VARIANTS = {  # experiment -> variant -> (recipe changes, network built instead)
    "digits_gan": {
        "the recipe": ({}, None),
        "no moving average of the generator": (dict(ema=0.0), None),
        "no label smoothing": (dict(real_label=1.0), None),
        "the discriminator at the generator's rate": ({}, functools.partial(gan, discriminator_lr_scale=1.0)),
        "both at DCGAN's 2e-4": (dict(learning_rate=2e-4), functools.partial(gan, discriminator_lr_scale=1.0)),
        "Adam's usual first beta, 0.9": ({}, functools.partial(gan, beta1=0.9)),
    },
    "digits_vae": {
        "the recipe": ({}, None),
        "no KL term (a plain autoencoder)": (dict(kl_weight=0.0), None),
        "four times the KL term": (dict(kl_weight=4.0), None),
        "a quarter of the dense units (64)": ({}, functools.partial(experiments.get("digits_vae").build_net, hidden=64)),
    },
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--only", choices=VARIANTS)
    args = parser.parse_args(argv)
    report = json.loads(OUT.read_text()) if OUT.is_file() else {}
    report["machine"] = machine.describe()
    for experiment_id in [args.only] if args.only else VARIANTS:
        experiment = experiments.get(experiment_id)
        split = experiment.load_data()
        report[experiment_id] = []
        for name, (changes, build) in VARIANTS[experiment_id].items():
            recipe = dataclasses.replace(experiment.recipe, epochs=args.epochs, **changes)
            trained = dataclasses.replace(experiment, build_net=build) if build else experiment
            result = train.fit(trained, split, recipe)
            best = result.history[result.best_epoch - 1]
            report[experiment_id].append({
                "variant": name, "epochs": args.epochs, "val_loss": best["val_loss"], "val_accuracy": best["val_accuracy"],
                "seconds": round(result.seconds, 1),
                "command": f"python benchmarks/ablation_generators.py --epochs {args.epochs} --only {experiment_id}"})
            RESULTS.mkdir(exist_ok=True)
            write_json(report, OUT)  # replaced atomically
            print(f"{experiment_id}, {name}: {report[experiment_id][-1]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
