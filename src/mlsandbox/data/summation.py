"""Sums of two whole numbers from 0 to 999, generated: "17+38" -> "55".

There are a million ordered pairs. Test and validation expressions are drawn once with a fixed seed, and
neither they nor their swapped twins ("38+17" for "17+38") are ever drawn for training, so a held-out
figure measures addition rather than memory.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

LARGEST = 999
TEST_SIZE, VALIDATION_SIZE = 10_000, 2_000
SEED = 0
PAIRS = (LARGEST + 1) ** 2


def expression(a: int, b: int) -> str:
    return f"{a}+{b}"


def texts(pairs: np.ndarray) -> tuple[list[str], list[str]]:
    """Expressions and their sums as text: (["17+38", ...], ["55", ...])."""
    return [expression(a, b) for a, b in pairs.tolist()], [str(a + b) for a, b in pairs.tolist()]


@dataclass(frozen=True)
class Sums:
    """Held-out pairs, and a source of fresh training pairs that never repeats a held-out one."""

    validation_pairs: np.ndarray  # (n, 2) int64
    test_pairs: np.ndarray
    allowed: np.ndarray  # (PAIRS,) bool: which ordered pairs training may draw
    description: str

    @property
    def validation(self) -> tuple[list[str], list[str]]:
        return texts(self.validation_pairs)

    @property
    def test(self) -> tuple[list[str], list[str]]:
        return texts(self.test_pairs)

    def training(self, n: int, rng: np.random.Generator) -> tuple[list[str], list[str]]:
        """n expressions and their sums from the ordered pairs training may see. Each number has one, two or
        three digits with equal chance, then any value of that length: drawn uniformly from all pairs,
        nine in ten numbers would have three digits, and the model would rarely see the small sums people
        type first."""
        pairs = np.empty((0, 2), dtype=np.int64)
        while len(pairs) < n:
            digits = rng.integers(1, len(str(LARGEST)) + 1, size=(2 * n, 2))
            low, high = np.where(digits == 1, 0, 10 ** (digits - 1)), 10**digits
            drawn = rng.integers(low, high)
            pairs = np.concatenate([pairs, drawn[self.allowed[drawn[:, 0] * (LARGEST + 1) + drawn[:, 1]]]])
        return texts(pairs[:n])

    def sizes(self) -> dict[str, int]:
        return {"train": int(self.allowed.sum()), "validation": len(self.validation_pairs), "test": len(self.test_pairs)}

    def subset(self, n: int) -> "Sums":
        """The first n validation and test expressions, for quick runs (training draws as before)."""
        return Sums(self.validation_pairs[:n], self.test_pairs[:n], self.allowed, f"{self.description} (first {n})")


@functools.cache
def load() -> Sums:
    """Test and validation pairs, seed 0: distinct unordered pairs, so no held-out sum appears twice."""
    rng = np.random.default_rng(SEED)
    a, b = np.divmod(rng.permutation(PAIRS), LARGEST + 1)
    unordered = np.minimum(a, b) * (LARGEST + 1) + np.maximum(a, b)
    _, first = np.unique(unordered, return_index=True)
    held_out = np.sort(first)[: TEST_SIZE + VALIDATION_SIZE]  # in the permutation's order
    pairs = np.stack([a[held_out], b[held_out]], axis=1)
    allowed = np.ones(PAIRS, dtype=bool)
    allowed[pairs[:, 0] * (LARGEST + 1) + pairs[:, 1]] = False
    allowed[pairs[:, 1] * (LARGEST + 1) + pairs[:, 0]] = False
    return Sums(
        validation_pairs=pairs[TEST_SIZE:], test_pairs=pairs[:TEST_SIZE], allowed=allowed,
        description=f"sums a+b of whole numbers 0..{LARGEST}, generated; {TEST_SIZE:,} test and {VALIDATION_SIZE:,} "
        f"validation expressions drawn uniformly by a permutation with seed {SEED}, distinct as unordered pairs; "
        f"training draws fresh pairs from the other {int(allowed.sum()):,} ordered pairs (no held-out expression "
        "and no swapped twin of one), each number one, two or three digits long with equal chance",
    )
