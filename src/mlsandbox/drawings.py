"""Digits drawn on the page's 280x280 white canvas, as PNG bytes: how tests, benchmarks and notebooks
send a held-out test digit through the same path as a person's drawing."""

from __future__ import annotations

import numpy as np
from PIL import Image

from mlsandbox import imaging

CANVAS = 280


def canvas_png(digit: np.ndarray, size: int = CANVAS, scale: float = 10.0, offset=(0, 0)) -> bytes:
    """A small square image (an MNIST digit, a sketch) drawn dark-on-white on a size x size canvas, scaled
    and shifted, as PNG bytes."""
    side = max(1, round(digit.shape[0] * scale))
    ink = Image.fromarray(np.uint8(digit * 255)).resize((side, side), Image.Resampling.BILINEAR)
    canvas = Image.new("L", (size, size), 0)
    canvas.paste(ink, (size // 2 - side // 2 + offset[0], size // 2 - side // 2 + offset[1]))
    return imaging.to_png(np.asarray(canvas, dtype=np.float32) / 255.0)


def random_canvas_png(digit: np.ndarray, rng: np.random.Generator, size: int = CANVAS,
                      smallest: float = 0.40, largest: float = 0.95) -> bytes:
    """The digit's ink, scaled so its longer side is a random 40%..95% of the canvas side, at a random
    place where it stays whole on the canvas; dark-on-white PNG bytes."""
    rows, cols = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
    crop = digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = rng.uniform(smallest, largest) * size / max(crop.shape)
    width, height = max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))
    ink = Image.fromarray(np.uint8(crop * 255)).resize((width, height), Image.Resampling.BILINEAR)
    canvas = Image.new("L", (size, size), 0)
    canvas.paste(ink, (int(rng.integers(0, size - width + 1)), int(rng.integers(0, size - height + 1))))
    return imaging.to_png(np.asarray(canvas, dtype=np.float32) / 255.0)
