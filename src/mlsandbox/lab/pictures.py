"""Pictures for the lab's page, as PNG data URLs: the inputs a network reads and what it learned (filters,
feature maps), many small maps tiled into one picture, each stretched to its own range. NumPy and Pillow only."""

from __future__ import annotations

import base64
import io
import math

import numpy as np
from PIL import Image, ImageDraw

NEGATIVE, POSITIVE = np.array([0.13, 0.40, 0.75]), np.array([0.80, 0.15, 0.15])  # blue, red; zero is white
LEVELS = 16  # steps between a tiled map's ends: few colours make a small PNG, and the eye sees no more


def data_url(image: np.ndarray) -> str:
    """(H, W) grey, (3, H, W) colour or (4, H, W) colour and opacity, in 0..1 -> "data:image/png;base64,..."."""
    pixels = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    picture, options = (Image.fromarray(pixels), {}) if pixels.ndim == 2 else paletted(np.moveaxis(pixels, 0, -1))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True, **options)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def paletted(pixels: np.ndarray) -> tuple[Image.Image, dict]:
    """(H, W, 3 or 4) bytes -> a picture, and its PNG options: with at most 256 colours, a palette (a byte a
    pixel or less, where the colours would take three or four)."""
    opacity = pixels[..., 3:] if pixels.shape[-1] == 4 else np.full_like(pixels[..., :1], 255)
    rgba = np.ascontiguousarray(np.concatenate([pixels[..., :3], opacity], -1))
    colours, index = np.unique(rgba.view(np.uint32)[..., 0], return_inverse=True)
    if len(colours) > 256:
        return Image.fromarray(np.ascontiguousarray(pixels)), {}
    palette = colours.view(np.uint8).reshape(-1, 4)
    picture = Image.fromarray(index.reshape(pixels.shape[:2]).astype(np.uint8), "P")
    picture.putpalette(palette[:, :3].ravel().tolist())
    return picture, {"transparency": palette[:, 3].tobytes()} if pixels.shape[-1] == 4 else {}


def shrunk(image: np.ndarray, side: int) -> np.ndarray:
    """(H, W) or (C, H, W) -> the same picture no larger than side, each pixel the mean of a whole block."""
    factor = math.ceil(max(image.shape[-2:]) / side)
    if factor == 1:
        return image
    height, width = image.shape[-2] // factor, image.shape[-1] // factor
    cropped = image[..., : height * factor, : width * factor]
    return cropped.reshape(*image.shape[:-2], height, factor, width, factor).mean(axis=(-3, -1))


def enlarged(image: np.ndarray, factor: int) -> np.ndarray:
    """(..., H, W) -> (..., factor H, factor W), each pixel a square (nearest neighbour)."""
    return image.repeat(factor, axis=-2).repeat(factor, axis=-1)


def diverging(values: np.ndarray) -> np.ndarray:
    """(H, W) in -1..1 -> (3, H, W): blue below zero, white at zero, red above."""
    below, above = np.clip(-values, 0, 1)[None], np.clip(values, 0, 1)[None]
    return 1 + below * (NEGATIVE - 1)[:, None, None] + above * (POSITIVE - 1)[:, None, None]


def stretched(image: np.ndarray, signed: bool) -> np.ndarray:
    """A map to 0..1 by its own range: signed, zero stays in the middle (0.5) and the largest magnitude
    reaches an end; otherwise its smallest value goes to 0 and its largest to 1. A flat map is all 0 (or 0.5).
    Rounded to LEVELS steps."""
    if signed:
        largest = float(np.abs(image).max())
        scaled = 0.5 + image / (2 * largest) if largest > 0 else np.full_like(image, 0.5)
    else:
        low, high = float(image.min()), float(image.max())
        scaled = (image - low) / (high - low) if high > low else np.zeros_like(image)
    return np.round(scaled * LEVELS) / LEVELS


def tiled(maps: np.ndarray, signed: bool = False, scale: int = 1, columns: int | None = None) -> np.ndarray:
    """(N, h, w) maps, or (N, 3, h, w) colour ones, each stretched to its own range (signed grey maps in blue
    and red, others grey; colour ones per channel) and enlarged scale times, in rows of `columns` (about a
    square by default) with a transparent 1-pixel gap -> one (4, H, W) picture in 0..1."""
    count = len(maps)
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    h, w = maps.shape[-2] * scale, maps.shape[-1] * scale
    picture = np.zeros((4, rows * (h + 1) - 1, columns * (w + 1) - 1))
    for n, one in enumerate(maps.astype(np.float64)):
        tile = stretched(one, signed)
        if tile.ndim == 2:
            tile = diverging(2 * tile - 1) if signed else np.repeat(tile[None], 3, axis=0)
        top, left = (n // columns) * (h + 1), (n % columns) * (w + 1)
        picture[:3, top : top + h, left : left + w] = enlarged(tile, scale)
        picture[3, top : top + h, left : left + w] = 1
    return picture


def skeleton(points: np.ndarray, pairs, side: int) -> np.ndarray:
    """(K, 2) points (x to the right, y down, in any units) and the pairs of them that are joined -> a
    (side, side) picture in 0..1: the joins as white lines on black, the points fitted into the square."""
    low, high = points.min(axis=0), points.max(axis=0)
    scale = (side - 6) / max(float((high - low).max()), 1e-6)
    xy = (points - (low + high) / 2) * scale + side / 2
    picture = Image.new("L", (side, side))
    draw = ImageDraw.Draw(picture)
    for a, b in pairs:
        draw.line([tuple(xy[a]), tuple(xy[b])], fill=255, width=2)
    return np.asarray(picture, dtype=np.float32) / 255
