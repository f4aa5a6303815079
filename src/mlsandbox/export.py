"""Export a trained network to ONNX, check it against PyTorch, measure it on the test split, write its card.

Each kind writes its own ONNX graph (its training module's to_onnx); this module does the rest."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import logging
import os
import shutil
import signal
import tempfile
import time
import warnings
from pathlib import Path
from typing import Iterator

import torch

from mlsandbox import machine, plots
from mlsandbox.assets import Asset, sha256_of
from mlsandbox.kinds import Experiment
from mlsandbox.train import Result

PARITY_TOLERANCE = 1e-4


def write_onnx(module: torch.nn.Module, args: tuple, path: Path, input_names: list[str], output_names: list[str],
               dynamic_shapes: tuple | None = None) -> None:
    """torch.onnx.export (dynamo) of module called on args, into one self-contained file."""
    # The exporter's own noise, not ours: it logs that torchvision (which we never use) is absent,
    # torch.export trips deprecations inside torch, and it warns that nn.LSTM re-flattens its own weights
    # while being traced. Silence just those, just here.
    registration = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registration.level
    registration.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)", category=FutureWarning)
            warnings.filterwarnings("ignore", message=r".*_check_is_size will be removed", category=FutureWarning)
            warnings.filterwarnings("ignore", message=r".*_flat_weights.*assigned during export", category=UserWarning)
            # inputs that share one batch dimension (a VAE's latent point and digit) are told so, once per file
            warnings.filterwarnings("ignore", message=r".*axis name: .* will not be used", category=UserWarning)
            torch.onnx.export(
                module.eval().cpu(), args, str(path), input_names=input_names, output_names=output_names,
                dynamo=True, dynamic_shapes=dynamic_shapes, external_data=False, verbose=False,
            )
    finally:
        registration.setLevel(level)


def export(experiment: Experiment, data, result: Result, command: str, out: Path | None = None,
           extra: dict | None = None) -> dict:
    """Write model.onnx, card.json (with extra), history.json, curves.png and the kind's pictures into out (the
    experiment's artifact folder by default); return the card."""
    with staged(experiment, out) as staging:
        model_path = staging / "model.onnx"
        difference = experiment.training_task(data, result.recipe).to_onnx(result.model, model_path)
        if difference > PARITY_TOLERANCE:
            raise RuntimeError(f"ONNX Runtime differs from PyTorch by {difference:.2e} (> {PARITY_TOLERANCE}).")

        metrics, pictures = experiment.evaluate(data, model_path)
        card = {
            "id": experiment.id,
            "title": experiment.title,
            "kind": experiment.kind,
            "dataset": data.description,
            "split": data.sizes(),
            "metrics": metrics,
            "parameters": sum(p.numel() for p in result.model.parameters()),
            "model": {"file": "model.onnx", "bytes": model_path.stat().st_size, "sha256": sha256_of(model_path),
                      "onnx_vs_torch_max_difference": difference, **companions(staging)},
            "training": {
                "seconds": round(result.seconds, 1),
                "epochs": len(result.history),
                "best_epoch": result.best_epoch,
                "selected_by": experiment.selected_by,
                "best_val_accuracy": result.history[result.best_epoch - 1]["val_accuracy"],
                "best_val_loss": result.history[result.best_epoch - 1]["val_loss"],
                "device": result.device,
                "machine": machine.describe(),
                "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "recipe": dataclasses.asdict(result.recipe),
            },
            "command": command,
            **(extra or {}),
        }
        (staging / "card.json").write_text(json.dumps(card, indent=2) + "\n")
        (staging / "history.json").write_text(json.dumps(result.history, indent=2) + "\n")
        plots.curves(result.history, staging / "curves.png", title=experiment.title)
        for name, draw in pictures.items():
            draw(staging / name)
    return card


def companions(staging: Path) -> dict:
    """The ONNX files a kind writes beside model.onnx (a VAE's encoder), each pinned like it: {"companions": ...}."""
    found = {p.name: {"bytes": p.stat().st_size, "sha256": sha256_of(p)}
             for p in sorted(staging.glob("*.onnx")) if p.name != "model.onnx"}
    return {"companions": found} if found else {}


def write_imported_card(experiment: Experiment, staging: Path, dataset: str, metrics: dict, source: dict,
                        started: float, model: dict | None = None, parameters: int | None = None) -> dict:
    """The card of a pretrained model imported into staging (beside its model.onnx): like a trained model's,
    with where its weights come from (source) in place of how they were trained."""
    model_path = staging / "model.onnx"
    card = {
        "id": experiment.id,
        "title": experiment.title,
        "kind": experiment.kind,
        "dataset": dataset,
        "metrics": metrics,
        **({"parameters": parameters} if parameters is not None else {}),
        "model": {"file": "model.onnx", "bytes": model_path.stat().st_size, "sha256": sha256_of(model_path),
                  **(model or {})},
        "source": {"pretrained": True, **source},
        "imported": {"seconds": round(time.perf_counter() - started, 1), "machine": machine.describe(),
                     "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")},
        "command": experiment.remake,
    }
    (staging / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def asset_record(asset: Asset) -> dict:
    return {"registry": asset.registry, "package": asset.spec, "member": asset.member, "sha256": asset.sha256}


@contextlib.contextmanager
def staged(experiment: Experiment, out: Path | None = None) -> Iterator[Path]:
    """A folder to write an experiment's artifacts into; when the block ends without an error, it replaces
    out (the experiment's artifact folder by default) in one step (see replace_directory), and otherwise it is
    removed."""
    out = out or experiment.artifact_dir
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{experiment.id}-") as tmp:
        staging = Path(tmp)
        yield staging
        staging.chmod(0o755)  # temporary directories are private; artifacts are for every user to read
        replace_directory(staging, out)
        staging.mkdir()  # TemporaryDirectory cleans up the name it made


def replace_directory(new: Path, old: Path) -> None:
    """Put the complete folder new where old is. Old is moved aside, not deleted, until new is in place,
    and an interruption during the two renames (Ctrl-C, SIGTERM) puts it back: the old model keeps serving."""
    aside = old.with_name(f".{old.name}-previous")
    if aside.exists():
        shutil.rmtree(aside)
    held = {signal.SIGINT, signal.SIGTERM}
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, held) if hasattr(signal, "pthread_sigmask") else None
    try:
        if old.exists():
            os.replace(old, aside)
        try:
            os.replace(new, old)
        except BaseException:
            if aside.exists():
                os.replace(aside, old)
            raise
    finally:
        if blocked is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    if aside.exists():
        shutil.rmtree(aside)
