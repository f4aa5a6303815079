"""The torch side of image classifiers: augmented batches, cross-entropy, and the ONNX graph that is served."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
import torch.nn.functional as F

from mlsandbox import evaluation
from mlsandbox.data import Split
from mlsandbox.export import write_onnx
from mlsandbox.imaging import with_channels
from mlsandbox.kinds.image_classifier import ImageClassifier, ImageRecipe
from mlsandbox.train import LAYOUT, as_tensor, augment, device, evaluate


class ImageTask:
    def __init__(self, experiment: ImageClassifier, split: Split, recipe: ImageRecipe):
        self.experiment, self.split, self.recipe = experiment, split, recipe
        self.x_train, self.y_train = as_tensor(split.x_train), torch.from_numpy(split.y_train)
        self.x_val, self.y_val = as_tensor(split.x_val), torch.from_numpy(split.y_val)
        self.steps_per_epoch = math.ceil(len(split.y_train) / recipe.batch_size)

    def batches(self, generator: torch.Generator):
        x, y = self.x_train, self.y_train
        order = torch.randperm(len(y), generator=generator)
        for i in range(self.steps_per_epoch):
            index = order[i * self.recipe.batch_size : (i + 1) * self.recipe.batch_size]
            yield self.augmented(x[index], generator).to(device(), memory_format=LAYOUT), y[index].to(device())

    def augmented(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return augment(x, self.recipe, generator)

    def loss(self, model: torch.nn.Module, batch) -> tuple[torch.Tensor, int, int]:
        x, y = batch
        logits = model(x)
        loss = F.cross_entropy(logits, y, label_smoothing=self.recipe.label_smoothing)
        return loss, int((logits.argmax(1) == y).sum()), len(y)

    def validate(self, model: torch.nn.Module) -> tuple[float, float]:
        return evaluate(model, self.x_val, self.y_val)

    def to_onnx(self, model: torch.nn.Module, path: Path) -> float:
        to_onnx(model, self.experiment.input_size, path)
        return parity(model, path, evaluation.prepare_all(self.experiment, self.split.x_test[:256]))


def to_onnx(model: torch.nn.Module, input_size: tuple[int, int], path: Path) -> None:
    """Write model + softmax as ONNX: input "image" (N, 1, H, W) in 0..1, output "probabilities" (N, classes)."""
    wrapped = torch.nn.Sequential(model, torch.nn.Softmax(dim=1))
    batch = torch.export.Dim("batch", min=1, max=65536)
    write_onnx(wrapped, (torch.zeros(2, 1, *input_size),), path, ["image"], ["probabilities"], ({0: batch},))


def parity(model: torch.nn.Module, path: Path, images: np.ndarray) -> float:
    """Largest difference between ONNX Runtime's and PyTorch's probabilities on the same inputs."""
    with torch.no_grad():
        expected = torch.softmax(model.eval().cpu()(as_tensor(images)), dim=1).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    actual = session.run(None, {"image": with_channels(images)})[0]
    return float(np.abs(actual - expected).max())
