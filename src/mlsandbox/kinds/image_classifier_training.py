"""The torch side of image classifiers: augmented batches, cross-entropy, the ONNX graph that is served, and
the lab's views of a network in training (lab_examples, lab_view)."""

from __future__ import annotations

import functools
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
from mlsandbox.lab import pictures
from mlsandbox.train import LAYOUT, as_tensor, augment, device, evaluate

SHOWN, MISTAKES, CONFUSED = 16, 8, 10  # validation examples followed, wrong ones shown, confused pairs listed
CONFUSION_LIMIT = 20  # classes; with more, the lab sends the most confused pairs and not the whole matrix
PICTURE_SIDE = 48  # pixels: an example's picture is shrunk to at most this
# Pixels of first-layer weights drawn: 64 units' 28x28 weights, fewer units of a larger picture (weights of
# an untrained layer are noise, which does not compress: this keeps their PNG under about 45 KB).
FILTER_PIXELS = 64 * 28 * 28
MAPS, COLUMNS = 16, 8  # feature maps drawn per stage; pictures in a row of tiles
TILE = 24  # pixels: a smaller filter or feature map is enlarged to about this


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
        self.validated: list[torch.Tensor] = []  # the probabilities, for lab_view: the watcher calls it next
        return evaluate(model, self.x_val, self.y_val, keep=self.validated)

    @functools.cached_property
    def shown(self) -> np.ndarray:
        """The validation examples the lab follows (followed)."""
        return followed(self.split.y_val, SHOWN)

    def picture(self, i: int) -> str:
        """Validation example i as the page shows it."""
        image = self.x_val[i, :3].numpy()
        return pictures.data_url(pictures.shrunk(image[0] if len(image) == 1 else image, PICTURE_SIDE))

    def lab_examples(self) -> dict:
        """The labels and the validation examples the lab follows through the run."""
        return {"labels": list(self.experiment.labels),
                "examples": [{"image": self.picture(i), "label": int(self.split.y_val[i])} for i in self.shown]}

    @torch.no_grad()
    def probabilities(self, model: torch.nn.Module, batch_size: int = 1000) -> torch.Tensor:
        """(N, classes) on the validation examples, in eval mode, on the CPU."""
        model.eval()
        return torch.cat([torch.softmax(model(self.x_val[i : i + batch_size].to(device())), 1).cpu()
                          for i in range(0, len(self.y_val), batch_size)])

    @torch.no_grad()
    def lab_view(self, model: torch.nn.Module) -> dict:
        """How the network does on the validation examples, and what its first layer and stages see."""
        kept, self.validated = getattr(self, "validated", None), None  # validate's, on these same weights
        confidence, guess = (torch.cat(kept) if kept else self.probabilities(model)).max(1)
        view = class_view(guess.numpy(), confidence.numpy(), self.split.y_val, len(self.experiment.labels),
                          self.shown, self.picture)
        return {**view, "filters": filters(model, tuple(self.x_val.shape[1:])),
                "activations": activations(model, self.x_val[int(self.shown[0])][None])}

    def to_onnx(self, model: torch.nn.Module, path: Path) -> float:
        to_onnx(model, self.experiment.input_size, path)
        return parity(model, path, evaluation.prepare_all(self.experiment, self.split.x_test[:256]))


def followed(labels: np.ndarray, count: int) -> np.ndarray:
    """The validation examples the lab follows: each class's first, in class order, then each class's
    second, and so on, until count (so that every class shows, where there are no more than count)."""
    rank = np.zeros(len(labels), dtype=np.int64)  # how many of its class came before each example
    for label in np.unique(labels):
        members = labels == label
        rank[members] = np.arange(members.sum())
    return np.lexsort((labels, rank))[:count]


