"""Fashion-MNIST: 28x28 grey pictures of ten kinds of clothes (Zalando, MIT), from Debian's dataset-fashion-mnist
(gzipped IDX files, 60,000 + 10,000), split like MNIST."""

from __future__ import annotations

import gzip

from mlsandbox import assets
from mlsandbox.data import Split
from mlsandbox.data.mnist import official_split, parse_idx

LABELS = ("T-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")
PACKAGE, VERSION = "dataset-fashion-mnist", "0.0~git20200523.55506a9-1"


def _asset(name: str, sha256: str) -> assets.Asset:
    return assets.Asset(f"fashion-mnist/{name}", "debian", PACKAGE, VERSION,
                        f"./usr/share/datasets/fashion-mnist/{name}", sha256)


ASSETS = (
    _asset("train-images-idx3-ubyte.gz", "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"),
    _asset("train-labels-idx1-ubyte.gz", "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"),
    _asset("t10k-images-idx3-ubyte.gz", "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"),
    _asset("t10k-labels-idx1-ubyte.gz", "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"),
)


def load() -> Split:
    """The official 60,000/10,000 split, with 5,000 training pictures held out for validation (seed 0), as MNIST's."""
    return official_split(*(parse_idx(gzip.decompress(assets.require(a).read_bytes())) for a in ASSETS),
                          source=f"Fashion-MNIST (Debian {PACKAGE} {VERSION})")
