"""The torch side of hand landmark readers: the pose network learns from hand features (data.hands.points),
is chosen by its accuracy on every validation render (a render where no hand was seen counts as wrong), and
is served as an ONNX graph from "points" (N, 63) to "probabilities". The recipe's flip mirrors half of each
batch: a left hand's features are a right hand's with x negated. The lab draws its examples as the hand's
bones."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
import torch.nn.functional as F

from mlsandbox.data import Split
from mlsandbox.export import write_onnx
from mlsandbox.kinds.hand_landmarks import BONES, HandLandmarks
from mlsandbox.kinds.image_classifier import ImageRecipe
from mlsandbox.kinds.image_classifier_training import PICTURE_SIDE, SHOWN, class_view, followed
from mlsandbox.lab import pictures
from mlsandbox.train import device


class PointsTask:
    def __init__(self, experiment: HandLandmarks, split: Split, recipe: ImageRecipe):
        self.experiment, self.split, self.recipe = experiment, split, recipe
        self.x_train, self.y_train = torch.from_numpy(split.x_train), torch.from_numpy(split.y_train)
        self.seen_val = torch.from_numpy(~np.isnan(split.x_val).any(axis=1))
        self.x_val, self.y_val = torch.from_numpy(np.nan_to_num(split.x_val)), torch.from_numpy(split.y_val)
        self.steps_per_epoch = max(1, len(split.y_train) // recipe.batch_size)  # whole batches, for batch norm

    def batches(self, generator: torch.Generator):
        order = torch.randperm(len(self.y_train), generator=generator)
        for i in range(self.steps_per_epoch):
            index = order[i * self.recipe.batch_size : (i + 1) * self.recipe.batch_size]
            x = self.x_train[index].clone()
            if self.recipe.flip and self.recipe.augment:
                x[torch.rand(len(x), generator=generator) < 0.5, 0::3] *= -1
            yield x.to(device()), self.y_train[index].to(device())

    def loss(self, model: torch.nn.Module, batch) -> tuple[torch.Tensor, int, int]:
        x, y = batch
        logits = model(x)
        loss = F.cross_entropy(logits, y, label_smoothing=self.recipe.label_smoothing)
        return loss, int((logits.argmax(1) == y).sum()), len(y)

    @torch.no_grad()
    def validate(self, model: torch.nn.Module) -> tuple[float, float]:
        logits = model.eval()(self.x_val.to(device())).cpu()
        seen = self.seen_val
        loss = float(F.cross_entropy(logits[seen], self.y_val[seen])) if seen.any() else math.inf
        return loss, float(((logits.argmax(1) == self.y_val) & seen).float().mean())

    @functools.cached_property
    def shown(self) -> np.ndarray:
        """The validation renders the lab follows, among those where a hand was seen (ImageTask.shown)."""
        seen = np.flatnonzero(self.seen_val.numpy())
        return seen[followed(self.split.y_val[seen], SHOWN)]

    def picture(self, i: int) -> str:
        """Validation render i's hand, as its bones: the 21 points' x and y (upright, from the features)."""
        return pictures.data_url(pictures.skeleton(self.split.x_val[i].reshape(21, 3)[:, :2], BONES, PICTURE_SIDE))

    def lab_examples(self) -> dict:
        return {"labels": list(self.experiment.labels),
                "examples": [{"image": self.picture(i), "label": int(self.split.y_val[i])} for i in self.shown]}

    @torch.no_grad()
    def lab_view(self, model: torch.nn.Module) -> dict:
        """As an image classifier's (ImageTask.lab_view), where a render with no hand seen has no guess; the
        network reads points, so there are no filters or feature maps to draw."""
        confidence, guess = torch.softmax(model.eval()(self.x_val.to(device())), 1).cpu().max(1)
        guess = torch.where(self.seen_val, guess, -1)
        view = class_view(guess.numpy(), confidence.numpy(), self.split.y_val, len(self.experiment.labels),
                          self.shown, self.picture)
        return {**view, "filters": None, "activations": []}

    def to_onnx(self, model: torch.nn.Module, path: Path) -> float:
        wrapped = torch.nn.Sequential(model.eval().cpu(), torch.nn.Softmax(dim=1))
        batch = torch.export.Dim("batch", min=1, max=65536)
        write_onnx(wrapped, (torch.zeros(2, 63),), path, ["points"], ["probabilities"], ({0: batch},))
        points = self.split.x_train[:256]
        with torch.no_grad():
            expected = wrapped(torch.from_numpy(points)).numpy()
        actual = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"points": points})[0]
        return float(np.abs(actual - expected).max())
