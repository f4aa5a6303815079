"""Hand landmark readers: a hand classifier that reads the hand's shape rather than its pixels.

MediaPipe's palm detector finds a palm in the frame, its landmark model places the hand's 21 points on a
square cut around it, turned upright (where no palm leads to a hand, on squares of the frame's middle); a
small network trained here names the pose from those points. Both MediaPipe networks learned from photos of
real hands, so their points carry over from the rendered hands the pose network learns on to a person's
hand in front of a camera. The geometry between the networks is NumPy and Pillow here, so what is served
is what is tested.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, NamedTuple

import numpy as np
from PIL import Image

from mlsandbox import evaluation, imaging
from mlsandbox.assets import sha256_of
from mlsandbox.kinds import PACKAGE_ARTIFACTS, report_refusal
from mlsandbox.kinds.hand_classifier import HandClassifier
from mlsandbox.runtime import Classifier, ModelUnavailable, open_session_at

PALM_SIZE, LANDMARK_SIZE = 256, 224  # the two networks' square inputs
CANDIDATES = 3  # palms the detector proposes (after non-maximum suppression), each given a closer look
OVERLAP = 0.3  # a proposed palm box overlapping a likelier one by more than this (IoU) is the same palm
HAND_THRESHOLD = 0.1  # palm score x the landmark model's presence below which the palm led to no hand
# Where no palm leads to a hand, the landmark model looks for itself: at the middle square of the frame, of
# these sides (in the frame's longer side), each turned four ways; the likeliest look counts if its presence
# reaches LOOK_PRESENCE. It finds hands seen edge-on, which the palm detector misses most.
LOOK_SIDES = (1.0, 0.6)
LOOK_PRESENCE = 0.3
CROP_SCALE, CROP_SHIFT = 2.6, 0.5  # MediaPipe's cut from a palm box
REFINE_SCALE, REFINE_SHIFT = 2.0, 0.1  # and from landmarks
REFINE_POINTS = (0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18)
WRIST, MIDDLE_BASE = 0, 9  # landmark indices (MediaPipe's order)
PALM_WRIST, PALM_MIDDLE_BASE = 0, 2  # the palm detector's 7 points: wrist, then the finger bases
PALM_POINTS = (0, 1, 5, 9, 13, 17)  # the landmarks that span the palm: its size sets the scale of the features
NETWORKS = {  # converted by CONVERTER into artifacts/hand_landmarks, with their conversion records
    "palm_detector": "971c1c31d780249580524bfa2806dd1d537ec9c91da44594f7533d9b643d833a",
    "hand_landmarks": "1e3115e92b48d02b7b127e50ae4ea455506b72e8402a008428ffdf555c99a5fd",
}
CONVERTER = "python3 tools/convert_tfjs.py handdetect && python3 tools/convert_tfjs.py handlandmark-full"
# The hand's bones, as pairs of landmarks: the page draws them over the camera.
BONES = ((0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10), (10, 11), (11, 12),
         (9, 13), (13, 14), (14, 15), (15, 16), (13, 17), (0, 17), (17, 18), (18, 19), (19, 20))


def networks_dir() -> Path:
    """The converted networks ship with the package, pinned here: they are not trained, so a scratch
    artifacts folder (MLSANDBOX_ARTIFACTS, fast runs) has its own pose network but reads hands with these."""
    return PACKAGE_ARTIFACTS / "hand_landmarks"


def palm_anchors() -> np.ndarray:
    """(2944, 2) anchor centres in 0..1 of the palm detector's input: 2 per cell of a 32x32 and a 16x16 grid,
    6 per cell of an 8x8 grid, row-major (MediaPipe's SSD anchors, all of size 1)."""
    centres = []
    for cells, per_cell in ((32, 2), (16, 2), (8, 6)):
        c = (np.arange(cells, dtype=np.float32) + 0.5) / cells
        x, y = np.meshgrid(c, c)
        centres.append(np.repeat(np.stack([x.ravel(), y.ravel()], axis=1), per_cell, axis=0))
    return np.concatenate(centres)


ANCHORS = palm_anchors()


class Palm(NamedTuple):
    score: float
    centre: np.ndarray  # (2,) in frame pixels
    size: float  # the palm box's longer side, in frame pixels
    wrist: np.ndarray  # (2,)
    middle_base: np.ndarray  # (2,)


class Hand(NamedTuple):
    """What the landmark networks saw: the 21 points in frame pixels (x, y, z; z in the same scale as x,
    smaller nearer the camera), how sure the landmark model is that they are a hand, and the palm's score
    (None where the landmark model found the hand by its own looks, without a palm)."""

    points: np.ndarray  # (21, 3)
    presence: float
    palm_score: float | None

    @property
    def score(self) -> float:
        return self.presence if self.palm_score is None else self.palm_score * self.presence

    def as_json(self, size: tuple[int, int]) -> dict:
        return {"seen": True, "score": round(self.score, 4), "size": list(size),
                "points": self.points[:, :2].round(1).tolist()}


NO_HAND = {"seen": False}


def letterboxed(frame: Image.Image, size: int) -> tuple[np.ndarray, float, np.ndarray]:
    """The frame centred on a black square and resized to size: (size, size, 3) float32 0..255, the scale
    from square pixels to frame pixels, and the square's top-left corner in frame pixels."""
    side = max(frame.size)
    offset = np.array([(frame.width - side) / 2, (frame.height - side) / 2], np.float32)
    square = Image.new("RGB", (side, side))
    square.paste(frame, (int(-offset[0]), int(-offset[1])))
    return np.asarray(square.resize((size, size), Image.Resampling.BILINEAR), np.float32), side / size, offset


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    inter = np.prod(np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0.0, None))
    return float(inter / max(np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - inter, 1e-9))


