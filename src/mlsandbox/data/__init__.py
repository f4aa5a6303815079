"""Datasets: each module turns pinned assets into NumPy arrays and a fixed, seeded split."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Split:
    """Images as float32 in 0..1, (N, H, W) or with channels (N, C, H, W), with int64 labels; test is never
    seen by training."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    description: str
    groups: dict[str, np.ndarray] = field(default_factory=dict)  # name -> which test examples are in it

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.y_train), "validation": len(self.y_val), "test": len(self.y_test)}

    def subset(self, n: int, seed: int = 0) -> "Split":
        """A smaller split of the same shape, for quick runs: of each part after a shuffle, the first n, and
        at most a quarter of it (so that a small data set is cut too)."""
        rng = np.random.default_rng(seed)
        pairs = ((self.x_train, self.y_train), (self.x_val, self.y_val), (self.x_test, self.y_test))
        kept = [rng.permutation(len(y))[: min(n, len(y) // 4)] for _, y in pairs]
        return Split(*(a[keep] for (x, y), keep in zip(pairs, kept) for a in (x, y)),
                     description=f"{self.description} (subset of {n} per part)",
                     groups={name: members[kept[-1]] for name, members in self.groups.items()})

    def training_share(self, n: int, seed: int = 0) -> "Split":
        """The same split with only n of its training examples (drawn after a seeded shuffle); validation and
        test whole, so that what is measured stays comparable."""
        keep = np.sort(np.random.default_rng(seed).permutation(len(self.y_train))[:n])
        return Split(self.x_train[keep], self.y_train[keep], self.x_val, self.y_val, self.x_test, self.y_test,
                     description=f"{self.description} (trained on {n:,} of its {len(self.y_train):,} training "
                                 "examples)", groups=self.groups)


@dataclass(frozen=True)
class TextSplit:
    """A corpus as plain text, split by whole documents (plays, articles); test is never seen by training.

    Each part is its documents joined by a blank line; `documents` names the documents of each part."""

    train: str
    validation: str
    test: str
    documents: dict[str, tuple[str, ...]]  # "train" | "validation" | "test" -> document names
    description: str

    def sizes(self) -> dict[str, int]:
        """Characters in each part."""
        return {"train": len(self.train), "validation": len(self.validation), "test": len(self.test)}

    @classmethod
    def by_documents(cls, texts: dict[str, str], candidates: list[str], held_out: int, seed: int,
                     describe) -> "TextSplit":
        """held_out of the candidate documents for validation and as many more for test, drawn by a
        permutation with seed; every other document for training, in order. describe(names) -> the
        description, given the document names of each part."""
        order = np.random.default_rng(seed).permutation(len(candidates))
        names = {"validation": [candidates[i] for i in order[:held_out]],
                 "test": [candidates[i] for i in order[held_out : 2 * held_out]]}
        names["train"] = [name for name in texts if name not in names["validation"] + names["test"]]
        return cls(**{part: "\n\n".join(texts[name] for name in chosen) for part, chosen in names.items()},
                   documents={part: tuple(chosen) for part, chosen in names.items()}, description=describe(names))

    def subset(self, n: int) -> "TextSplit":
        """The first 20 n characters of the training part and 5 n of the others, for quick runs (a transformer
        scores text a character at a time: the held-out parts take longer to score than to train on)."""
        learn, score = 20 * n, 5 * n
        return TextSplit(self.train[:learn], self.validation[:score], self.test[:score], self.documents,
                         f"{self.description} (first {learn:,} characters of training, {score:,} of the others)")
