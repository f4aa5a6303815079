"""Kinds of model. Each kind is one module here, and everything of it that does not need torch is in it:

- an Experiment subclass with the fields only that kind needs, and the hooks of mlsandbox.experiments
  (details, open_runtime, evaluate, training_task) and of the command line (predict);
- its runtime class: ONNX Runtime in, plain Python results out;
- the name of its web module (mlsandbox.web.<kind>: its API routes) and of its page component.

Its training side (batches, loss, ONNX export) is mlsandbox.kinds.<kind>_training, imported only to train.
Adding a kind adds such modules; the registry, the CLI, the web app and the training loop stay as they are.
This module holds what every kind shares: the Experiment and Recipe they extend.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar

from mlsandbox.assets import Asset
from mlsandbox.settings import FRACTION, Setting, SettingError, spelled

ARTIFACTS_ENV = "MLSANDBOX_ARTIFACTS"
FAST_ENV = "MLSANDBOX_FAST"  # "1": a small subset and one epoch, for tests and quick looks
PACKAGE_ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def fast_mode() -> bool:
    return os.environ.get(FAST_ENV) == "1"


@dataclass(frozen=True, kw_only=True)
class Recipe:
    """How a network is trained: a few plain numbers, as they appear in the notebook. Each kind of model
    adds its own (augmentation for images, context length for text)."""

    epochs: int
    batch_size: int = 128
    learning_rate: float = 3e-3
    weight_decay: float = 5e-4
    warmup: float = 0.2  # fraction of the steps over which the learning rate rises to its peak
    ema: float = 0.0  # if > 0, validate and ship an exponential moving average of the weights
    seed: int = 0

    def quick(self) -> "Recipe":
        """The same recipe cut to one epoch, for fast mode, in batches of 32: a small subset then still
        makes enough steps to learn something."""
        return dataclasses.replace(self, epochs=1, batch_size=32)


@dataclass(frozen=True, kw_only=True)
class Experiment:
    """What every experiment declares. Each kind of model (mlsandbox.kinds) subclasses it with the fields
    only it needs, and with the hooks the rest of the project calls: the CLI, the web app, the training
    loop and the export never ask which kind they hold."""

    id: str
    title: str
    summary: str
    family: str  # experiments of one family share a demo and are compared side by side
    demo: str  # the page component that plays with it, e.g. "draw"
    assets: tuple[Asset, ...]
    load_data: Callable[[], Any]  # -> the kind's data: a data.Split, a data.TextSplit, ...
    # -> load_data's test part alone (its other parts empty), where they cost much to build: see test_data
    load_test: Callable[[], Any] | None = None
    build_net: Callable[..., Any]  # (**network settings) -> torch.nn.Module (torch is imported only when called)
    recipe: Recipe
    settings: tuple[Setting, ...] = ()  # what a learner may change in the lab and with `train --set`
    quick: dict[str, Any] = field(default_factory=dict)  # the quick preset: settings changed for a short run

    kind: ClassVar[str]  # the kind's name, as the API reports it
    pretrained: ClassVar[bool] = False  # imported, not trained here: make_model imports it
    selected_by: ClassVar[str] = "val_accuracy"  # the validation figure that picks the epoch to ship
    higher_is_better: ClassVar[bool] = True

    @property
    def artifact_dir(self) -> Path:
        return Path(os.environ.get(ARTIFACTS_ENV) or PACKAGE_ARTIFACTS) / self.id

    @property
    def model_path(self) -> Path:
        return self.artifact_dir / "model.onnx"

    def card(self) -> dict | None:
        path = self.artifact_dir / "card.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def best_epoch(self, history: list[dict]) -> int:
        """The first epoch (from 1) with the best validation figure: the one training ships."""
        values = [h[self.selected_by] for h in history]
        return values.index(max(values) if self.higher_is_better else min(values)) + 1

    @property
    def remake(self) -> str:
        """The command that makes the model again: trains it, or imports it."""
        return f"mlsandbox train {self.id}"

    def what(self) -> str:
        """"digits_cnn is an image classifier": for messages."""
        return f"{self.id} is {'an' if self.kind[0] in 'aeiou' else 'a'} {self.kind}"

    def headline(self, metrics: dict) -> str:
        """The held-out figure that sums the model up, in words, as `mlsandbox list` and the home page show it."""
        return f"{metrics['accuracy']:.2%} test accuracy"

    def test_data(self):
        """What evaluate scores, and no more where the experiment can build it alone: its test part."""
        return (self.load_test or self.load_data)()

    def shipped_settings(self) -> dict[str, Any]:
        """Each setting's value in the shipped recipe: a recipe field, a default of build_net, or the whole
        training part."""
        builder = inspect.signature(self.build_net).parameters
        return {s.name: 1.0 if s.name == FRACTION else getattr(self.recipe, s.name, None)
                if hasattr(self.recipe, s.name) else builder[s.name].default for s in self.settings}

    def presets(self) -> dict[str, dict[str, Any]]:
        shipped = self.shipped_settings()
        return {"quick": {**shipped, **self.quick}, "shipped": shipped}

    def not_trainable(self) -> str | None:
        """Why the lab cannot train this experiment, or None."""
        if self.pretrained:
            return (f"{self.id} is not trained here: its weights are imported from a published model "
                    f"(`{self.remake}` converts them), so there is no recipe to change.")
        return None if self.settings else f"{self.id} declares no settings a learner may change."

    def choose_settings(self, changes: dict[str, Any], preset: str = "shipped") -> dict[str, Any]:
        """Every setting's value: the preset's, with changes checked and put over it; SettingError says what
        to change."""
        if reason := self.not_trainable():
            raise SettingError(reason)
        presets = self.presets()
        if preset not in presets:
            raise SettingError(f"There is no preset {preset!r}: choose one of {', '.join(presets)}.")
        known = {s.name: s for s in self.settings}
        for name in changes:
            if name not in known:
                raise SettingError(f"{self.id} has no setting {name!r}; it has: {', '.join(known)}.")
        return {**presets[preset], **{name: known[name].check(value) for name, value in changes.items()}}

    def changed_settings(self, values: dict[str, Any]) -> dict[str, Any]:
        """Of values, those that differ from the shipped recipe."""
        shipped = self.shipped_settings()
        return {name: value for name, value in values.items() if shipped.get(name) != value}

    def plan(self, values: dict[str, Any]) -> tuple[Recipe, dict[str, Any], float]:
        """Chosen settings -> the recipe to train with, build_net's keywords, and the share of training data."""
        fields = {f.name for f in dataclasses.fields(self.recipe)}
        builder = inspect.signature(self.build_net).parameters
        recipe = dataclasses.replace(self.recipe, **{k: v for k, v in values.items() if k in fields})
        return recipe, {k: v for k, v in values.items() if k in builder}, values.get(FRACTION, 1.0)

    def train_command(self, values: dict[str, Any] | None = None) -> str:
        """The command that trains this model again with values (the shipped recipe where they agree)."""
        changed = self.changed_settings(values or {})
        return " ".join([self.remake, *(f"--set {spelled(k, v)}" for k, v in changed.items())])

    # The hooks each kind implements.

    def details(self) -> dict:
        """What the page needs to know of this kind of experiment (labels, prompts, limits)."""
        raise NotImplementedError

    def open_runtime(self, path: Path | None = None):
        """The served model (ONNX Runtime, no torch); the committed one, checked against its card, by default."""
        raise NotImplementedError

    def evaluate(self, data, model_path: Path | None = None) -> tuple[dict, dict[str, Callable[[Path], None]]]:
        """Test metrics of the exported model on data's test part, and pictures to draw into files by name."""
        raise NotImplementedError

    def training_task(self, data, recipe: Recipe):
        """The torch side: batches, loss, validation and ONNX export (see mlsandbox.train.Task)."""
        raise NotImplementedError

    def predict(self, inputs: list[str], as_json: bool, top: int | None, model_path: Path | None = None) -> int:
        """`mlsandbox predict ID INPUT...`: print what the model says of each input; the exit status."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class Pretrained:
    """Mixed into an experiment whose network is imported from published weights rather than trained here:
    the pinned files the import reads, and the import, which `mlsandbox train ID` runs instead of training."""

    pretrained: ClassVar[bool] = True
    recipe: None = None
    build_net: Callable | None = None  # the network the weights load into, if it is ours (not a converted one)
    sources: tuple[Asset, ...] = ()  # read by the import only; serving needs none of them
    import_model: Callable[[Any], dict]  # experiment -> its card, written with the model

    def make_model(self, fast: bool = False) -> dict:
        return self.import_model(self)


def report_refusal(field: str, value: str, message: str, as_json: bool, shown: str | None = None) -> None:
    """`mlsandbox predict` on an input the model cannot take: a JSON line, or a line on standard error."""
    if as_json:
        print(json.dumps({field: value, "error": message}))
    else:
        print(f"mlsandbox: {shown or value}: {message}", file=sys.stderr)
