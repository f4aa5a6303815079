"""The one training loop every experiment uses: seeded, validated, best epoch kept; the experiment's kind
supplies its batches, its loss and its validation (a Task). Also the image helpers its image kind uses."""

from __future__ import annotations

import copy
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm  # text bars: they work in a terminal and in Jupyter without ipywidgets

from mlsandbox.assets import cache_dir
from mlsandbox.imaging import with_channels
from mlsandbox.kinds import ARTIFACTS_ENV, FAST_ENV, Experiment, Recipe, fast_mode  # noqa: F401  (theirs, here too)

FAST_SUBSET = 2_000


def use_fast_artifacts() -> Path:
    """Send exports to a scratch directory in the cache, unless MLSANDBOX_ARTIFACTS already names one.

    Fast runs call this before exporting, so a quick look never overwrites the committed models.
    Returns the directory that now holds every experiment's artifacts."""
    if not os.environ.get(ARTIFACTS_ENV):
        os.environ[ARTIFACTS_ENV] = str(cache_dir() / "fast-artifacts")
    return Path(os.environ[ARTIFACTS_ENV])


def quick(recipe: Recipe) -> Recipe:
    """The same recipe cut short for fast mode (Recipe.quick)."""
    return recipe.quick()


@dataclass
class Result:
    model: torch.nn.Module  # with the weights of the best validation epoch
    recipe: Recipe
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    seconds: float = 0.0
    device: str = "cpu"
    stopped: bool = False  # a watcher stopped it before its last epoch


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def as_tensor(images: np.ndarray) -> torch.Tensor:
    """(N, H, W) drawings or (N, C, H, W) pictures -> an (N, C, H, W) float tensor."""
    return torch.from_numpy(np.ascontiguousarray(with_channels(images)))


# Convolutions train about 1.3x faster on a CPU with images stored channels last: the same numbers in
# another memory order.
LAYOUT = torch.channels_last


def augment(x: torch.Tensor, recipe: Recipe, generator: torch.Generator, carried: int = 0) -> torch.Tensor:
    """Per image: a random stroke thickening, colour gains and mirror, then rotation, scale and shift, and
    optionally an elastic distortion, as one warp. The last `carried` channels (a map of the picture, not
    its colours) are moved with it but keep their values."""
    if not recipe.augment:
        return x
    n, _, height, width = x.shape
    uniform = lambda low, high: torch.rand(n, generator=generator) * (high - low) + low  # noqa: E731
    recipe = recipe.augmentation()
    if recipe.thicken:
        x = torch.maximum(x, F.max_pool2d(x, 3, stride=1, padding=1) * uniform(0, recipe.thicken).view(n, 1, 1, 1))
    if recipe.colour:
        colours = x.shape[1] - carried
        gains = 1 + (torch.rand(n, colours, 1, 1, generator=generator) * 2 - 1) * recipe.colour
        brightness = 1 + (torch.rand(n, 1, 1, 1, generator=generator) * 2 - 1) * recipe.colour
        x = torch.cat([(x[:, :colours] * gains * brightness).clamp(0, 1), x[:, colours:]], 1)
    if recipe.flip:
        mirrored = torch.rand(n, generator=generator) < 0.5
        x = torch.where(mirrored.view(n, 1, 1, 1), x.flip(3), x)
    if not (recipe.rotate_degrees or recipe.shift or recipe.scale != (1.0, 1.0) or recipe.elastic):
        return x
    angle = uniform(-recipe.rotate_degrees, recipe.rotate_degrees) * math.pi / 180
    zoom = uniform(*recipe.scale)
    tx, ty = uniform(-recipe.shift, recipe.shift) * 2, uniform(-recipe.shift, recipe.shift) * 2
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, [n, 1, height, width], align_corners=False)
    if recipe.elastic:
        grid = grid + elastic_field(n, height, width, recipe.elastic, generator)
    edges = "zeros" if x.shape[1] == 1 else "border"  # no ink past a drawing's edge; a photo's edge goes on
    return F.grid_sample(x, grid.to(x.device), align_corners=False, padding_mode=edges)


