"""The routes of hand classifiers beyond predict (which is the image classifier's): teach the model a
person's own hand from a few frames of each pose, then play with what it learned.

A taught model is a small head over the network's features. The server keeps none: teach answers it to the
person (the page holds it, and may download it), who sends it back with each frame to read. So any server
process can read any frame, and nothing of a person's hand stays on the server, not even in memory."""

from __future__ import annotations

import json
import time

import numpy as np
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from mlsandbox import experiments, imaging, runtime
from mlsandbox.kinds.hand_classifier import TEACH_LIMITS, HandClassifier, TaughtHead, teach
from mlsandbox.web.common import answered_as_http, experiment_or_404, from_data_url, offload, problems, read_body
from mlsandbox.web.image_classifier import Guess, Prediction

router = APIRouter(tags=["hand classifiers"])

MAX_TEACH_BYTES = TEACH_LIMITS["max_frames"] * TEACH_LIMITS["max_frame_bytes"] * 4 // 3 + 65536  # base64 and JSON
MAX_MODEL_BYTES = 65536  # a taught model's JSON: MobileNetV2's 1280 x 3 weights are 20 kB of base64
SEND_TAUGHT = 'Send JSON as {"model": the model that teach answered, "image": "data:image/jpeg;base64,..."}.'

TEACH_BODY = {
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["frames"],
        "properties": {"frames": {
            "type": "array", "maxItems": TEACH_LIMITS["max_frames"],
            "description": f"at least {TEACH_LIMITS['min_frames_per_pose']} frames of each of the experiment's labels",
            "items": {"type": "object", "required": ["label", "image"], "properties": {
                "label": {"type": "string", "description": "the pose shown: one of the experiment's labels"},
                "image": {"type": "string", "description": "the frame as a data URL (data:image/jpeg;base64,...) "
                                                           "or plain base64"}}}}}}}},
    "required": True,
}


class TaughtModel(BaseModel):
    """A person's taught model, as teach answers it and the page downloads it: a softmax layer over the network's
    features. Send it with each frame to POST /api/experiments/{id}/taught/predict; the server keeps no copy."""

    experiment: str = Field(description="the experiment it was taught on: it reads frames for that one only")
    network_sha256: str = Field(description="the sha256 of the network whose features it reads: a new version of "
                                            "the network needs the hand taught again")
    labels: list[str] = Field(description="the experiment's labels, in its order: the weights' columns")
    weights: str = Field(description="base64 of little-endian float32 numbers, shape (features, labels), row-major")
    bias: list[float] = Field(description="one number for each label")
    frames: dict[str, int] = Field(description="frames taught from, by label")


class Taught(BaseModel):
    experiment: str
    model: TaughtModel
    frames: dict[str, int] = Field(description="frames taught from, by label")
    training_accuracy: float = Field(ge=0, le=1, description="on the frames it was taught from")
    milliseconds: float = Field(description="server time: reading the frames and fitting the head")


TAUGHT_FRAME_BODY = {
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["model", "image"],
        "properties": {"model": {"$ref": "#/components/schemas/TaughtModel"},
                       "image": {"type": "string", "description": "the frame as a data URL (data:image/jpeg;base64,...) "
                                                                  "or plain base64"}}}}},
    "required": True,
}


def frames_of(body: bytes, experiment: HandClassifier) -> tuple[list[bytes], np.ndarray]:
    """The frames' image bytes and label indices, or a 422 that says what is wrong with the request."""
    def refuse(message: str):
        raise HTTPException(422, message)

    try:
        frames = json.loads(body)["frames"]
        if not isinstance(frames, list) or not all(isinstance(f, dict) for f in frames):
            raise TypeError
    except (ValueError, KeyError, TypeError, RecursionError):
        refuse('Send JSON as {"frames": [{"label": "rock", "image": "data:image/jpeg;base64,..."}, ...]}.')
    if len(frames) > TEACH_LIMITS["max_frames"]:
        refuse(f"{len(frames)} frames is too many: send at most {TEACH_LIMITS['max_frames']}.")
    images, labels = [], []
    for number, frame in enumerate(frames, 1):
        label, encoded = frame.get("label"), frame.get("image")
        if label not in experiment.labels:
            refuse(f"Frame {number} has the label {label!r}; the labels are {', '.join(experiment.labels)}.")
        if not isinstance(encoded, str):
            refuse(f"Frame {number} has no image: give each frame an \"image\" as a data URL.")
        try:
            data = from_data_url(encoded)
        except ValueError:
            refuse(f"Frame {number}'s image is not valid base64.")
        if len(data) > TEACH_LIMITS["max_frame_bytes"]:
            refuse(f"Frame {number} is {len(data):,} bytes; a frame may have {TEACH_LIMITS['max_frame_bytes']:,}. "
                   "Send smaller frames (a 224x224 JPEG is plenty).")
        images.append(data)
        labels.append(experiment.labels.index(label))
    counts = np.bincount(np.array(labels, dtype=np.int64), minlength=len(experiment.labels))
    few = [f"{name} {count}" for name, count in zip(experiment.labels, counts) if count < TEACH_LIMITS["min_frames_per_pose"]]
    if few:
        refuse(f"Show every pose for at least {TEACH_LIMITS['min_frames_per_pose']} frames; this had "
               f"{', '.join(few)}.")
    return images, np.array(labels)


