"""How the landmark reader's HAND_THRESHOLD trades hands seen for hands imagined, on validation only:

    .venv/bin/python benchmarks/probe_landmarks.py [RENDERS]

For the first RENDERS validation renders (default 300) and for hand-free frames (the backgrounds of the
first 150 validation renders alone, and the photos behind the hands that show no hand, with four random
crops of each), the likeliest hand a palm leads to (its score: palm score times presence) and the landmark
model's own likeliest look (LOOK_SIDES) are read once; then for each threshold, where no palm's hand reaches it
and the look's presence reaches LOOK_PRESENCE, the look's hand is taken, as the served finder does. For each:
the share of renders where a hand is seen, the committed pose network's accuracy on those, its accuracy on every
render (no hand counts as wrong, as in `mlsandbox evaluate`), and the share of hand-free frames where a hand is
imagined. Prints one JSON line per threshold."""

import json
import sys

import numpy as np
from PIL import Image

from mlsandbox import experiments
from mlsandbox.data import hands, photos
from mlsandbox.kinds.hand_landmarks import LOOK_PRESENCE, HandFinder, PoseModel, hand_features, networks_dir

THRESHOLDS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.2)
WITH_HANDS = ("astronaut.png", "camera.png")  # a gloved hand at the edge; the cameraman's hand on his camera
count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
finder = HandFinder(networks_dir())


def read(frame: Image.Image) -> tuple[float, bool, np.ndarray, np.ndarray]:
    """The palm's hand's score, whether the landmark model's own look sees a hand, and both hands' features."""
    palm_led, looked = finder.likeliest(frame), finder.looked_for(frame)
    return (palm_led.score, looked.presence >= LOOK_PRESENCE, hand_features(palm_led.points),
            hand_features(looked.points))


pose = PoseModel(experiments.get("rps_landmarks"))
renders = [hands.render(i, "validation") for i in range(count)]
readings = [read(Image.fromarray(picture)) for picture, _, _ in renders]
labels = np.array([label for _, label, _ in renders])
scores, looked = (np.array([r[k] for r in readings]) for k in (0, 1))
right_palm_led, right_looked = (pose.probabilities(np.stack([r[k] for r in readings])).argmax(1) == labels
                                for k in (2, 3))

free = [Image.fromarray(hands.without_hand(i, "validation")) for i in range(150)]
rng = np.random.default_rng(0)
for name, path in photos.load(photos.BEHIND_HANDS).items():
    if name in WITH_HANDS:
        continue
    with Image.open(path) as opened:
        photo = opened.convert("RGB")
    free.append(photo)
    for _ in range(4):
        side = int(min(photo.size) * rng.uniform(0.3, 0.8))
        x, y = (int(rng.integers(0, extent - side + 1)) for extent in photo.size)
        free.append(photo.crop((x, y, x + side, y + side)))
free_readings = [read(frame) for frame in free]
imagined, imagined_looked = (np.array([r[k] for r in free_readings]) for k in (0, 1))

for threshold in THRESHOLDS:
    palm_led = scores >= threshold
    seen = palm_led | looked
    right = np.where(palm_led, right_palm_led, right_looked)
    print(json.dumps({"threshold": threshold, "renders": count, "hands_seen": round(float(seen.mean()), 4),
                      "accuracy_where_seen": round(float(right[seen].mean()), 4) if seen.any() else None,
                      "accuracy": round(float((right & seen).mean()), 4), "hand_free_frames": len(imagined),
                      "hands_imagined": round(float(((imagined >= threshold) | imagined_looked).mean()), 4)}))
