"""Hand points for the landmark reader's pose network (mlsandbox.kinds.hand_landmarks), as its features.

Every part is what the served hand finder (the two MediaPipe networks) reads from the rendered hands: the
training renders for training, and the held-out renders the other rock-paper-scissors models are tested on
for validation and test. A render where it sees no hand has NaN features: training leaves it out, and in
validation and test it counts as a mistake. `kinematic` makes points from the kinematic hand alone, with no
picture drawn, for comparison (they trained a worse pose network: see the notebook).
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from tqdm import tqdm

from mlsandbox import assets
from mlsandbox.data import Split
from mlsandbox.data.hands import COUNTS, FAST_COUNTS, VERSION, held_out_groups, pose_points, render, save
from mlsandbox.data.hands.scenes import PARTS, SEED
from mlsandbox.kinds import fast_mode

JITTER = 0.04  # of the palm's length: a landmark model's scatter about the true joint


def kinematic(count: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """count hands' features from the kinematic hand's points, jittered, with labels cycling rock, paper,
    scissors."""
    from mlsandbox.kinds.hand_landmarks import hand_features

    rng = np.random.default_rng([seed, 21])
    labels = np.arange(count, dtype=np.int64) % 3
    points = np.stack([pose_points(rng, int(label)) for label in labels])
    points = points + rng.normal(0.0, JITTER, points.shape)
    return hand_features(points.astype(np.float32)), labels


def seen_in_renders(part: str, count: int, finder) -> tuple[np.ndarray, np.ndarray]:
    """The hand finder's features of the first count renders of part (NaN where it sees no hand), and labels."""
    features, labels = [], []
    for i in tqdm(range(count), desc=f"reading {part} hands", leave=False):
        picture, label, _ = render(i, part)
        features.append(finder.features([Image.fromarray(picture)])[0])
        labels.append(label)
    return np.stack(features), np.array(labels, np.int64)


def load(counts: dict[str, int] | None = None, parts: tuple[str, ...] = PARTS) -> Split:
    """The split (FAST_COUNTS in fast mode) of the parts named (a part not named is empty), each part cached
    under the asset cache by render version, count, the networks' sha256 and the finder's settings. Training
    keeps only the renders where a hand was seen."""
    counts = counts or (FAST_COUNTS if fast_mode() else COUNTS)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = (
        part_features(part, counts[part] if part in parts else 0) for part in PARTS)
    seen = ~np.isnan(x_train).any(axis=1)
    return Split(x_train[seen], y_train[seen], x_val, y_val, x_test, y_test, description=(
        f"Hand landmarks as features (from the wrist, turned upright, in palm units), as MediaPipe's palm detector "
        f"and landmark model read them from the rendered hands (seed {SEED}): the first {len(y_train):,} "
        f"training renders ({int(seen.sum()):,} where a hand was seen), {len(y_val)} validation and "
        f"{len(y_test)} test renders (unseen skin tones, backgrounds and angles); a held-out render where no "
        f"hand is seen counts as a mistake."), groups=held_out_groups(len(y_test)))


def part_features(part: str, count: int) -> tuple[np.ndarray, np.ndarray]:
    """seen_in_renders of the first count renders of part, cached."""
    if count == 0:
        return np.zeros((0, 63), np.float32), np.zeros(0, np.int64)
    from mlsandbox.kinds import hand_landmarks as hl

    looks = "_".join(f"{side:g}" for side in hl.LOOK_SIDES) + f"-{hl.LOOK_PRESENCE:g}"
    key = "-".join(sha[:8] for sha in hl.NETWORKS.values()) + f"-{hl.CANDIDATES}-{hl.HAND_THRESHOLD:g}-{looks}"
    path = assets.cache_dir() / "hands" / f"points-v{VERSION}-{key}-{part}-{count}.npz"
    if not path.exists():
        x, y = seen_in_renders(part, count, hl.HandFinder(hl.networks_dir()))
        save(path, x=x, y=y)
    with np.load(path) as stored:
        return stored["x"], stored["y"]
