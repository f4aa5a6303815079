"""What a learner may change of an experiment's training: declared with the experiment in the registry, and
the one place the page's form, the API's validation and `mlsandbox train ID --set KEY=VALUE` read from.

A setting's value goes where its name says: a field of the experiment's recipe (epochs, learning_rate), a
keyword of its network builder (width, dropout), or `fraction`, the share of the training part to train on.
Its default is the shipped one, read from the recipe or the builder, never written twice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FRACTION = "fraction"


def spelled(name: str, value: Any) -> str:
    """name=value as `--set` takes it: true and false for on and off."""
    return f"{name}={str(value).lower() if isinstance(value, bool) else value}"


class SettingError(ValueError):
    """A setting that cannot be used; the message says what to change."""


@dataclass(frozen=True)
class Setting:
    name: str
    type: type  # int, float or bool
    help: str
    low: float | None = None
    high: float | None = None
    log: bool = False  # spans orders of magnitude: the page's slider moves by factors
    cost: float = 0.0  # training time grows as (value / shipped value) ** cost
    step: int = 1  # whole numbers: a multiple of this

    def describe(self, default: Any) -> dict:
        return {"name": self.name, "type": self.type.__name__, "low": self.low, "high": self.high,
                "default": default, "help": self.help, "log": self.log, "step": self.step}

    def parse(self, text: str) -> Any:
        """A value typed on the command line ("3e-3", "true") -> this setting's type, checked."""
        if self.type is bool:
            if text.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                raise SettingError(f"{self.name} is on or off: give true or false, not {text!r}.")
            return self.check(text.lower() in ("true", "1", "yes", "on"))
        try:
            number = float(text)
        except ValueError:
            raise SettingError(f"{self.name} is a number{self.range()}, not {text!r}.") from None
        return self.check(int(number) if self.type is int and number.is_integer() else number)

    def check(self, value: Any) -> Any:
        """value, if it is of this setting's type and in its range; else SettingError saying what to give."""
        if self.type is bool:
            if not isinstance(value, bool):
                raise SettingError(f"{self.name} is on or off: give true or false, not {value!r}.")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise SettingError(f"{self.name} is a number{self.range()}, not {value!r}.")
        if self.type is int:
            if float(value) != int(value):
                raise SettingError(f"{self.name} is a whole number{self.range()}, not {value!r}.")
            value = int(value)
            if value % self.step:
                raise SettingError(f"{self.name} is a multiple of {self.step}: give {value - value % self.step} or "
                                   f"{value - value % self.step + self.step}, not {value}.")
        else:
            value = float(value)
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise SettingError(f"{self.name} = {value:g} is out of range: give a value{self.range()}.")
        return value

    def range(self) -> str:
        return f" from {self.low:g} to {self.high:g}" if self.low is not None and self.high is not None else ""


# The settings most experiments share; each kind picks its own and adds its network's.
EPOCHS = Setting("epochs", int, "Passes over the training data. More can fit better, or start to overfit.", 1, 100,
                 cost=1)
LEARNING_RATE = Setting("learning_rate", float, "The largest step the optimiser takes. Too high diverges, too low "
                        "crawls.", 1e-5, 0.3, log=True)
BATCH_SIZE = Setting("batch_size", int, "Examples per step. Larger batches take fewer, smoother steps.", 8, 1024,
                     log=True)
WEIGHT_DECAY = Setting("weight_decay", float, "Pulls every weight towards zero a little each step: a brake on "
                       "overfitting.", 0, 0.5)
DROPOUT = Setting("dropout", float, "The share of units switched off at random in training, so that none is "
                  "relied on alone.", 0, 0.8)
AUGMENT = Setting("augment", bool, "Show each training picture moved, turned and zoomed a little at random.")
AUGMENT_STRENGTH = Setting("augment_strength", float, "How far the random moves go, as a multiple of the shipped "
                           "recipe's.", 0, 3)
TRAINING_SHARE = Setting(FRACTION, float, "The share of the training pictures to learn from. Fewer makes "
                         "overfitting easy to see.", 0.01, 1, cost=1)
SEED = Setting("seed", int, "Starts the random draws: the same seed and settings train the same network.", 0,
               2**31 - 1)
STEPS_PER_EPOCH = Setting("steps_per_epoch", int, "Training steps between two validations.", 10, 2000, cost=1)

# Network settings several experiments share.
WIDTH = Setting("width", int, "Units in each hidden layer.", 8, 2048, log=True, cost=1.5)
DEPTH = Setting("depth", int, "Hidden layers, one after another.", 1, 4, cost=1)
CHANNELS = Setting("channels", int, "Filters in the first convolution; each later stage has twice as many.", 4, 64,
                   log=True, cost=1.7)
STAGES = Setting("stages", int, "Stages of convolutions, each followed by pooling to half the size.", 1, 3, cost=1)


def image_settings(*network: Setting) -> tuple[Setting, ...]:
    """An image classifier's settings: its network's, then how it is trained."""
    return (*network, EPOCHS, LEARNING_RATE, BATCH_SIZE, WEIGHT_DECAY, AUGMENT, AUGMENT_STRENGTH, TRAINING_SHARE, SEED)


# Recurrent and text networks.
HIDDEN = Setting("hidden", int, "The width of the LSTM's memory: numbers it carries from one character to the "
                 "next.", 8, 1024, log=True, cost=1.7)
LAYERS = Setting("layers", int, "Layers stacked one on another.", 1, 6, cost=1)
CONTEXT = Setting("context", int, "Characters in each training sequence: how far back the network learns to look.",
                  16, 512, log=True, cost=1)
WIDTH_OF_ATTENTION = Setting("width", int, "Numbers that stand for each character inside the transformer (a "
                             "multiple of its 4 heads).", 32, 512, log=True, cost=1.7, step=4)


def text_settings(width: Setting) -> tuple[Setting, ...]:
    """A text generator's settings: its network's width, then the rest."""
    return (width, LAYERS, CONTEXT, DROPOUT, EPOCHS, STEPS_PER_EPOCH, LEARNING_RATE, SEED)
