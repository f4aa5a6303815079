"""Sequence translators: a short text in, another text out, written one character at a time, with the
model's confidence in each character it wrote."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, ClassVar

import numpy as np

from mlsandbox.kinds import Experiment, Recipe, report_refusal
from mlsandbox.runtime import open_session

MAX_TEXT = 200  # characters a person may send; anything the model can read is far shorter


class Unreadable(ValueError):
    """A text the model cannot read; the message says what to type instead."""


@dataclass(frozen=True, kw_only=True)
class TranslatorRecipe(Recipe):
    steps_per_epoch: int = 500  # training draws fresh examples, so an epoch is a number of steps

    def quick(self) -> "TranslatorRecipe":
        return dataclasses.replace(self, epochs=1, steps_per_epoch=60, batch_size=32)


@dataclass(frozen=True)
class Translation:
    text: str  # the input as the model read it
    output: str
    characters: list[dict]  # per written character: the character, its probability, the runners-up
    expected: str | None  # the right answer, where the experiment knows it

    def as_dict(self) -> dict:
        correct = None if self.expected is None else self.output == self.expected
        return {"text": self.text, "output": self.output, "characters": self.characters,
                "expected": self.expected, "correct": correct}


@dataclass(frozen=True, kw_only=True)
class SequenceTranslator(Experiment):
    kind: ClassVar[str] = "sequence translator"
    web: ClassVar[str] = "mlsandbox.web.sequence_translator"

    input_alphabet: str  # what the model reads; the first character pads
    output_alphabet: str  # what it writes; the first character pads (it ends the answer)
    input_length: int
    output_length: int
    read: Callable[[str], str]  # a person's text -> the text the model reads; raises Unreadable
    answer: Callable[[str], str] | None = None  # the right output for a text the model reads
    backwards: bool = False  # the model writes the output's last character first (a sum from its units up)
    hint: str = ""  # what a person may type, for the page

    def encode(self, texts: list[str]) -> np.ndarray:
        """(N, input_length) int64 character ids, padded on the right."""
        index = {c: i for i, c in enumerate(self.input_alphabet)}
        pad = self.input_alphabet[0]
        return np.array([[index[c] for c in t.ljust(self.input_length, pad)] for t in texts], dtype=np.int64)

    def encode_output(self, texts: list[str]) -> np.ndarray:
        """(N, output_length) int64 character ids in the order the model writes them, padded at the end."""
        index = {c: i for i, c in enumerate(self.output_alphabet)}
        pad = self.output_alphabet[0]
        return np.array([[index[c] for c in self.in_writing_order(t).ljust(self.output_length, pad)] for t in texts],
                        dtype=np.int64)

    def in_writing_order(self, text: str) -> str:
        return text[::-1] if self.backwards else text

    def details(self) -> dict:
        return {"input_alphabet": self.input_alphabet, "output_alphabet": self.output_alphabet,
                "input_length": self.input_length, "output_length": self.output_length, "hint": self.hint,
                "max_text": MAX_TEXT}

    def headline(self, metrics: dict) -> str:
        return f"{metrics['exact_match']:.2%} exactly right on held-out inputs"

    def open_runtime(self, path: Path | None = None) -> "Translator":
        return Translator(self, path)

    def evaluate(self, data, model_path: Path | None = None):
        texts, answers = data.test
        written = [t.output for t in Translator(self, model_path).translate(texts)]
        right = np.array([w == a for w, a in zip(written, answers)])
        characters = (self.encode_output(written) == self.encode_output(answers)).mean()
        metrics = {"exact_match": float(right.mean()), "accuracy": float(right.mean()),
                   "character_accuracy": float(characters), "test_examples": len(texts)}
        return metrics, {}

    def training_task(self, data, recipe: TranslatorRecipe):
        from mlsandbox.kinds.sequence_translator_training import TranslationTask

        return TranslationTask(self, data, recipe)

    def predict(self, inputs: list[str], as_json: bool, top: int | None, model_path: Path | None = None) -> int:
        """`mlsandbox predict`: each text's answer, character by character; unreadable texts are reported."""
        model = self.open_runtime(model_path)
        failures = 0
        for text in inputs:
            try:
                answer = model.translate([self.read(text)])[0].as_dict()
            except Unreadable as e:
                failures += 1
                report_refusal("input", text, str(e), as_json, shown=repr(text))
                continue
            if as_json:
                print(json.dumps({"input": text, **answer}))
            else:
                sure = " ".join(f"{c['character']} {c['probability']:.1%}" for c in answer["characters"])
                verdict = {True: ", right", False: f", wrong: it is {answer['expected']}", None: ""}[answer["correct"]]
                print(f"{answer['text']} = {answer['output']}  ({sure}{verdict})")
        return 1 if failures else 0


class Translator:
    """The served model: texts it can read -> what it writes, with per-character probabilities."""

    def __init__(self, experiment: SequenceTranslator, path: Path | None = None, threads: int = 1):
        self.experiment = experiment
        self.session, self.sha256 = open_session(experiment, path, threads)

    def translate(self, texts: list[str], runners_up: int = 3, batch_size: int = 2000) -> list[Translation]:
        e = self.experiment
        x = e.encode(texts)
        p = np.concatenate([self.session.run(None, {"text": x[i : i + batch_size]})[0]
                            for i in range(0, len(x), batch_size)])  # (N, output_length, alphabet)
        results = []
        for text, steps in zip(texts, p):
            characters = []
            for step in steps:
                chosen = int(step.argmax())
                if chosen == 0:  # the padding: the answer is complete
                    break
                order = np.argsort(-step)[: runners_up + 1]
                characters.append({"character": e.output_alphabet[chosen], "probability": float(step[chosen]),
                                   "alternatives": [{"character": e.output_alphabet[i] if i else "(end)",
                                                     "probability": float(step[i])} for i in order if i != chosen]})
            if e.backwards:
                characters.reverse()
            output = "".join(c["character"] for c in characters)
            results.append(Translation(text, output, characters, e.answer(text) if e.answer else None))
        return results
