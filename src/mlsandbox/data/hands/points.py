"""Hand points for the landmark reader's pose network (mlsandbox.kinds.hand_landmarks), as its features.

Training points come from the kinematic hand alone (skeleton.py): random finger bends in the pose of the
label, a random training view, left and right hands, the points jittered as a landmark model's are. No
picture is drawn for them. Validation and test points are what the served hand finder (the two MediaPipe
networks) reads from the held-out renders, the same pictures the other rock-paper-scissors models are
tested on; a render where it sees no hand has NaN features, and counts as a mistake.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
from PIL import Image

from mlsandbox import assets
from mlsandbox.data import Split
from mlsandbox.data.hands import COUNTS, VERSION, pose_points, render
from mlsandbox.data.hands.scenes import SEED

TRAIN_POINTS = 30_000
JITTER = 0.04  # of the palm's length: a landmark model's scatter about the true joint


def kinematic(count: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """count hands' (21, 3) landmarks with labels cycling rock, paper, scissors."""
    from mlsandbox.kinds.hand_landmarks import hand_features

    rng = np.random.default_rng([seed, 21])
    labels = np.arange(count, dtype=np.int64) % 3
    points = np.stack([pose_points(rng, int(label)) for label in labels])
    points = points + rng.normal(0.0, JITTER, points.shape)
    return hand_features(points.astype(np.float32)), labels


def seen_in_renders(part: str, count: int, finder) -> tuple[np.ndarray, np.ndarray]:
    """The hand finder's features of the first count renders of part (NaN where it sees no hand), and labels."""
    pictures = [render(i, part) for i in range(count)]
    features = finder.features([Image.fromarray(picture) for picture, _, _ in pictures])
    return features, np.array([label for _, label, _ in pictures], np.int64)


def load(counts: dict[str, int] = COUNTS, train_points: int = TRAIN_POINTS) -> Split:
    """The split, cached under the asset cache by render version, counts and the networks' sha256."""
    from mlsandbox.kinds.hand_landmarks import NETWORKS, HandFinder, networks_dir

    key = "-".join(sha[:8] for sha in NETWORKS.values())
    path = assets.cache_dir() / "hands" / f"points-v{VERSION}-{key}-{train_points}-{counts['validation']}-{counts['test']}.npz"
    if not path.exists():
        finder = HandFinder(networks_dir())
        arrays = dict(zip(("x_train", "y_train"), kinematic(train_points)))
        for part in ("validation", "test"):
            arrays[f"x_{part}"], arrays[f"y_{part}"] = seen_in_renders(part, counts[part], finder)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as f:
            np.savez_compressed(f, **arrays)
        os.replace(f.name, path)
    with np.load(path) as stored:
        x_train, y_train, x_val, y_val, x_test, y_test = (stored[k] for k in (
            "x_train", "y_train", "x_validation", "y_validation", "x_test", "y_test"))
    return Split(x_train, y_train, x_val, y_val, x_test, y_test, description=(
        f"Hand landmarks as features (from the wrist, turned upright, in palm units). Training: {train_points:,} "
        f"hands of the kinematic model (random finger bends in each pose, training views, left and right, "
        f"points jittered by {JITTER:g} palm lengths), seed {SEED}. Validation and test: the points MediaPipe's "
        f"palm detector and landmark model read from the first {counts['validation']} validation and "
        f"{counts['test']} test renders of the rendered hands (unseen skin tones, backgrounds and angles); a "
        f"render where they see no hand counts as a mistake."))
