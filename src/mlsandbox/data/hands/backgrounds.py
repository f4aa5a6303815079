"""Backgrounds: solid colours, gradients, procedural textures and crops of real photos (grey ones given two
random colours), each painted from a seed at any size as float32 (size, size, 3) in 0..1. A share of the
colours are warm, skin-like ones (wood, leather, plaster), so that a hand is told from what is behind it by
its shape, not by its colour alone."""

from __future__ import annotations

import colorsys
import functools

import numpy as np
from PIL import Image

from mlsandbox.data import photos


SKIN_LIKE = 0.3  # share of background colours drawn from warm, skin-like hues


@functools.cache
def _photo_paths() -> dict:
    return photos.load(photos.BEHIND_HANDS)  # verified once per process, not once per photo


@functools.cache
def _photo(name: str) -> tuple[Image.Image, bool]:
    """The photo in RGB, and whether it is grey."""
    with Image.open(_photo_paths()[name]) as image:
        return image.convert("RGB"), image.mode in ("L", "LA", "I;16")


def _colour(rng) -> np.ndarray:
    if rng.random() < SKIN_LIKE:
        hsv = rng.uniform(0.0, 0.12), rng.uniform(0.2, 0.75), rng.uniform(0.15, 0.97)
    else:
        hsv = rng.random(), rng.uniform(0.0, 0.7), rng.uniform(0.1, 1.0)
    return np.array(colorsys.hsv_to_rgb(*hsv), np.float32)


def _mix(a, b, amount):
    return a + amount[..., None].astype(np.float32) * (b - a)


def _smooth_noise(rng, size, cells=(3, 6, 12, 24), fade=0.55):
    """Value noise in 0..1: random grids of each size, upsampled smoothly and summed."""
    total = np.zeros((size, size), np.float32)
    for octave, n in enumerate(cells):
        grid = Image.fromarray(rng.random((n, n)).astype(np.float32), mode="F")
        total += fade**octave * np.asarray(grid.resize((size, size), Image.BICUBIC))
    total -= total.min()
    return total / max(total.max(), 1e-6)


def _along(rng, size):
    """Coordinates 0..1 of the picture turned by a random angle: (along, across)."""
    angle = rng.uniform(0, np.pi)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    return xs * np.cos(angle) + ys * np.sin(angle), -xs * np.sin(angle) + ys * np.cos(angle)


def _photo_crop(rng, name, size, a, b):
    photo, grey = _photo(name)
    w, h = photo.size
    side = rng.uniform(0.35, 1.0) * min(w, h)
    x, y = rng.uniform(0, w - side), rng.uniform(0, h - side)
    crop = photo.resize((size, size), Image.BILINEAR, box=(x, y, x + side, y + side))
    image = np.asarray(crop, np.float32) / 255.0
    if grey:
        image = _mix(a, b, image[..., 0])
    if rng.random() < 0.5:
        image = image[:, ::-1]
    return image * rng.normal(1.0, 0.08, 3).astype(np.float32) + rng.normal(0.0, 0.04)


def paint(family: str, photo: str | None, seed: int, size: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a, b = _colour(rng), _colour(rng)
    if family == "photo":
        image = _photo_crop(rng, photo, size, a, b)
    elif family == "solid":
        image = _mix(a, b, 0.15 * _smooth_noise(rng, size, cells=(2, 4)))
    elif family == "linear":
        along, _ = _along(rng, size)
        image = _mix(a, b, np.clip(along * rng.uniform(0.7, 1.6) + 0.5, 0, 1))
    elif family == "radial":
        ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size
        cx, cy = rng.uniform(-0.2, 1.2, 2)
        image = _mix(a, b, np.clip(np.hypot(xs - cx, ys - cy) / rng.uniform(0.5, 1.2), 0, 1))
    elif family == "noise":
        image = _mix(a, b, _smooth_noise(rng, size, fade=rng.uniform(0.3, 0.8)))
    elif family == "stripes":
        along, _ = _along(rng, size)
        wave = np.sin(along * 2 * np.pi / rng.uniform(0.03, 0.2))
        image = _mix(a, b, np.clip(wave * rng.uniform(1, 8) + rng.uniform(-0.5, 0.5), -1, 1) * 0.5 + 0.5)
    elif family == "checks":
        along, across = _along(rng, size)
        cell = rng.uniform(0.04, 0.2)
        image = _mix(a, b, ((np.floor(along / cell) + np.floor(across / cell)) % 2).astype(np.float32))
    elif family == "wood":
        along, across = _along(rng, size)
        warp = _smooth_noise(rng, size, cells=(2, 5, 11))
        rings = np.sin((across * rng.uniform(8, 30) + 4 * warp + 0.3 * along) * 2 * np.pi) * 0.5 + 0.5
        base = np.array(colorsys.hsv_to_rgb(rng.uniform(0.04, 0.11), rng.uniform(0.35, 0.75),
                                            rng.uniform(0.3, 0.85)), np.float32)
        image = _mix(base, base * rng.uniform(0.45, 0.75), rings**2)
    else:
        raise ValueError(f"unknown background family {family!r}")
    return np.clip(image, 0.0, 1.0).astype(np.float32)
