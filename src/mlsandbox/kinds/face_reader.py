"""Face readers: a photo or camera frame in; every face in it out, with a box, how sure the detector is, and
the chance of each expression.

Two pretrained networks, converted from TensorFlow.js, and the steps between them, which follow
@vladmandic/human@3.3.6 (src/face/blazeface.ts, facemeshutil.ts, src/gear/emotion.ts) with the face mesh off:

1. BlazeFace scores 896 anchors of a 256x256 view of the frame and, per anchor, regresses a box and six face
   points from the anchor's centre (2 anchors per cell of a 16x16 grid, then 6 per cell of an 8x8 one).
   Human stretches the frame to the square; here it is letterboxed, as MediaPipe feeds BlazeFace, so that a
   face keeps its shape in a 4:3 camera frame.
2. Boxes overlapping a likelier one are dropped (Human's non-maximum suppression, at a threshold of its
   own), and faces scoring under the threshold are not reported (Human's 0.2 reports a cat's face and
   coffee foam as faces: see the notebook for where 0.85 comes from).
3. Each face's box is enlarged 1.4 times about its centre and squared on its longer side (Human's
   enlargeBox and squarifyBox); that square, cut from the frame (black beyond its edges, as
   tf.image.cropAndResize pads), resized to 64x64, turned grey with Human's weights and scaled to -1..1,
   is what the expression network reads. Human cuts to 256x256 first and then resizes; one resize here.
4. Its seven probabilities come in FER2013's order, which Human names for the grey model: angry, disgust,
   fear, happy, sad, surprise, neutral.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, NamedTuple

import numpy as np
from PIL import Image

from mlsandbox import imaging
from mlsandbox.kinds import Experiment, Pretrained, report_refusal
from mlsandbox.kinds.hand_landmarks import letterboxed
from mlsandbox.kinds.object_detector import suppress
from mlsandbox.runtime import open_companion, open_session

DETECTOR = "face_detector.onnx"  # beside model.onnx (the expression network), pinned by the card
DETECTOR_SIZE, EXPRESSION_SIZE = 256, 64
SCORE_THRESHOLD = 0.85  # the lowest detection score reported by default
OVERLAP = 0.3  # a box overlapping a likelier one by more than this (IoU) is the same face
MAX_FACES = 20
MIN_SIDE = 4  # pixels: a smaller box (or one turned inside out, which BlazeFace gives now and then) is no face
CROP_SCALE = 1.4  # Human's config.face.detector.scale
GREY = np.array([0.2989, 0.5870, 0.1140], np.float32)  # Human's constants.rgb


def anchors() -> np.ndarray:
    """(896, 2) anchor centres in input pixels, as Human's generateAnchors(256) lays them out."""
    centres = []
    for stride, per_cell in ((16, 2), (32, 6)):
        c = (np.arange(DETECTOR_SIZE // stride, dtype=np.float32) + 0.5) * stride
        x, y = np.meshgrid(c, c)
        centres.append(np.repeat(np.stack([x.ravel(), y.ravel()], axis=1), per_cell, axis=0))
    return np.concatenate(centres)


ANCHORS = anchors()


class Face(NamedTuple):
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in the photo's own pixels: the detector's box
    score: float  # the detector's
    points: np.ndarray  # (6, 2): the eyes, the tip of the nose, the mouth, the ears (MediaPipe's order)
    probabilities: np.ndarray  # (7,) in the experiment's label order

    def as_json(self, labels: tuple[str, ...]) -> dict:
        top = int(np.argmax(self.probabilities))
        return {"box": [round(v, 1) for v in self.box], "score": round(self.score, 4), "expression": labels[top],
                "probabilities": {label: round(float(p), 4) for label, p in zip(labels, self.probabilities)},
                "points": self.points.astype(float).round(1).tolist()}


@dataclass(frozen=True, kw_only=True)
class FaceReader(Pretrained, Experiment):
    kind: ClassVar[str] = "face reader"
    web: ClassVar[str] = "mlsandbox.web.face_reader"

    labels: tuple[str, ...]  # the expressions, in the network's output order
    converter: str

    @property
    def remake(self) -> str:
        return f"{self.converter} && mlsandbox train {self.id}"

    def details(self) -> dict:
        return {"labels": list(self.labels), "score_threshold": SCORE_THRESHOLD, "max_faces": MAX_FACES,
                "input_size": [EXPRESSION_SIZE, EXPRESSION_SIZE], "detector_size": [DETECTOR_SIZE, DETECTOR_SIZE]}

    def open_runtime(self, path: Path | None = None) -> "FaceFinder":
        return FaceFinder(self, path, threads=2)

    def evaluate(self, data, model_path: Path | None = None):
        """The faces found in each photo that shows some, and the likeliest non-face in those that show none."""
        finder = FaceFinder(self, model_path)
        with_faces = {name: [f.as_json(self.labels) for f in finder.find(imaging.to_rgb(imaging.decode(path.read_bytes())))]
                      for name, path in data["with_faces"].items()}
        best_without = {name: round(float(finder.candidates(frame)[0].max()), 4)
                        for name, frame in data["without_faces"].items()}
        return {"photos_with_faces": with_faces, "highest_score_without_faces": best_without,
                "score_threshold": SCORE_THRESHOLD}, {}

    def headline(self, metrics: dict) -> str:
        found = sum(bool(faces) for faces in metrics["photos_with_faces"].values())
        false = sum(score >= SCORE_THRESHOLD for score in metrics["highest_score_without_faces"].values())
        return (f"pretrained; a face found in {found} of {len(metrics['photos_with_faces'])} photos of people, "
                f"in {false} of {len(metrics['highest_score_without_faces'])} without")

    def predict(self, inputs: list[str], as_json: bool, top: int | None, model_path: Path | None = None) -> int:
        """`mlsandbox predict`: the faces in each photo and their expressions, one line per file."""
        finder = self.open_runtime(model_path)
        failures = 0
        for name in inputs:
            try:
                image = imaging.to_rgb(imaging.decode(imaging.read_file(name)))
            except (OSError, imaging.ImageError) as e:
                failures += 1
                report_refusal("file", name, e.strerror if isinstance(e, OSError) and e.strerror else str(e), as_json)
                continue
            faces = [f.as_json(self.labels) for f in finder.find(image)]
            if as_json:
                print(json.dumps({"file": name, "width": image.width, "height": image.height, "faces": faces}))
            else:
                print(f"{name}: " + ("; ".join(said(face, top) for face in faces) or "no face found"))
        return 1 if failures else 0


def said(face: dict, top: int | None) -> str:
    ranked = sorted(face["probabilities"].items(), key=lambda item: -item[1])[: top or 3]
    where = [round(v) for v in face["box"]]
    return f"a face ({face['score']:.0%}) at {where}: " + ", ".join(f"{label} {p:.0%}" for label, p in ranked)


class FaceFinder:
    """ONNX Runtime over both networks, and the steps between them (see the module's docstring)."""

    def __init__(self, experiment: FaceReader, path: Path | None = None, threads: int = 1):
        self.experiment = experiment
        self.expressions, self.sha256 = open_session(experiment, path, threads)
        self.detector = open_companion(experiment, DETECTOR, path, threads)
        self.detector_outputs = [o.name for o in self.detector.get_outputs()]
        self.labels = experiment.labels

    def detect(self, image: Image.Image) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every anchor's score (0..1), box (x1, y1, x2, y2) and six points, in the photo's pixels."""
        square, scale, offset = letterboxed(image, DETECTOR_SIZE)
        outputs = dict(zip(self.detector_outputs, self.detector.run(None, {"image": ((square - 127.5) / 127.5)[None]})))
        logits = np.concatenate([outputs["scores_16"][0, :, 0], outputs["scores_32"][0, :, 0]])
        raw = np.concatenate([outputs["boxes_16"][0], outputs["boxes_32"][0]])
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -80.0, 80.0)))
        centres, sizes = raw[:, 0:2] + ANCHORS, raw[:, 2:4]
        boxes = np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=1) * scale + np.tile(offset, 2)
        points = (raw[:, 4:16].reshape(-1, 6, 2) + ANCHORS[:, None]) * scale + offset
        return scores, boxes, points

    def candidates(self, image: Image.Image) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """detect's anchors, those whose box is under MIN_SIDE or turned inside out scored 0: no face."""
        scores, boxes, points = self.detect(image)
        sides = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
        return np.where(sides >= MIN_SIDE, scores, 0.0), boxes, points

    def find(self, image: Image.Image, threshold: float = SCORE_THRESHOLD) -> list[Face]:
        """The faces in an RGB photo scoring threshold or more, likeliest first, with their expressions."""
        scores, boxes, points = self.candidates(image)
        kept = suppress(boxes, scores, np.flatnonzero((scores >= threshold) & (scores > 0)), OVERLAP)[:MAX_FACES]
        if not kept:
            return []
        probabilities = self.read(np.stack([face_input(image, boxes[i]) for i in kept]))
        return [Face(tuple(float(v) for v in boxes[i]), float(scores[i]), points[i], p)
                for i, p in zip(kept, probabilities)]

    def read(self, faces: np.ndarray) -> np.ndarray:
        """(N, 64, 64, 1) face inputs -> (N, 7) probabilities."""
        return self.expressions.run(None, {"face": faces})[0]


def face_square(box: np.ndarray) -> tuple[int, int, int, int]:
    """The cut the expression network reads: the box enlarged CROP_SCALE times about its centre, squared on its
    longer side, corners rounded to pixels (Human's enlargeBox, then squarifyBox)."""
    centre = (box[:2] + box[2:]) / 2
    half = CROP_SCALE * float(np.max(box[2:] - box[:2])) / 2
    x1, y1, x2, y2 = (round(v) for v in (centre[0] - half, centre[1] - half, centre[0] + half, centre[1] + half))
    return x1, y1, x2, y2


def face_input(image: Image.Image, box: np.ndarray) -> np.ndarray:
    """A face's (64, 64, 1) input: its square cut (black beyond the photo), resized (bilinear), grey, -1..1."""
    cut = image.crop(face_square(box)).resize((EXPRESSION_SIZE, EXPRESSION_SIZE), Image.Resampling.BILINEAR)
    grey = np.asarray(cut, np.float32) @ GREY
    return ((grey - 127.5) / 127.5)[..., None]
