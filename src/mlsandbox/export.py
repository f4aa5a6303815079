"""Export a trained network to ONNX, check it against PyTorch, measure it on the test split, write its card."""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import os
import shutil
import signal
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from mlsandbox import evaluation, machine, plots
from mlsandbox.assets import sha256_of
from mlsandbox.data import Split
from mlsandbox.experiments import Experiment
from mlsandbox.train import Result, as_tensor

PARITY_TOLERANCE = 1e-4


def to_onnx(model: torch.nn.Module, input_size: tuple[int, int], path: Path) -> None:
    """Write model + softmax as ONNX: input "image" (N, 1, H, W) in 0..1, output "probabilities" (N, classes)."""
    wrapped = torch.nn.Sequential(model, torch.nn.Softmax(dim=1)).eval().cpu()
    example = torch.zeros(2, 1, *input_size)
    batch = torch.export.Dim("batch", min=1, max=65536)
    # The exporter's own noise, not ours: it logs that torchvision (which we never use) is absent, and
    # torch.export trips a deprecation inside torch. Silence just those two, just here.
    registration = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registration.level
    registration.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)", category=FutureWarning)
            torch.onnx.export(
                wrapped, (example,), str(path), input_names=["image"], output_names=["probabilities"],
                dynamo=True, dynamic_shapes=({0: batch},), external_data=False, verbose=False,
            )
    finally:
        registration.setLevel(level)


def parity(model: torch.nn.Module, path: Path, images: np.ndarray) -> float:
    """Largest difference between ONNX Runtime's and PyTorch's probabilities on the same inputs."""
    with torch.no_grad():
        expected = torch.softmax(model.eval().cpu()(as_tensor(images)), dim=1).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    actual = session.run(None, {"image": images[:, None].astype(np.float32)})[0]
    return float(np.abs(actual - expected).max())


def export(experiment: Experiment, split: Split, result: Result, command: str) -> dict:
    """Write model.onnx, card.json, history.json, curves.png and confusion.png; return the card."""
    out = experiment.artifact_dir
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{experiment.id}-") as tmp:
        staging = Path(tmp)
        model_path = staging / "model.onnx"
        to_onnx(result.model, experiment.input_size, model_path)
        check = evaluation.prepare_all(experiment, split.x_test[:256])
        difference = parity(result.model, model_path, check)
        if difference > PARITY_TOLERANCE:
            raise RuntimeError(f"ONNX Runtime differs from PyTorch by {difference:.2e} (> {PARITY_TOLERANCE}).")

        metrics, confusion = evaluation.evaluate(experiment, split.x_test, split.y_test, model_path)
        card = {
            "id": experiment.id,
            "title": experiment.title,
            "dataset": split.description,
            "split": split.sizes(),
            "metrics": metrics,
            "parameters": sum(p.numel() for p in result.model.parameters()),
            "model": {"file": "model.onnx", "bytes": model_path.stat().st_size, "sha256": sha256_of(model_path),
                      "onnx_vs_torch_max_difference": difference},
            "training": {
                "seconds": round(result.seconds, 1),
                "epochs": len(result.history),
                "best_epoch": result.best_epoch,
                "best_val_accuracy": result.history[result.best_epoch - 1]["val_accuracy"],
                "device": result.device,
                "machine": machine.describe(),
                "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "recipe": dataclasses.asdict(result.recipe),
            },
            "command": command,
        }
        (staging / "card.json").write_text(json.dumps(card, indent=2) + "\n")
        (staging / "history.json").write_text(json.dumps(result.history, indent=2) + "\n")
        plots.curves(result.history, staging / "curves.png", title=experiment.title)
        plots.confusion(confusion, experiment.labels, staging / "confusion.png",
                        title=f"{experiment.title}: test set")
        staging.chmod(0o755)  # temporary directories are private; artifacts are for every user to read
        replace_directory(staging, out)
        staging.mkdir()  # TemporaryDirectory cleans up the name it made
    return card


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
