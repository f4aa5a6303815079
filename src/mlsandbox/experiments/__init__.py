"""The registry: every experiment is declared once here, and everything else iterates over it.

This module must stay importable without torch: the server reads it too. Network builders import
torch only when they are called.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from mlsandbox import imaging
from mlsandbox.assets import Asset

ARTIFACTS_ENV = "MLSANDBOX_ARTIFACTS"
PACKAGE_ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@dataclass(frozen=True)
class Recipe:
    """How a network is trained: a few plain numbers, as they appear in the notebook."""

    epochs: int
    batch_size: int = 128
    learning_rate: float = 3e-3
    weight_decay: float = 5e-4
    label_smoothing: float = 0.0
    rotate_degrees: float = 0.0  # random affine augmentation of each training batch
    shift: float = 0.0  # as a fraction of the image size
    scale: tuple[float, float] = (1.0, 1.0)
    elastic: float = 0.0  # strength of a smooth random warp, in pixels (elastic distortion)
    flip: bool = False  # mirror half of the training images left to right
    thicken: float = 0.0  # up to this much of a one-pixel dilation blended in: thicker strokes
    warmup: float = 0.2  # fraction of the steps over which the learning rate rises to its peak
    ema: float = 0.0  # if > 0, validate and ship an exponential moving average of the weights
    seed: int = 0


@dataclass(frozen=True)
class Experiment:
    id: str
    title: str
    summary: str
    family: str  # experiments of one family share a demo and are compared side by side
    demo: str  # the page component that plays with it, e.g. "draw"
    labels: tuple[str, ...]
    assets: tuple[Asset, ...]
    load_data: Callable[[], Any]  # -> mlsandbox.data.Split
    build_net: Callable[[], Any]  # -> torch.nn.Module taking (N, 1, H, W) floats in 0..1
    recipe: Recipe
    prepare_ink: Callable[[np.ndarray], np.ndarray]  # ink (H, W) -> model input (h, w)
    input_size: tuple[int, int] = (28, 28)
    examples: Callable[[str, int], np.ndarray] | None = None  # (label, count) -> training images, for the page

    @property
    def artifact_dir(self) -> Path:
        return Path(os.environ.get(ARTIFACTS_ENV) or PACKAGE_ARTIFACTS) / self.id

    @property
    def model_path(self) -> Path:
        return self.artifact_dir / "model.onnx"

    def prepare(self, data: bytes) -> np.ndarray:
        """Image bytes (a drawing, a photo) -> the model's input, through the shared preprocessing."""
        return self.prepare_ink(imaging.to_ink(imaging.decode(data)))

    def card(self) -> dict | None:
        path = self.artifact_dir / "card.json"
        return json.loads(path.read_text()) if path.is_file() else None


def _collect() -> dict[str, Experiment]:
    from mlsandbox.experiments import digits, sketches

    found = [*digits.EXPERIMENTS, *sketches.EXPERIMENTS]
    return {e.id: e for e in found}


REGISTRY: dict[str, Experiment] = _collect()


class UnknownExperiment(KeyError):
    def __str__(self) -> str:
        return f"There is no experiment {self.args[0]!r}. Known experiments: {', '.join(REGISTRY)}."


def get(experiment_id: str) -> Experiment:
    try:
        return REGISTRY[experiment_id]
    except KeyError:
        raise UnknownExperiment(experiment_id) from None


def family(experiment: Experiment) -> list[Experiment]:
    return [e for e in REGISTRY.values() if e.family == experiment.family]