def palms(raw: np.ndarray, scale: float, offset: np.ndarray, count: int = CANDIDATES) -> list[Palm]:
    """The palm detector's (2944, 19) outputs -> its count likeliest palms, none overlapping a likelier one by
    more than OVERLAP, in frame pixels."""
    chosen: list[tuple[int, np.ndarray]] = []
    for i in np.argsort(-raw[:, 0])[: 50 * count]:
        centre, size = raw[i, 1:3] + ANCHORS[i] * PALM_SIZE, raw[i, 3:5]
        box = np.concatenate([centre - size / 2, centre + size / 2])
        if all(iou(box, other) <= OVERLAP for _, other in chosen):
            chosen.append((int(i), box))
            if len(chosen) == count:
                break
    found = []
    for i, _ in chosen:
        anchor = ANCHORS[i] * PALM_SIZE
        to_frame = lambda xy: (xy + anchor) * scale + offset  # noqa: E731  (network pixels from the anchor)
        points = raw[i, 5:19].reshape(7, 2)
        found.append(Palm(float(1.0 / (1.0 + np.exp(-float(raw[i, 0])))), to_frame(raw[i, 1:3]),
                          float(raw[i, 3:5].max() * scale), to_frame(points[PALM_WRIST]), to_frame(points[PALM_MIDDLE_BASE])))
    return found


