"""Real photos for checking the vision models: six that the scikit-image wheel ships (its documentation
gives their terms: NASA's astronaut and SpaceX's rocket are public domain, the cat, coffee and horse CC0,
the motorcycle from the Middlebury stereo data set); and, as backgrounds for the rendered hands only, ten
more of the wheel's photos and textures whose terms the same documentation gives (CC0, public domain or no
known copyright restrictions)."""

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

BACKDROP_SHA256 = {
    "brick.png": "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf",
    "camera.png": "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
    "cell.png": "8d23a7fb81f7cc877cd09f330357fc7f595651306e84e17252f6e0a1b3f61515",
    "coins.png": "f8d773fc9cfa6f4d8e5942dc34d0a0788fcaed2a4fefbbed0aef5398d7ef4cba",
    "grass.png": "b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89",
    "gravel.png": "c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12",
    "hubble_deep_field.jpg": "3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4",
    "ihc.png": "f8dd1aa387ddd1f49d8ad13b50921b237df8e9b262606d258770687b0ef93cef",
    "retina.jpg": "38a07f36f27f095e818aea7b96d34202c05176d30253c66733f2e00379e9e0e6",
    "text.png": "bd84aa3a6e3c9887850d45d606c96b2e59433fbef50338570b63c319e668e6d1",
}


def _assets(sha256s: dict[str, str]) -> tuple[assets.Asset, ...]:
    return tuple(assets.Asset(f"photos/{name}", "pypi", "scikit-image", "0.26.0", f"skimage/data/{name}", sha256)
                 for name, sha256 in sha256s.items())


ASSETS = _assets(SHA256)
BEHIND_HANDS = ASSETS + _assets(BACKDROP_SHA256)  # every photo the rendered hands are drawn over


def load(which: tuple[assets.Asset, ...] = ASSETS) -> dict[str, Path]:
    """Photo name -> its verified path in the cache (fetched once if missing), for the test photos unless
    `which` names others."""
    assets.fetch(*which)
    return {Path(a.name).name: a.path for a in which}
