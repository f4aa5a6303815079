"""Text generators: character-level language models that continue a prompt one character at a time.

The served model is one step of the network: a character and the network's memory in, log-probabilities
of the next character and the new memory out. Generation loops over it in NumPy, so it can stream each
character as it is made and stop the moment nobody is reading.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Iterator

import numpy as np

from mlsandbox.kinds import Experiment, Recipe
from mlsandbox.runtime import open_session

PLACEHOLDER = "\ufffd"  # stands for every character the training text never had
MAX_PROMPT, MAX_LENGTH = 2000, 5000  # characters
TEMPERATURES = (0.05, 2.0)
TOP = 5  # alternatives reported with each generated character


def vocabulary(text: str) -> list[str]:
    """The placeholder for unseen characters, then every character of the training text in code order."""
    return [PLACEHOLDER, *sorted(set(text) - {PLACEHOLDER})]


class BadRequest(ValueError):
    """A generation request out of bounds; the message says what is allowed."""


@dataclass(frozen=True, kw_only=True)
class TextRecipe(Recipe):
    context: int = 256  # characters per training sequence
    steps_per_epoch: int = 500  # sequences are drawn at random places, so an epoch is a number of steps

    def quick(self) -> "TextRecipe":
        return dataclasses.replace(self, epochs=1, steps_per_epoch=40, batch_size=8, context=min(self.context, 64),
                                   warmup=0.25)


@dataclass(frozen=True, kw_only=True)
class TextGenerator(Experiment):
    kind: ClassVar[str] = "text generator"
    web: ClassVar[str] = "mlsandbox.web.text_generator"
    selected_by: ClassVar[str] = "val_loss"  # nats per character on the held-out documents
    higher_is_better: ClassVar[bool] = False

    prompts: tuple[str, ...]  # starting lines offered on the page

    def details(self) -> dict:
        return {"prompts": list(self.prompts), "max_prompt": MAX_PROMPT, "max_length": MAX_LENGTH,
                "temperatures": list(TEMPERATURES), "top": TOP}

    def headline(self, metrics: dict) -> str:
        return f"{metrics['nats_per_char']:.3f} nats per character on held-out text"

    def open_runtime(self, path: Path | None = None) -> "Generator":
        return Generator(self, path)

    def evaluate(self, data, model_path: Path | None = None):
        return Generator(self, model_path).score(data.test), {}

    def training_task(self, data, recipe: TextRecipe):
        from mlsandbox.kinds.text_generator_training import TextTask

        return TextTask(self, data, recipe)

    def predict(self, inputs: list[str], as_json: bool, top: int | None, model_path: Path | None = None) -> int:
        """`mlsandbox predict`: the most likely next characters after each text."""
        model = self.open_runtime(model_path)
        for text in inputs:
            ranked = model.next_characters(text, top or TOP)
            if as_json:
                print(json.dumps({"input": text, "next": [{"character": c, "probability": p} for c, p in ranked]}))
            else:
                print(f"{text!r} -> " + ", ".join(f"{c!r} {p:.1%}" for c, p in ranked))
        return 0


def check_request(prompt: str, length: int, temperature: float, top_k: int | None) -> None:
    """Raise BadRequest unless the generation request is within bounds."""
    if not prompt.strip():
        raise BadRequest("The prompt is empty: type the start of a text for the model to continue.")
    if len(prompt) > MAX_PROMPT:
        raise BadRequest(f"The prompt has {len(prompt):,} characters; the limit is {MAX_PROMPT:,}.")
    if any(ord(c) < 32 and c not in "\n\t" for c in prompt):
        raise BadRequest("The prompt holds control characters; only text, new lines and tabs can be read.")
    if not 1 <= length <= MAX_LENGTH:
        raise BadRequest(f"The length must be from 1 to {MAX_LENGTH:,} characters, not {length}.")
    if not TEMPERATURES[0] <= temperature <= TEMPERATURES[1]:
        raise BadRequest(f"The temperature must be from {TEMPERATURES[0]} to {TEMPERATURES[1]}, not {temperature}.")
    if top_k is not None and top_k < 1:
        raise BadRequest(f"top_k must be at least 1, not {top_k}.")


class Generator:
    """The served step model. Its memory inputs are every input but "character" and "position"; each is
    fed back from the output at the same place after "log_probabilities"."""

    def __init__(self, experiment: TextGenerator, path: Path | None = None, threads: int = 1):
        self.experiment = experiment
        self.session, self.sha256 = open_session(experiment, path, threads)
        meta = self.session.get_modelmeta().custom_metadata_map
        self.vocabulary = json.loads(meta["vocabulary"])
        self.context = int(meta.get("context", 0))  # 0: no limit (a recurrent network)
        self.index = {c: i for i, c in enumerate(self.vocabulary)}
        self.memory_inputs = [i for i in self.session.get_inputs() if i.name not in ("character", "position")]

    def encode(self, text: str) -> np.ndarray:
        unknown = self.index[PLACEHOLDER]
        return np.array([self.index.get(c, unknown) for c in text], dtype=np.int64)

    def empty_memory(self, batch: int) -> list[np.ndarray]:
        return [np.zeros([d if isinstance(d, int) else batch for d in i.shape], dtype=np.float32)
                for i in self.memory_inputs]  # the one symbolic dimension is the batch

    def step(self, characters: np.ndarray, memory: list[np.ndarray], position: int):
        """One character for each of a batch of streams -> (batch, vocabulary) log-probabilities, new memory."""
        feed = {"character": characters, **{i.name: m for i, m in zip(self.memory_inputs, memory)}}
        if self.context:
            feed["position"] = np.array(position, dtype=np.int64)
        log_p, *memory = self.session.run(None, feed)
        return log_p, memory

    def next_characters(self, text: str, top: int) -> list[tuple[str, float]]:
        reader = Reader(self, 1)
        for c in self.encode(text):
            log_p = reader.feed(np.array([c]))
        p = np.exp(log_p[0])
        return [(self.vocabulary[i], float(p[i])) for i in np.argsort(-p)[:top]]

    def generate(self, prompt: str, length: int, temperature: float = 0.8, top_k: int | None = None,
                 seed: int | None = None) -> Iterator[tuple[str, float, list[tuple[str, float]]]]:
        """Continue prompt one character at a time: (character, its probability, and the TOP most likely
        characters at that step with theirs), as the model weighed them before temperature and top-k."""
        check_request(prompt, length, temperature, top_k)
        rng = np.random.default_rng(seed)
        reader = Reader(self, 1)
        for c in self.encode(prompt):
            log_p = reader.feed(np.array([c]))[0]
        for _ in range(length):
            p = np.exp(log_p - log_p.max())
            p /= p.sum()
            weights = np.exp((log_p - log_p.max()) / temperature)
            if top_k is not None and top_k < len(weights):
                weights[np.argsort(-weights)[top_k:]] = 0
            chosen = int(rng.choice(len(weights), p=weights / weights.sum()))
            yield (self.vocabulary[chosen], round(float(p[chosen]), 5),
                   [(self.vocabulary[i], round(float(p[i]), 5)) for i in np.argsort(-p)[:TOP]])
            log_p = reader.feed(np.array([chosen]))[0]

    def score(self, text: str, streams: int = 64) -> dict:
        """Nats (and bits) per character of text, and next-character accuracy: text cut into `streams`
        pieces read side by side, each from an empty memory."""
        ids = self.encode(text)
        length = len(ids) // streams
        pieces = ids[: length * streams].reshape(streams, length)
        nats, right, reader = 0.0, 0, Reader(self, streams)
        for t in range(length - 1):
            log_p, target = reader.feed(pieces[:, t]), pieces[:, t + 1]
            nats -= float(log_p[np.arange(streams), target].sum())
            right += int((log_p.argmax(1) == target).sum())
        scored = streams * (length - 1)
        return {"nats_per_char": nats / scored, "bits_per_char": nats / scored / math.log(2),
                "accuracy": right / scored, "characters": scored}


class Reader:
    """The model reading texts side by side, one character of each at a time, its memory kept between calls.

    A transformer sees at most `context` characters: when its cache is full it starts again from the last
    half of what it read, so it can go on past its context."""

    def __init__(self, generator: Generator, streams: int):
        self.generator, self.streams = generator, streams
        self.memory, self.position, self.recent = generator.empty_memory(streams), 0, []

    def feed(self, characters: np.ndarray) -> np.ndarray:
        """(streams,) character ids -> (streams, vocabulary) log-probabilities of the next character."""
        g = self.generator
        if g.context and self.position == g.context:
            self.memory, self.position = g.empty_memory(self.streams), 0
            for c in self.recent[-(g.context // 2):]:
                _, self.memory = g.step(c, self.memory, self.position)
                self.position += 1
        log_p, self.memory = g.step(characters, self.memory, self.position)
        self.position += 1
        if g.context:
            self.recent = self.recent[-g.context:] + [characters]
        return log_p


def print_stream(pieces: Iterator[tuple[str, float, list]]) -> None:
    for character, _, _ in pieces:
        sys.stdout.write(character)
        sys.stdout.flush()
    sys.stdout.write("\n")
