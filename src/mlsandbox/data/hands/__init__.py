"""Rendered rock-paper-scissors hands, 300x300 like the original (computer-rendered) set.

Each picture is drawn from a generator seeded by (SEED, part, index) alone, so any one can be re-rendered
on its own: a kinematic hand (skeleton.py, MediaPipe's 21 landmarks) in the pose of its label with
jittered finger bends, turned to a random view, drawn as shaded 3D shapes (draw.py) in one of ten skin
tones, bare-armed or sleeved, over a solid colour, gradient, texture or photo crop (backgrounds.py, a share
of them in skin-like colours), then lit, blurred and noised. The label cycles rock, paper, scissors, so every
part is balanced.

The test part holds skin tones, backgrounds and viewing angles that training never has (scene.py,
HELD_OUT), and validation one tone and two photos of its own, so held-out figures measure generalisation.
Split's arrays here are model inputs: each picture rendered at 300x300, then read as a camera frame is
(imaging.square_photo), (N, 3, size, size) RGB float32 in 0..1.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
from PIL import Image, ImageFilter

from mlsandbox import assets, imaging
from mlsandbox.data import Split
from mlsandbox.data.hands import backgrounds, draw, scenes, skeleton
from mlsandbox.data.hands.scenes import HELD_OUT, PARTS, SEED, TRAIN, scene
from mlsandbox.kinds import fast_mode

LABELS = skeleton.LABELS
VERSION = "3"  # bump whenever a picture would change, so cached arrays are rebuilt
COUNTS = {"train": 5400, "validation": 300, "test": 600}
FAST_COUNTS = {"train": 120, "validation": 60, "test": 60}  # rendered in fast mode (tests, quick looks)
BACKDROPS, FAST_BACKDROPS = 3000, 60

SPLIT = {
    "seed": SEED,
    "labels": LABELS,
    "tones_rgb": np.round(scenes.TONES * 255).astype(int).tolist(),
    "train": {**{kind: list(values) for kind, values in TRAIN.items()},
              "yaw": [-180.0, 180.0], "yaw_excluded": list(scenes.YAW_BAND), "roll": [-scenes.ROLL, scenes.ROLL],
              "pitch": list(scenes.PITCH)},
    "validation": {kind: list(values) for kind, values in HELD_OUT["validation"].items()},
    "test": {**{kind: list(values) for kind, values in HELD_OUT["test"].items()},
             "yaw": list(scenes.YAW_BAND), "roll": list(scenes.ROLL_BAND)},
    "shifted_share": scenes.SHIFTED,
}  # "validation" and "test": what only that part has (|yaw| and |roll| in degrees), each drawn with
# chance shifted_share per kind (tone, background, angle), the training choices otherwise

DESCRIPTION = (
    f"Rendered rock-paper-scissors hands (kinematic 21-landmark hand, shaded 3D shapes), seed {SEED}, "
    f"labels cycling {', '.join(LABELS)}. Training: skin tones {', '.join(str(t + 1) for t in TRAIN['tones'])} "
    f"of 10 (1 lightest), backgrounds {', '.join(TRAIN['textures'])} and photo crops of "
    f"{', '.join(TRAIN['photos'])}, |roll| up to {scenes.ROLL:g} degrees, yaw all round except "
    f"|yaw| {scenes.YAW_BAND[0]:g}-{scenes.YAW_BAND[1]:g}. Validation adds tone "
    f"{', '.join(str(t + 1) for t in HELD_OUT['validation']['tones'])} and photos "
    f"{', '.join(HELD_OUT['validation']['photos'])}; test adds tones "
    f"{', '.join(str(t + 1) for t in HELD_OUT['test']['tones'])}, the {', '.join(HELD_OUT['test']['textures'])} "
    f"texture, photo {', '.join(HELD_OUT['test']['photos'])}, |yaw| {scenes.YAW_BAND[0]:g}-{scenes.YAW_BAND[1]:g} "
    f"and |roll| {scenes.ROLL_BAND[0]:g}-{scenes.ROLL_BAND[1]:g} degrees; a held-out part takes its own "
    f"values with chance {scenes.SHIFTED:g} for each of tone, background and angle."
)


def _finish(image: np.ndarray, s: scenes.Scene) -> np.ndarray:
    """Scene light, lens blur and sensor noise, to uint8."""
    f, size = s.finish, image.shape[0]
    gain = (255.0 * f["contrast"]) * f["cast"]
    shift = (255.0 * ((1.0 - f["contrast"]) * float(image.mean()) + f["brightness"])) * f["cast"]
    image = image * gain.astype(np.float32) + shift.astype(np.float32)
    if f["blur"] > 0:
        image = np.clip(image, 0.0, 255.0).astype(np.uint8)
        image = np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(f["blur"] * size)), np.float32)
    image += np.random.default_rng(s.seed).standard_normal(image.shape, np.float32) * np.float32(255.0 * f["noise"])
    return np.clip(image + 0.5, 0.0, 255.0).astype(np.uint8)


def landmarks(s: scenes.Scene, size: int) -> np.ndarray:
    """The 21 landmarks of a scene in pixels of a size x size picture (pixel i spans i..i+1), (21, 2)."""
    return ((s.origin + s.scale * s.hand.points[:, :2]) * size).astype(np.float32)


def render(index: int, part: str, size: int = 300) -> tuple[np.ndarray, int, np.ndarray]:
    """Picture index of part ("train", "validation" or "test"): (uint8 (size, size, 3), label, (21, 2)
    landmarks in pixels, MediaPipe's order)."""
    s, picture, _ = _drawn(index, part, size)
    return picture, s.label, landmarks(s, size)


def layered(index: int, part: str, size: int = 300) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """render's picture, label and landmarks, and how much of each pixel the hand (with forearm and sleeve)
    covers, blurred as the picture was: uint8 (size, size), 255 where it is all hand."""
    s, picture, alpha = _drawn(index, part, size)
    coverage = Image.fromarray(np.round(alpha * 255).astype(np.uint8))
    if s.finish["blur"] > 0:
        coverage = coverage.filter(ImageFilter.GaussianBlur(s.finish["blur"] * size))
    return picture, s.label, landmarks(s, size), np.asarray(coverage)


def _drawn(index: int, part: str, size: int) -> tuple[scenes.Scene, np.ndarray, np.ndarray]:
    """The scene of picture index of part, the finished picture, and the hand's coverage before the finish."""
    s = scene(index, part)
    colour, alpha = draw.hand(s, size)
    image = colour + backgrounds.paint(*s.background, size) * (1.0 - alpha[..., None])
    return s, _finish(image, s), alpha


def without_hand(index: int, part: str, size: int = 300) -> np.ndarray:
    """Picture index of part as render draws it, but with no hand in it: uint8 (size, size, 3)."""
    s = scene(index, part)
    return _finish(backgrounds.paint(*s.background, size), s)


def backdrops(size: int, count: int = BACKDROPS) -> np.ndarray:
    """count backgrounds (FAST_BACKDROPS in fast mode) of the kinds training has (never a held-out texture or
    photo), painted at 300x300 from their own seeds and read at size x size as the pictures are: float32
    (count, 3, size, size) in 0..1, cached (uint8). Training pastes its hands onto them
    (HandRecipe.new_backgrounds)."""
    count = min(count, FAST_BACKDROPS) if fast_mode() else count
    path = assets.cache_dir() / "hands" / f"v{VERSION}-backdrops-{size}px-{count}.npz"
    if not path.exists():
        pictures = []
        for i in range(count):
            painted = backgrounds.paint(*backdrop(i), 300)
            pictures.append(read_as_frame(np.round(painted * 255).astype(np.uint8), size))
        save(path, backdrops=np.stack(pictures))
    with np.load(path) as stored:
        return stored["backdrops"].astype(np.float32) / 255.0


def backdrop(index: int) -> tuple[str, str | None, int]:
    """The background (family, photo or None, seed) of backdrop index, from a stream of its own after the
    parts'."""
    rng = np.random.default_rng((SEED, len(PARTS), index))
    return (*scenes.training_background(rng), int(rng.integers(2**31)))


def unseen(s: scenes.Scene, part: str) -> dict[str, bool]:
    """Which of the picture's skin tone, background and viewing angle training never has."""
    held = HELD_OUT.get(part, {"tones": (), "textures": (), "photos": ()})
    family, photo, _ = s.background
    return {"tone": s.tone in held["tones"],
            "background": photo in held["photos"] if family == "photo" else family in held["textures"],
            "angle": (scenes.YAW_BAND[0] <= abs(s.yaw) <= scenes.YAW_BAND[1]
                      or scenes.ROLL_BAND[0] <= abs(s.roll) <= scenes.ROLL_BAND[1])}


def held_out_groups(count: int, part: str = "test") -> dict[str, np.ndarray]:
    """Which of the first count renders of part hold what training never has: none of it, a skin tone, a
    background or a viewing angle, and each held-out background by name; boolean (count,) each."""
    drawn = [scene(i, part) for i in range(count)]
    flags = [unseen(s, part) for s in drawn]
    kinds = {kind: np.array([f[kind] for f in flags], bool) for kind in ("tone", "background", "angle")}
    backgrounds = np.array([s.background[1] or s.background[0] for s in drawn])  # the photo's name, or the family
    return {"nothing unseen": ~(kinds["tone"] | kinds["background"] | kinds["angle"]),
            **{f"unseen {kind}": members for kind, members in kinds.items()},
            **{f"over {name}": backgrounds == name for name in (*HELD_OUT[part]["textures"], *HELD_OUT[part]["photos"])}}


def pose_points(rng: np.random.Generator, label: int) -> np.ndarray:
    """(21, 3) landmarks of a random hand in pose label, with random finger bends and a random training
    view: x right, y down, z away from the camera (as MediaPipe's), wrist at 0, palm length 1."""
    yaw, pitch, roll = scenes.angles(rng, shifted=False)
    hand = skeleton.pose(rng, label).turned(skeleton.rotation(yaw, pitch, roll, bool(rng.random() < 0.5)))
    return hand.points


def gallery(n_per_class: int, part: str, size: int = 150) -> np.ndarray:
    """uint8 grid of the first n_per_class pictures of each label in part, one row per label."""
    gap = 4
    grid = np.full((3 * (size + gap) - gap, n_per_class * (size + gap) - gap, 3), 255, np.uint8)
    for label in range(3):
        for k in range(n_per_class):
            y, x = label * (size + gap), k * (size + gap)
            grid[y : y + size, x : x + size] = render(label + 3 * k, part, size)[0]
    return grid


def load(size: int = 96, counts: dict[str, int] | None = None, train_renders: int = COUNTS["train"],
         validation_renders: int = COUNTS["validation"], coverage: bool = False,
         parts: tuple[str, ...] = PARTS) -> Split:
    """Every picture of each part named in parts (counts: COUNTS with train_renders and validation_renders, or
    FAST_COUNTS in fast mode; a part not named is empty) rendered at 300x300 and read at size x size as the
    server reads a camera frame: (N, 3, size, size) float32 in 0..1, cached (uint8) under the asset cache by
    version, size, part and count. Since each picture is rendered from its own seed, a part built alone is that
    part of the whole split. With coverage, each training picture has a fourth channel: how much of each pixel
    is hand (layered), for pasting the hand onto other backgrounds and teaching a network where the hand is."""
    counts = counts or (FAST_COUNTS if fast_mode() else
                        {**COUNTS, "train": train_renders, "validation": validation_renders})
    built = {part: rendered(part, counts[part] if part in parts else 0, size, coverage and part == "train")
             for part in PARTS}
    return Split(*(a for part in PARTS for a in built[part]), description=DESCRIPTION,
                 groups=held_out_groups(len(built["test"][1])))


def rendered(part: str, count: int, size: int, coverage: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The first count pictures of part as load gives them, float32 (count, 3, or 4 with coverage, size, size),
    and their labels."""
    if count == 0:
        return np.zeros((0, 3 + coverage, size, size), np.float32), np.zeros(0, np.int64)
    path = assets.cache_dir() / "hands" / f"v{VERSION}-{size}px-{part}-{count}{'-coverage' if coverage else ''}.npz"
    if not path.exists():
        drawn = [(layered if coverage else render)(i, part) for i in range(count)]
        arrays = {"x": np.stack([read_as_frame(picture, size) for picture, *_ in drawn]),
                  "y": np.array([label for _, label, *_ in drawn], np.int64)}
        if coverage:
            arrays["coverage"] = np.stack([read_as_frame(np.repeat(c[..., None], 3, axis=2), size)[:1]
                                           for *_, c in drawn])
        save(path, **arrays)
    with np.load(path) as stored:
        x = np.concatenate([stored["x"], stored["coverage"]], axis=1) if coverage else stored["x"]
        return x.astype(np.float32) / 255.0, stored["y"]


def read_as_frame(picture: np.ndarray, size: int) -> np.ndarray:
    """A (300, 300, 3) uint8 render read as the server reads a camera frame: uint8 (3, size, size)."""
    return np.round(imaging.square_photo(Image.fromarray(picture), size) * 255).astype(np.uint8)


def save(path, **arrays) -> None:
    """Writes the arrays to path whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as f:
        np.savez_compressed(f, **arrays)
    os.replace(f.name, path)
