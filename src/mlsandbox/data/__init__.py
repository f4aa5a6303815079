"""Datasets: each module turns pinned assets into NumPy arrays and a fixed, seeded split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Split:
    """Images as float32 in 0..1 (N, H, W) with int64 labels; test is never seen by training."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    description: str

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.y_train), "validation": len(self.y_val), "test": len(self.y_test)}

    def subset(self, n: int, seed: int = 0) -> "Split":
        """A smaller split of the same shape, for quick runs; the first n of each part after a shuffle."""
        rng = np.random.default_rng(seed)
        parts = []
        for x, y in ((self.x_train, self.y_train), (self.x_val, self.y_val), (self.x_test, self.y_test)):
            keep = rng.permutation(len(y))[:n]
            parts += [x[keep], y[keep]]
        return Split(*parts, description=f"{self.description} (subset of {n} per part)")