def elastic_field(n: int, height: int, width: int, strength: float, generator: torch.Generator,
                  sigma: float = 4.0) -> torch.Tensor:
    """Smooth random displacements (Simard et al., 2003): uniform noise blurred by a Gaussian of sigma
    pixels, times strength pixels; returned in grid_sample's units, shaped (n, height, width, 2)."""
    noise = torch.rand(n * 2, 1, height, width, generator=generator) * 2 - 1
    radius = math.ceil(2 * sigma)
    taps = torch.exp(-torch.arange(-radius, radius + 1) ** 2 / (2 * sigma**2))
    taps = taps / taps.sum()
    blurred = F.conv2d(F.conv2d(noise, taps.view(1, 1, -1, 1), padding=(radius, 0)), taps.view(1, 1, 1, -1),
                       padding=(0, radius))
    pixels_to_grid = torch.tensor([2 / width, 2 / height])
    return blurred.view(n, 2, height, width).permute(0, 2, 3, 1) * strength * pixels_to_grid


def moving_average(model: torch.nn.Module, decay: float) -> torch.optim.swa_utils.AveragedModel:
    """An exponential moving average of the weights (and batch-norm statistics); its decay warms up
    as (1 + n) / (10 + n), so early on it follows the model closely."""
    def update(averaged: torch.Tensor, current: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
        d = min(decay, (1 + int(n)) / (10 + int(n)))
        return averaged * d + current * (1 - d)

    return torch.optim.swa_utils.AveragedModel(model, avg_fn=update, use_buffers=True)


def rescale_learning_rate(optimizer: torch.optim.Optimizer, factor: float) -> None:
    """Multiply the learning rate now and the schedule's peak, start and end by factor (OneCycleLR reads those
    from each parameter group at every step), so the rest of the schedule keeps its shape."""
    for group in optimizer.param_groups:
        for key in ("lr", "initial_lr", "max_lr", "min_lr"):
            if key in group:
                group[key] *= factor


@torch.no_grad()
def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000,
             keep: list | None = None) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of a classifier; into keep, if given, its probabilities (on the CPU)."""
    model.eval()
    run = device()
    losses, correct = 0.0, 0
    for start in range(0, len(y), batch_size):
        xb, yb = x[start : start + batch_size].to(run), y[start : start + batch_size].to(run)
        logits = model(xb)
        losses += F.cross_entropy(logits, yb, reduction="sum").item()
        correct += (logits.argmax(1) == yb).sum().item()
        if keep is not None:
            keep.append(torch.softmax(logits, 1).cpu())
    return losses / len(y), correct / len(y)


class Watcher(Protocol):
    """Who watches fit from outside (the lab's event log): told of each step and validation, and asked before
    each step whether to stop or to change the peak learning rate."""

    def started(self, task: "Task", recipe: Recipe, total_steps: int) -> None: ...

    def stepped(self, step: int, epoch: int, loss: float, right: int, counted: int, learning_rate: float) -> None: ...

    def validated(self, record: dict, best: bool, task: "Task", model: torch.nn.Module) -> None: ...

    def orders(self) -> tuple[bool, float | None]:
        """(stop now, the new peak learning rate or None)."""


class Task(Protocol):
    """What an experiment's kind hands the training loop (its training_task hook)."""

    steps_per_epoch: int

    def batches(self, generator: torch.Generator) -> Iterator[Any]:
        """One epoch of training batches, on the device, drawn with generator."""

    def loss(self, model: torch.nn.Module, batch: Any) -> tuple[torch.Tensor, int, int]:
        """The batch's mean loss (to minimise), how many predictions were right, and of how many."""

    def validate(self, model: torch.nn.Module) -> tuple[float, float]:
        """Validation loss and accuracy, in eval mode."""

    def to_onnx(self, model: torch.nn.Module, path: Path) -> float:
        """Write the served ONNX model; return its largest difference from PyTorch on the same inputs."""


def fit(
    experiment: Experiment,
    data,
    recipe: Recipe | None = None,
    on_step: Callable[[torch.nn.Module, int], None] | None = None,
    net: dict | None = None,
    watcher: Watcher | None = None,
) -> Result:
    """Train experiment's network (build_net(**net)) on data's training part, choose the epoch by its validation
    part, never touch its test part. A watcher may stop it between steps: then the best epoch so far is kept
    (best_epoch 0 if none was validated)."""
    recipe = recipe or experiment.recipe
    torch.manual_seed(recipe.seed)
    generator = torch.Generator().manual_seed(recipe.seed)
    run = device()
    task = experiment.training_task(data, recipe)
    model = experiment.build_net(**(net or {})).to(run, memory_format=LAYOUT)
    averaged = moving_average(model, recipe.ema) if recipe.ema else None
    shipped = averaged.module if averaged else model  # the weights that are validated and exported

    # A network may train its parts differently (mlsandbox.nets.mobilenet_v2.MobileNetV2Transfer): each group
    # at lr_scale of the recipe's learning rate, some only from_epoch on, and some with Adam's betas of their
    # own (a GAN's: then the schedule leaves them be, rather than cycling the first with the learning rate).
    groups = model.parameter_groups() if hasattr(model, "parameter_groups") else [{"params": list(model.parameters())}]
    optimizer = torch.optim.AdamW([{k: v for k, v in g.items() if k in ("params", "betas")} for g in groups],
                                  lr=recipe.learning_rate, weight_decay=recipe.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=[recipe.learning_rate * g.get("lr_scale", 1.0) for g in groups],
        total_steps=recipe.epochs * task.steps_per_epoch, pct_start=recipe.warmup,
        cycle_momentum=not any("betas" in g for g in groups),
    )
    checkpoint = cache_dir() / "runs" / experiment.id / "best.pt"
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    result = Result(model=model, recipe=recipe, device=str(run))
    best, best_state, step, peak = None, None, 0, recipe.learning_rate
    started = time.perf_counter()
    if watcher:
        watcher.started(task, recipe, recipe.epochs * task.steps_per_epoch)

    for epoch in range(1, recipe.epochs + 1):
        for group in groups:
            if "from_epoch" in group:
                for parameter in group["params"]:
                    parameter.requires_grad_(epoch >= group["from_epoch"])
        model.train()
        seen, loss_sum, correct = 0, 0.0, 0
        bar = tqdm(task.batches(generator), total=task.steps_per_epoch, leave=False,
                   desc=f"{experiment.id} epoch {epoch}/{recipe.epochs}")
        for i, batch in enumerate(bar):
            if watcher:
                stop, new_peak = watcher.orders()
                if new_peak:
                    rescale_learning_rate(optimizer, new_peak / peak)
                    peak = new_peak
                if stop:
                    result.stopped = True
                    break
            loss, right, counted = task.loss(model, batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            if averaged:
                averaged.update_parameters(model)
            step += 1
            seen += counted
            loss_sum += loss.item() * counted
            correct += right
            if i % 20 == 0:
                bar.set_postfix(loss=f"{loss_sum / seen:.4f}", accuracy=f"{correct / seen:.4f}")
            if on_step is not None:
                on_step(shipped, step)
                model.train()
            if watcher:
                watcher.stepped(step, epoch, loss.item(), right, counted, optimizer.param_groups[0]["lr"])
        if result.stopped:
            break
        val_loss, val_accuracy = task.validate(shipped)
        record = {
            "epoch": epoch,
            "train_loss": loss_sum / seen,
            "train_accuracy": correct / seen,
            "val_loss": val_loss,
            "val_accuracy": val_accuracy,
            "seconds": time.perf_counter() - started,
        }
        result.history.append(record)
        score = record[experiment.selected_by]
        if best is None or (score > best if experiment.higher_is_better else score < best):
            best, result.best_epoch = score, epoch
            best_state = copy.deepcopy(shipped.state_dict())
            torch.save(best_state, checkpoint)
        tqdm.write(
            f"{experiment.id} epoch {epoch}: train loss {record['train_loss']:.4f} accuracy "
            f"{record['train_accuracy']:.4f} | validation loss {val_loss:.4f} accuracy {val_accuracy:.4f}"
            + (" (best)" if result.best_epoch == epoch else "")
        )
        if watcher:
            watcher.validated(record, result.best_epoch == epoch, task, shipped)

    result.seconds = time.perf_counter() - started
    if best_state is not None:
        shipped.load_state_dict(best_state)
    result.model = shipped.to(memory_format=torch.contiguous_format).eval()
    return result
