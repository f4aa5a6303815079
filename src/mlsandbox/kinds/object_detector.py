"""Object detectors: a photo or camera frame in, boxes with labels and scores out.

The network (NanoDet, converted from TensorFlow.js) scores every class in every cell of three grids and
regresses the four sides of a box there as a distribution over 11 distance bins. Turning that into boxes,
thresholding them and suppressing duplicates is NumPy here, so what is served is what is tested.
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
from mlsandbox.runtime import open_session

SCORE_THRESHOLD, IOU_THRESHOLD, MAX_DETECTIONS = 0.35, 0.6, 100


class Detection(NamedTuple):
    label: str
    score: float
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in the photo's own pixels

    def as_json(self) -> dict:
        return {"label": self.label, "score": round(self.score, 4), "box": [round(v, 1) for v in self.box]}


@dataclass(frozen=True, kw_only=True)
class ObjectDetector(Pretrained, Experiment):
    """Detectors here are pretrained ones, converted to ONNX by the command `converter` names."""

    kind: ClassVar[str] = "object detector"
    web: ClassVar[str] = "mlsandbox.web.object_detector"

    input_size: int = 416
    mean: tuple[float, float, float]  # per channel, in the network's channel order, on 0..255 pixels
    std: tuple[float, float, float]
    bgr: bool = True  # the network reads blue, green, red
    strides: tuple[int, ...] = (8, 16, 32)
    bins: int = 11  # distance bins per box side
    converter: str = ""  # the command that converts the network to ONNX first

    @property
    def remake(self) -> str:
        return f"{self.converter} && mlsandbox train {self.id}" if self.converter else super().remake

    def prepare(self, image: Image.Image) -> np.ndarray:
        """An RGB photo (imaging.to_rgb) -> the (1, 3, size, size) input: stretched to the square, normalised."""
        size = self.input_size
        pixels = np.asarray(image.resize((size, size), Image.Resampling.BILINEAR), dtype=np.float32)
        if self.bgr:
            pixels = pixels[..., ::-1]
        pixels = (pixels - np.array(self.mean, np.float32)) / np.array(self.std, np.float32)
        return np.ascontiguousarray(pixels.transpose(2, 0, 1)[None])

    def details(self) -> dict:
        return {"input_size": [self.input_size, self.input_size], "score_threshold": SCORE_THRESHOLD,
                "iou_threshold": IOU_THRESHOLD}

    def open_runtime(self, path: Path | None = None) -> "Detector":
        return Detector(self, path, threads=2)

    def evaluate(self, data, model_path: Path | None = None):
        """What the detector finds on each test photo."""
        detector = Detector(self, model_path)
        return {"photos": {name: [d.as_json() for d in detector.detect(imaging.to_rgb(imaging.decode(path.read_bytes())))]
                           for name, path in data.items()}}, {}

    def headline(self, metrics: dict) -> str:
        return "pretrained on COCO (80 classes)"

    def predict(self, inputs: list[str], as_json: bool, top: int | None, model_path: Path | None = None) -> int:
        """`mlsandbox predict`: the objects in each photo, one line per file."""
        detector = self.open_runtime(model_path)
        failures = 0
        for name in inputs:
            try:
                found = detector.detect(imaging.to_rgb(imaging.decode(imaging.read_file(name))))[:top]
            except (OSError, imaging.ImageError) as e:
                failures += 1
                report_refusal("file", name, e.strerror if isinstance(e, OSError) and e.strerror else str(e), as_json)
                continue
            if as_json:
                print(json.dumps({"file": name, "detections": [d.as_json() for d in found]}))
            else:
                print(f"{name}: " + (", ".join(f"{d.label} {d.score:.0%} at {[round(v) for v in d.box]}"
                                               for d in found) or "nothing found"))
        return 1 if failures else 0


class Detector:
    """ONNX Runtime over the converted network, and the decoding of its grids into boxes."""

    def __init__(self, experiment: ObjectDetector, path: Path | None = None, threads: int = 1):
        self.experiment = experiment
        self.session, self.sha256 = open_session(experiment, path, threads)
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.labels = tuple(json.loads(self.session.get_modelmeta().custom_metadata_map["labels"]))
        self.grids = self._grids()

    def _grids(self) -> list[tuple[int, int, str, str, np.ndarray]]:
        """Per stride: the grid's side, and the names of its score and box outputs, known by their shapes,
        and the centres of its cells in input pixels."""
        outputs = {o.name: o.shape for o in self.session.get_outputs()}
        grids = []
        for stride in self.experiment.strides:
            side = self.experiment.input_size // stride
            scores = [n for n, s in outputs.items() if s[1] == side * side and s[2] == len(self.labels)]
            boxes = [n for n, s in outputs.items() if s[1] == side * side and s[2] == 4 * self.experiment.bins]
            rows, cols = np.divmod(np.arange(side * side), side)
            centres = np.stack([(cols + 0.5) * stride, (rows + 0.5) * stride], axis=1).astype(np.float32)
            grids.append((stride, side, scores[0], boxes[0], centres))
        return grids

    def raw(self, model_input: np.ndarray) -> dict[str, np.ndarray]:
        return dict(zip(self.output_names, self.session.run(self.output_names, {self.input_name: model_input})))

    def detect(self, image: Image.Image, threshold: float = SCORE_THRESHOLD) -> list[Detection]:
        """Objects in an RGB photo, most confident first, boxes in the photo's own pixels."""
        return self.decode(self.raw(self.experiment.prepare(image)), image.size, threshold)

    def decode(self, outputs: dict[str, np.ndarray], size: tuple[int, int], threshold: float = SCORE_THRESHOLD,
               iou: float = IOU_THRESHOLD) -> list[Detection]:
        bins = np.arange(self.experiment.bins, dtype=np.float32)
        boxes, scores, classes = [], [], []
        for stride, side, score_name, box_name, centres in self.grids:
            cell_scores = outputs[score_name][0]  # (cells, classes), already through a sigmoid
            cell, label = np.nonzero(cell_scores > threshold)
            if cell.size == 0:
                continue
            logits = outputs[box_name][0][cell].reshape(-1, 4, self.experiment.bins)
            weights = np.exp(logits - logits.max(axis=2, keepdims=True))
            distances = (weights / weights.sum(axis=2, keepdims=True)) @ bins * stride  # left, top, right, bottom
            boxes.append(np.concatenate([centres[cell] - distances[:, :2], centres[cell] + distances[:, 2:]], axis=1))
            scores.append(cell_scores[cell, label])
            classes.append(label)
        if not boxes:
            return []
        boxes, scores, classes = np.concatenate(boxes), np.concatenate(scores), np.concatenate(classes)
        scale = np.array([size[0], size[1]] * 2, np.float32) / self.experiment.input_size
        boxes = np.clip(boxes * scale, 0, [size[0], size[1]] * 2)
        kept = [i for c in np.unique(classes) for i in suppress(boxes, scores, np.flatnonzero(classes == c), iou)]
        kept = sorted(kept, key=lambda i: -scores[i])[:MAX_DETECTIONS]
        return [Detection(self.labels[classes[i]], float(scores[i]), tuple(float(v) for v in boxes[i])) for i in kept]


def suppress(boxes: np.ndarray, scores: np.ndarray, candidates: np.ndarray, iou: float) -> list[int]:
    """Non-maximum suppression: of boxes overlapping more than iou, keep the highest scoring."""
    order = candidates[np.argsort(-scores[candidates])]
    kept = []
    while order.size:
        best, order = order[0], order[1:]
        kept.append(int(best))
        x1 = np.maximum(boxes[best, 0], boxes[order, 0])
        y1 = np.maximum(boxes[best, 1], boxes[order, 1])
        x2 = np.minimum(boxes[best, 2], boxes[order, 2])
        y2 = np.minimum(boxes[best, 3], boxes[order, 3])
        overlap = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
        union = area(boxes[best]) + area(boxes[order]) - overlap
        order = order[overlap / np.maximum(union, 1e-9) <= iou]
    return kept


def area(box: np.ndarray) -> np.ndarray:
    return (box[..., 2] - box[..., 0]) * (box[..., 3] - box[..., 1])