def teachable_or_404(experiment_id: str) -> HandClassifier:
    experiment = experiment_or_404(experiment_id, HandClassifier)
    if not experiment.teachable:
        others = " or ".join(e.id for e in experiments.family(experiment)
                             if isinstance(e, HandClassifier) and e.teachable) or "another model"
        raise HTTPException(404, f"{experiment.id} is not taught: teach mode fits its head on {others}'s features. "
                            f"Teach {others} instead.")
    return experiment


def fit(experiment: HandClassifier, images: list[bytes], labels: np.ndarray) -> tuple[dict, float]:
    """Read each frame as predict does, fit the head on the network's features; (its JSON, training accuracy)."""
    network = runtime.served(experiment)
    features = network.features([experiment.prepare(data) for data in images])
    head = teach(features, labels, experiment.labels)
    return head.as_json(experiment, network), float((head.probabilities(features).argmax(1) == labels).mean())


def taught_frame(body: bytes) -> tuple[object, bytes]:
    """The taught model a request carries (unchecked) and its frame's bytes, or a 422 that says what to send."""
    try:
        sent = json.loads(body)
        return sent["model"], from_data_url(sent["image"])
    except (ValueError, KeyError, TypeError, RecursionError):
        raise HTTPException(422, SEND_TAUGHT) from None


@router.post("/api/experiments/{experiment_id}/teach", responses=problems(404, 413, 422, 503),
             openapi_extra={"requestBody": TEACH_BODY})
async def teach_hand(experiment_id: str, request: Request) -> Taught:
    """Teach the model your own hand: a few camera frames of each pose, labelled. A small head is fitted on
    the network's features (in about a second) and answered as `model`, which the server does not keep: send
    it with each frame to POST /api/experiments/{id}/taught/predict."""
    experiment = teachable_or_404(experiment_id)
    images, labels = frames_of(await read_body(request, MAX_TEACH_BYTES, "set of frames"), experiment)
    started = time.perf_counter()
    with answered_as_http():
        model, accuracy = await offload(fit, experiment, images, labels)
    return Taught(experiment=experiment.id, model=model, frames=model["frames"], training_accuracy=accuracy,
                  milliseconds=round((time.perf_counter() - started) * 1000, 3))


@router.post("/api/experiments/{experiment_id}/taught/predict", responses=problems(404, 413, 422, 503),
             openapi_extra={"requestBody": TAUGHT_FRAME_BODY})
async def predict_taught(experiment_id: str, request: Request) -> Prediction:
    """Name the pose in a frame with a taught model: JSON of the model that teach answered and the frame.
    Neither is kept."""
    experiment = teachable_or_404(experiment_id)
    model, data = taught_frame(await read_body(request, imaging.MAX_BYTES + MAX_MODEL_BYTES, "frame"))
    started = time.perf_counter()

    def read():  # in a worker thread
        network = runtime.served(experiment)
        try:
            head = TaughtHead.from_json(model, experiment, network)
        except ValueError as e:
            raise HTTPException(422, str(e)) from None
        return head.ranked(network.features([experiment.prepare(data)])[0])

    with answered_as_http():
        ranked = await offload(read)
    return Prediction(experiment=experiment.id, label=ranked[0][0],
                      ranked=[Guess(label=label, probability=p) for label, p in ranked],
                      milliseconds=round((time.perf_counter() - started) * 1000, 3))
