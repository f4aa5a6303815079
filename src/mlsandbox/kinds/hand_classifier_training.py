"""The torch side of hand classifiers: the image classifier's batches and loss (or, for a network with frozen
lower blocks, their outputs computed once), and an ONNX graph with two outputs, the probabilities and the
features under them (for teaching a person's own hand)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

import torch.nn.functional as F
from tqdm import tqdm

from mlsandbox.export import write_onnx
from mlsandbox.kinds.image_classifier_training import ImageTask
from mlsandbox.runtime import open_session_at
from mlsandbox.train import LAYOUT, as_tensor, augment, device


NOISE = 0.045  # the most sensor noise on a backdrop (a standard deviation, as the renders' noise)


class Served(torch.nn.Module):
    """A network with embed (pictures -> features) and head (features -> logits), as it is served."""

    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net = net

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.net.embed(images)
        return torch.softmax(self.net.head(features), dim=1), features


class Lower(torch.nn.Module):
    """A network's frozen lower blocks alone."""

    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net = net

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net.lower(images)


class HandTask(ImageTask):
    """With backdrops (HandClassifier.backdrops), each training picture carries the hand's coverage as a
    fourth channel, and with chance recipe.new_backgrounds its hand is pasted onto a backdrop before the rest
    of the augmentation: the network sees each hand over many backgrounds, not only the one it was drawn on.
    The coverage moves with the picture, and with recipe.locate the network's locator also learns from it
    which cells of the last feature map are hand: features that fire on the hand, not on what is behind it."""

    def __init__(self, experiment, split, recipe):
        super().__init__(experiment, split, recipe)
        self.pasting = self.x_train.shape[1] == 4
        if self.pasting != (experiment.backdrops is not None):
            raise ValueError(f"{experiment.id}: backdrops need training pictures with the hand's coverage, and "
                             "pictures with coverage need backdrops")

    @functools.cached_property
    def backdrops(self) -> torch.Tensor:
        return as_tensor(self.experiment.backdrops())

    def augmented(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """(N, 3, S, S) pictures, augmented; with pasting, (N, 4, S, S): the coverage moved with them."""
        if not self.pasting:
            return super().augmented(x, generator)
        return augment(torch.cat([self.pasted(x, generator), x[:, 3:]], 1), self.recipe, generator, carried=1)

    def loss(self, model: torch.nn.Module, batch) -> tuple[torch.Tensor, int, int]:
        x, y = batch
        if not (self.pasting and self.recipe.locate):
            return super().loss(model, (x[:, :3], y))  # the pictures, without the coverage they carry
        logits, cells = model.located(x[:, :3])
        hand = F.avg_pool2d(x[:, 3:], x.shape[-1] // cells.shape[-1])  # the share of each cell that is hand
        loss = (F.cross_entropy(logits, y, label_smoothing=self.recipe.label_smoothing)
                + self.recipe.locate * F.binary_cross_entropy_with_logits(cells, hand))
        return loss, int((logits.argmax(1) == y).sum()), len(y)

    def pasted(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """(N, 4, S, S) pictures with the hand's coverage -> (N, 3, S, S), each hand moved with chance
        recipe.new_backgrounds onto a random backdrop (mirrored half the time, with a little sensor noise)."""
        n, pictures, cover = len(x), x[:, :3], x[:, 3:]
        chance = lambda p: (torch.rand(n, generator=generator) < p).view(n, 1, 1, 1)  # noqa: E731
        backdrops = self.backdrops[torch.randint(len(self.backdrops), (n,), generator=generator)]
        backdrops = torch.where(chance(0.5), backdrops.flip(3), backdrops)
        noise = torch.randn(backdrops.shape, generator=generator) * torch.rand(n, 1, 1, 1, generator=generator)
        moved = pictures * cover + (backdrops + NOISE * noise).clamp(0, 1) * (1 - cover)
        return torch.where(chance(self.recipe.new_backgrounds), moved, pictures)

    def write_graph(self, module: torch.nn.Module, path: Path, outputs: list[str]) -> None:
        """module, called on (N, 3, S, S) pictures named "image" for any N, as an ONNX graph at path."""
        batch = torch.export.Dim("batch", min=1, max=4096)
        write_onnx(module, (torch.zeros(2, 3, *self.experiment.input_size),), path, ["image"], outputs, ({0: batch},))

    def to_onnx(self, model: torch.nn.Module, path: Path) -> float:
        """Input "image" (N, 3, S, S) in 0..1; outputs "probabilities" (N, classes) and "features"."""
        served = Served(model.eval().cpu())
        self.write_graph(served, path, ["probabilities", "features"])
        images = self.split.x_test[:64]
        with torch.no_grad():
            expected = [t.numpy() for t in served(as_tensor(images))]
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        actual = session.run(None, {"image": images.astype(np.float32)})
        return max(float(np.abs(a - e).max()) for a, e in zip(actual, expected))


class FrozenLowerTask(HandTask):
    """For a network with frozen lower blocks (lower(x), then upper(h) -> logits): their output is computed
    once for `recipe.copies` augmented versions of each training picture and for the validation pictures, and each
    epoch trains the upper blocks and the head on one of the copies. The same training as running the whole
    network on freshly augmented pictures, with `copies` augmentations per picture instead of one per epoch,
    at a fraction of the cost. The frozen blocks run in ONNX Runtime, which computes them several times faster
    on a CPU than PyTorch does."""

    def __init__(self, experiment, split, recipe):
        super().__init__(experiment, split, recipe)
        self.h_train: list[torch.Tensor] = []  # the frozen blocks' output for each augmented copy made so far
        self.epochs_drawn = 0

    @functools.cached_property
    def lower(self) -> ort.InferenceSession:
        net = self.experiment.build_net()  # the frozen blocks are the same in every build
        with tempfile.TemporaryDirectory() as scratch:  # the session holds the graph; the file can go
            path = Path(scratch) / "lower.onnx"
            self.write_graph(Lower(net), path, ["lower"])
            return open_session_at(path, threads=torch.get_num_threads())

    @functools.cached_property
    def augmenting(self) -> torch.Generator:
        return torch.Generator().manual_seed(self.recipe.seed + 1)

    @torch.no_grad()
    def lower_of(self, x: torch.Tensor, augmented: bool, batch_size: int = 64) -> torch.Tensor:
        parts = []
        for i in tqdm(range(0, len(x), batch_size), leave=False, desc="frozen blocks"):
            batch = self.augmented(x[i : i + batch_size], self.augmenting) if augmented else x[i : i + batch_size]
            parts.append(torch.from_numpy(self.lower.run(None, {"image": np.ascontiguousarray(batch.numpy())})[0]))
        return torch.cat(parts)

    @functools.cached_property
    def h_val(self) -> torch.Tensor:
        return self.lower_of(self.x_val, augmented=False)

    def batches(self, generator: torch.Generator):
        if len(self.h_train) < self.recipe.copies:  # each copy is computed the first epoch it is used
            self.h_train.append(self.lower_of(self.x_train, augmented=True))
        h, y = self.h_train[self.epochs_drawn % self.recipe.copies], self.y_train
        self.epochs_drawn += 1
        order = torch.randperm(len(y), generator=generator)
        for i in range(self.steps_per_epoch):
            index = order[i * self.recipe.batch_size : (i + 1) * self.recipe.batch_size]
            yield h[index].to(device(), memory_format=LAYOUT), y[index].to(device())

    def loss(self, model: torch.nn.Module, batch) -> tuple[torch.Tensor, int, int]:
        h, y = batch
        logits = model.upper(h)
        loss = F.cross_entropy(logits, y, label_smoothing=self.recipe.label_smoothing)
        return loss, int((logits.argmax(1) == y).sum()), len(y)

    @torch.no_grad()
    def probabilities(self, model: torch.nn.Module, batch_size: int = 1000) -> torch.Tensor:
        """For the lab (ImageTask.lab_view): from the frozen blocks' output, as validate."""
        return torch.softmax(model.eval().upper(self.h_val.to(device(), memory_format=LAYOUT)), 1).cpu()

    @torch.no_grad()
    def validate(self, model: torch.nn.Module) -> tuple[float, float]:
        logits = model.eval().upper(self.h_val.to(device(), memory_format=LAYOUT))
        y = self.y_val.to(device())
        return float(F.cross_entropy(logits, y)), float((logits.argmax(1) == y).float().mean())