def square_cut(centre: np.ndarray, up: np.ndarray, side: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A square of side frame pixels about centre, turned so that up points up: its centre, and its x and y
    axes in frame pixels per crop pixel."""
    up = up / max(float(np.hypot(*up)), 1e-6)
    down = -up * (side / LANDMARK_SIZE)
    return centre, np.array([-down[1], down[0]]), down


def palm_cut(palm: Palm) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MediaPipe's cut from a palm: the palm box, times CROP_SCALE, moved CROP_SHIFT of it towards the fingers."""
    up = palm.middle_base - palm.wrist
    up = up / max(float(np.hypot(*up)), 1e-6)
    return square_cut(palm.centre + CROP_SHIFT * palm.size * up, up, CROP_SCALE * palm.size)


def points_cut(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MediaPipe's cut from a hand's landmarks (for a second, closer look): the box about the palm and the
    fingers' lower joints, turned upright, times REFINE_SCALE, moved REFINE_SHIFT of it towards the fingers."""
    up = points[MIDDLE_BASE, :2] - points[WRIST, :2]
    up = up / max(float(np.hypot(*up)), 1e-6)
    right = np.array([-up[1], up[0]])
    chosen = points[REFINE_POINTS, :2]
    along, across = chosen @ up, chosen @ right
    size = max(float(np.ptp(along)), float(np.ptp(across)))
    centre = (along.min() + along.max()) / 2 * up + (across.min() + across.max()) / 2 * right
    return square_cut(centre + REFINE_SHIFT * size * up, up, REFINE_SCALE * size)


def cut(frame: Image.Image, centre: np.ndarray, right: np.ndarray, down: np.ndarray) -> np.ndarray:
    """The (LANDMARK_SIZE, LANDMARK_SIZE, 3) float32 0..255 crop: crop pixel (u, v) is frame point
    centre + (u - half) right + (v - half) down (pixel centres at + 0.5)."""
    half = LANDMARK_SIZE / 2
    origin = centre - half * right - half * down  # Pillow maps output pixel (u, v) to a + b u + c v
    coefficients = (right[0], down[0], origin[0], right[1], down[1], origin[1])
    crop = frame.transform((LANDMARK_SIZE, LANDMARK_SIZE), Image.Transform.AFFINE, coefficients,
                           resample=Image.Resampling.BILINEAR)
    return np.asarray(crop, np.float32)


def hand_features(points: np.ndarray) -> np.ndarray:
    """(..., 21, 3) landmarks -> (..., 63) features that do not change as the hand moves, turns in the
    picture's plane or changes size: from the wrist, turned so the middle finger's base points up, in
    units of the palm's size."""
    p = points - points[..., WRIST : WRIST + 1, :]
    up = p[..., MIDDLE_BASE, :2]
    length = np.maximum(np.hypot(up[..., 0], up[..., 1]), 1e-6)
    sin, cos = up[..., 0] / length, -up[..., 1] / length  # the angle that turns up to (0, -1)
    x = cos[..., None] * p[..., 0] + sin[..., None] * p[..., 1]
    y = -sin[..., None] * p[..., 0] + cos[..., None] * p[..., 1]
    turned = np.stack([x, y, p[..., 2]], axis=-1)
    palm = turned[..., PALM_POINTS, :2]
    spread = np.sqrt(((palm - palm.mean(axis=-2, keepdims=True)) ** 2).sum(axis=-1).mean(axis=-1))
    features = turned / np.maximum(spread, 1e-6)[..., None, None]
    return features.reshape(*points.shape[:-2], 63).astype(np.float32)


@dataclass(frozen=True, kw_only=True)
class HandLandmarks(HandClassifier):
    kind: ClassVar[str] = "hand landmark reader"  # a hand classifier over landmarks
    input_size: tuple[int, int] = (LANDMARK_SIZE, LANDMARK_SIZE)

    def prepare(self, data: bytes) -> Image.Image:
        return imaging.to_rgb(imaging.decode(data))  # the whole frame: the palm detector finds the hand in it

    def prepare_array(self, features: np.ndarray) -> np.ndarray:
        return features  # the data module stores the points' features (data.hands.points)

    def details(self) -> dict:
        return {**super().details(), "input": "camera", "landmarks": True, "bones": [list(b) for b in BONES]}

    def open_runtime(self, path: Path | None = None) -> "LandmarkReader":
        return LandmarkReader(self, path, threads=2)

    def evaluate(self, data, model_path: Path | None = None):
        """Accuracy on every held-out render: a render where no hand was seen (its features are NaN) counts
        as wrong."""
        probabilities = PoseModel(self, model_path).probabilities(np.nan_to_num(data.x_test))
        seen = ~np.isnan(data.x_test).any(axis=1)
        predicted = np.where(seen, probabilities.argmax(1), -1)
        top3 = np.argsort(-probabilities, axis=1)[:, :3]
        metrics = {"accuracy": float((predicted == data.y_test).mean()),
                   "top3_accuracy": float(((top3 == data.y_test[:, None]).any(axis=1) & seen).mean()),
                   "hands_seen": float(seen.mean()),
                   "accuracy_where_seen": float((predicted == data.y_test)[seen].mean()) if seen.any() else 0.0,
                   "test_examples": int(len(data.y_test)),
                   **evaluation.by_group(predicted == data.y_test, data.groups)}
        confusion = np.zeros((3, len(self.labels) + 1), np.int64)  # the last column: no hand seen
        np.add.at(confusion, (data.y_test, np.where(seen, predicted, len(self.labels))), 1)

        def draw_confusion(path: Path) -> None:
            from mlsandbox import plots

            plots.confusion(confusion, self.labels, path, title=f"{self.title}: held-out renders",
                            predicted_labels=(*self.labels, "no hand"))

        return metrics, {"confusion.png": draw_confusion}

    def training_task(self, data, recipe):
        from mlsandbox.kinds.hand_landmarks_training import PointsTask

        return PointsTask(self, data, recipe)

    def predict(self, inputs: list[str], as_json: bool, top: int | None, model_path: Path | None = None) -> int:
        """`mlsandbox predict`: the pose in each photo, or that no hand is there; one line per file."""
        reader = self.open_runtime(model_path)
        failures = 0
        for name in inputs:
            try:
                frame = self.prepare(imaging.read_file(name))
            except (OSError, imaging.ImageError) as e:
                failures += 1
                report_refusal("file", name, e.strerror if isinstance(e, OSError) and e.strerror else str(e), as_json)
                continue
            hand, ranked = reader.read(frame)
            if as_json:
                print(json.dumps({"file": name, "label": ranked[0][0] if hand else None,
                                  "ranked": [{"label": label, "probability": round(p, 6)} for label, p in ranked],
                                  "hand": hand.as_json(frame.size) if hand else {"seen": False}}))
            else:
                print(f"{name}: " + (f"{ranked[0][0]} ({ranked[0][1]:.1%})" + "".join(
                    f", {label} {p:.1%}" for label, p in ranked[1:3]) if hand else "no hand seen"))
        return 1 if failures else 0


class PoseModel(Classifier):
    """The pose network alone: (N, 63) hand features -> probabilities."""


class HandFinder:
    """Frame -> palm -> the hand's 21 landmarks: the two converted MediaPipe networks, each checked against
    the sha256 pinned here (their conversion records hold the rest)."""

    def __init__(self, folder: Path, threads: int = 2):
        self.sessions = {}
        for name, expected in NETWORKS.items():
            path = folder / f"{name}.onnx"
            fix = f"Restore {folder} from the repository or run `{CONVERTER}`."
            if not path.is_file():
                raise ModelUnavailable(f"The hand landmark networks are missing ({path}). {fix}")
            if sha256_of(path) != expected:
                raise ModelUnavailable(f"{path} is not the converted network this version pins. {fix}")
            self.sessions[name] = open_session_at(path, threads, fix)

    def find(self, frame: Image.Image) -> Hand | None:
        """The hand in an RGB frame, or None when none is seen: the likeliest hand a palm leads to, if its palm
        score times presence reaches HAND_THRESHOLD; failing that, the landmark model's own likeliest look, if
        its presence reaches LOOK_PRESENCE."""
        hand = self.likeliest(frame)
        if hand.score >= HAND_THRESHOLD:
            return hand
        hand = self.looked_for(frame)
        return hand if hand.presence >= LOOK_PRESENCE else None

    def likeliest(self, frame: Image.Image) -> Hand:
        """The likeliest hand in an RGB frame, however unlikely. Each palm the detector proposes is cut out for
        the landmark model; the likeliest (palm score times presence) is cut again around the points placed
        on it, for a closer look."""
        square, scale, offset = letterboxed(frame, PALM_SIZE)
        raw = self.sessions["palm_detector"].run(None, {"image": (square / 127.5 - 1.0)[None]})[0][0]
        looks = []
        for palm in palms(raw, scale, offset):
            points, presence = self.landmarks(frame, *palm_cut(palm))
            looks.append((palm.score * presence, palm.score, points))
        _, palm_score, points = max(looks, key=lambda look: look[0])
        return Hand(*self.landmarks(frame, *points_cut(points)), palm_score)

    def looked_for(self, frame: Image.Image) -> Hand:
        """The likeliest hand the landmark model sees by itself, however unlikely: it looks at the frame's middle
        squares of LOOK_SIDES, each turned four ways, and the likeliest look is cut again around its points."""
        centre, longer = np.array(frame.size, np.float32) / 2, max(frame.size)
        looks = [self.landmarks(frame, *square_cut(centre, np.array(up, np.float32), side * longer))
                 for side in LOOK_SIDES for up in ((0, -1), (1, 0), (0, 1), (-1, 0))]
        points, _ = max(looks, key=lambda look: look[1])
        return Hand(*self.landmarks(frame, *points_cut(points)), None)

    def landmarks(self, frame: Image.Image, centre: np.ndarray, right: np.ndarray, down: np.ndarray):
        """The landmark model on one cut of the frame: (21, 3) points in frame pixels, and its presence score
        (the chance that the cut holds a hand)."""
        points, presence = self.sessions["hand_landmarks"].run(
            ["points", "presence"], {"image": (cut(frame, centre, right, down) / 255.0)[None]})
        local = points[0].reshape(21, 3) - np.array([LANDMARK_SIZE / 2, LANDMARK_SIZE / 2, 0], np.float32)
        xy = centre + local[:, :1] * right + local[:, 1:2] * down
        z = local[:, 2:] * float(np.hypot(*right))
        return np.concatenate([xy, z], axis=1).astype(np.float32), float(presence[0, 0])

    def features(self, frames: list[Image.Image]) -> np.ndarray:
        """(N, 63) hand features of each frame; NaN where no hand is seen."""
        hands = [self.find(frame) for frame in frames]
        return np.stack([hand_features(h.points) if h else np.full(63, np.nan, np.float32) for h in hands])


class LandmarkReader(HandFinder):
    """Frame -> hand -> pose: the hand finder, then the pose network trained here."""

    def __init__(self, experiment: HandLandmarks, path: Path | None = None, threads: int = 2):
        super().__init__(networks_dir(), threads)
        self.labels = experiment.labels
        self.pose = PoseModel(experiment, path, threads)
        self.sha256 = self.pose.sha256

    def answer(self, frame: Image.Image, top: int | None = None) -> dict:
        hand, ranked = self.read(frame)
        return {"ranked": ranked[:top], "hand": hand.as_json(frame.size) if hand else NO_HAND}

    def read(self, frame: Image.Image) -> tuple[Hand | None, list[tuple[str, float]]]:
        """The hand, and its pose's labels with their probabilities (none when no hand is seen)."""
        hand = self.find(frame)
        if hand is None:
            return None, []
        p = self.pose.probabilities(hand_features(hand.points)[None])[0]
        return hand, [(self.labels[i], float(p[i])) for i in np.argsort(-p)]
