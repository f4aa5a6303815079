"""Real photos for checking the vision models: six that the scikit-image wheel ships (its documentation
gives their terms: NASA's astronaut and SpaceX's rocket are public domain, the cat, coffee and horse CC0,
the motorcycle from the Middlebury stereo data set)."""

from __future__ import annotations

from pathlib import Path

from mlsandbox import assets

SHA256 = {
    "astronaut.png": "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
    "chelsea.png": "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
    "coffee.png": "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
    "motorcycle_left.png": "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179",
    "rocket.jpg": "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
    "horse.png": "c7fb60789fe394c485f842291ea3b21e50d140f39d6dcb5fb9917cc178225455",
}

ASSETS = tuple(assets.Asset(f"photos/{name}", "pypi", "scikit-image", "0.26.0", f"skimage/data/{name}", sha256)
               for name, sha256 in SHA256.items())


def load() -> dict[str, Path]:
    """Photo name -> its verified path in the cache (fetched once if missing)."""
    assets.fetch(*ASSETS)
    return {Path(a.name).name: a.path for a in ASSETS}