def class_view(guess: np.ndarray, confidence: np.ndarray, truth: np.ndarray, classes: int, shown: np.ndarray,
               picture) -> dict:
    """The lab's view of a classifier's validation guesses (one for each example, -1 where it made none; a
    missing guess is wrong): the confusion matrix (rows: the truth), each class's accuracy, the most confused
    pairs, the guesses on the followed examples and the surest mistakes, drawn by picture(i)."""
    made = guess >= 0
    matrix = evaluation.confusion_matrix(guess[made], truth[made], classes)
    right = np.bincount(truth[guess == truth], minlength=classes)
    counts = np.bincount(truth, minlength=classes)
    wrong = matrix.copy()
    np.fill_diagonal(wrong, 0)
    pairs = np.argsort(-wrong, axis=None, kind="stable")[:CONFUSED]
    mistakes = np.flatnonzero(made & (guess != truth))
    mistakes = mistakes[np.argsort(-confidence[mistakes], kind="stable")[:MISTAKES]]
    return {
        "confusion": matrix.tolist() if classes <= CONFUSION_LIMIT else None,
        "per_class": [round(float(r / c), 4) if c else None for r, c in zip(right, counts)],
        "confused": [{"truth": int(p // classes), "guess": int(p % classes), "count": int(wrong.flat[p])}
                     for p in pairs if wrong.flat[p]],
        "guesses": [{"label": int(guess[i]) if made[i] else None, "probability": round(float(confidence[i]), 4)}
                    for i in shown],
        "mistakes": [{"image": picture(i), "truth": int(truth[i]), "guess": int(guess[i]),
                      "probability": round(float(confidence[i]), 4)} for i in mistakes],
    }


def filters(model: torch.nn.Module, input_shape: tuple[int, int, int]) -> dict | None:
    """The first layer's weights as pictures: a first convolution's filters (in colour when it reads three
    channels), or the input weights of a fully connected layer's first units (FILTER_PIXELS, in whole rows)
    when it reads the whole (C, H, W) picture; None for any other first layer."""
    first = next((m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))), None)
    signs = "red where a brighter pixel raises it, blue where it lowers it"
    if isinstance(first, torch.nn.Conv2d) and first.in_channels in (1, 3) and first.groups == 1:
        maps = first.weight.detach().float().cpu().numpy()
        count, size, grey = len(maps), maps.shape[-1], first.in_channels == 1
        maps = maps[:, 0] if grey else maps
        caption = (f"first convolution: its {count} filters of {size}x{size} pixels, each "
                   + (signs if grey else "in the colours that raise it (grey: no preference)"))
    elif isinstance(first, torch.nn.Linear) and first.in_features == math.prod(input_shape):
        count = min(first.out_features, FILTER_PIXELS // first.in_features // COLUMNS * COLUMNS)
        maps = first.weight[:count].detach().float().cpu().numpy().reshape(count, *input_shape)
        size, maps = input_shape[-1], maps[:, 0] if input_shape[0] == 1 else maps
        caption = f"first layer: what {count} of its {first.out_features} units look for in the picture, {signs}"
    else:
        return None
    image = pictures.tiled(maps, signed=True, scale=max(1, round(TILE / size)), columns=COLUMNS)
    return {"image": pictures.data_url(image), "count": count, "caption": caption}


def stage_ends(features: torch.nn.Sequential) -> list[torch.nn.Module]:
    """The layers whose outputs end each stage of a CNN's features (mlsandbox.nets.cnn): the ReLU after each
    2x2 pooling (the CNN pools before it), and the layer before a global pooling (its maps, not one value)."""
    layers = list(features)
    ends = []
    for i, layer in enumerate(layers):
        if isinstance(layer, torch.nn.MaxPool2d):
            ends.append(layers[i + 1] if i + 1 < len(layers) and isinstance(layers[i + 1], torch.nn.ReLU) else layer)
        elif isinstance(layer, (torch.nn.AdaptiveMaxPool2d, torch.nn.AdaptiveAvgPool2d)) and i > 0:
            ends.append(layers[i - 1])
    return ends


@torch.no_grad()
def activations(model: torch.nn.Module, picture: torch.Tensor) -> list[dict]:
    """(1, C, H, W) picture -> each stage's first MAPS feature maps of it, tiled; [] for a network without
    pooled stages in `features`."""
    features = getattr(model, "features", None)
    ends = stage_ends(features) if isinstance(features, torch.nn.Sequential) else []
    seen: dict[torch.nn.Module, torch.Tensor] = {}

    def keep(layer, inputs, output) -> None:
        # A network that also reads the mirror image (nets.scores) runs its stages twice: the first is the picture.
        seen.setdefault(layer, output[0].float().cpu())

    hooks = [end.register_forward_hook(keep) for end in ends]
    try:
        if ends:
            model.eval()(picture.to(device()))
    finally:
        for hook in hooks:
            hook.remove()
    stages = []
    for n, end in enumerate(ends):
        maps = seen[end].numpy()
        channels, height, width = maps.shape
        stages.append({"stage": f"stage {n + 1}: {channels} channels, {height}x{width}",
                       "image": pictures.data_url(pictures.tiled(maps[:MAPS], scale=max(1, round(TILE / height)),
                                                                 columns=COLUMNS))})
    return stages


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
