"""The routes of hand classifiers beyond predict (which is the image classifier's): teach the model a
person's own hand from a few frames of each pose, then play with what it learned.

A taught model is a small head over the network's features. It lives in this server's memory only: the
newest MAX_TAUGHT for at most TAUGHT_SECONDS each, or until the person forgets it, never on disk unless the
person downloads it."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections import OrderedDict

import numpy as np
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from mlsandbox import experiments, runtime
from mlsandbox.kinds.hand_classifier import TEACH_LIMITS, HandClassifier, TaughtHead, teach
from mlsandbox.web.common import answered_as_http, experiment_or_404, offload, problems, read_body
from mlsandbox.web.image_classifier import IMAGE_BODY, Guess, Prediction, image_of

router = APIRouter(tags=["hand classifiers"])

MAX_TAUGHT = 64  # taught models kept by the server; teaching one more forgets the oldest
TAUGHT_SECONDS = 3600
MAX_TEACH_BYTES = TEACH_LIMITS["max_frames"] * TEACH_LIMITS["max_frame_bytes"] * 4 // 3 + 65536  # base64 and JSON
TAUGHT: OrderedDict[str, tuple[str, TaughtHead]] = OrderedDict()  # token -> (experiment id, head), oldest first

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


class Taught(BaseModel):
    experiment: str
    model: str = Field(description="the taught model: POST /api/experiments/{id}/taught/{model}/predict uses it")
    frames: dict[str, int] = Field(description="frames taught from, by label")
    training_accuracy: float = Field(ge=0, le=1, description="on the frames it was taught from")
    milliseconds: float = Field(description="server time: reading the frames and fitting the head")
    expires_in_seconds: int


def frames_of(body: bytes, experiment: HandClassifier) -> tuple[list[bytes], np.ndarray]:
    """The frames' image bytes and label indices, or a 422 that says what is wrong with the request."""
    def refuse(message: str):
        raise HTTPException(422, message)

    try:
        frames = json.loads(body)["frames"]
        if not isinstance(frames, list) or not all(isinstance(f, dict) for f in frames):
            raise TypeError
    except (ValueError, KeyError, TypeError):
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
            data = base64.b64decode(encoded.split(",", 1)[1] if encoded.startswith("data:") else encoded, validate=True)
        except (binascii.Error, IndexError, ValueError):
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


def fit(experiment: HandClassifier, images: list[bytes], labels: np.ndarray) -> tuple[TaughtHead, float]:
    """Read each frame as predict does, fit the head on the network's features; (head, training accuracy)."""
    features = runtime.served(experiment).features([experiment.prepare(data) for data in images])
    head = teach(features, labels, experiment.labels)
    return head, float((head.probabilities(features).argmax(1) == labels).mean())


def taught_or_404(experiment: HandClassifier, model: str) -> TaughtHead:
    now = time.monotonic()
    for token in [t for t, (_, head) in TAUGHT.items() if now - head.created > TAUGHT_SECONDS]:
        del TAUGHT[token]
    owner, head = TAUGHT.get(model, (None, None))
    if owner != experiment.id:
        raise HTTPException(404, f"No taught model {model[:40]!r} for {experiment.id}: taught models last "
                            f"{TAUGHT_SECONDS // 60} minutes and the server keeps the newest {MAX_TAUGHT}. Teach it again.")
    return head


@router.post("/api/experiments/{experiment_id}/teach", responses=problems(404, 413, 422, 503),
             openapi_extra={"requestBody": TEACH_BODY})
async def teach_hand(experiment_id: str, request: Request) -> Taught:
    """Teach the model your own hand: a few camera frames of each pose, labelled. A small head is fitted on
    the network's features (in about a second) and kept in memory; predict with it by its `model` token."""
    experiment = teachable_or_404(experiment_id)
    images, labels = frames_of(await read_body(request, MAX_TEACH_BYTES, "set of frames"), experiment)
    started = time.perf_counter()
    with answered_as_http():
        head, accuracy = await offload(fit, experiment, images, labels)
    token = secrets.token_urlsafe(16)
    TAUGHT[token] = (experiment.id, head)
    while len(TAUGHT) > MAX_TAUGHT:
        TAUGHT.popitem(last=False)
    return Taught(experiment=experiment.id, model=token, frames=head.frames, training_accuracy=accuracy,
                  milliseconds=round((time.perf_counter() - started) * 1000, 3), expires_in_seconds=TAUGHT_SECONDS)


@router.post("/api/experiments/{experiment_id}/taught/{model}/predict", responses=problems(404, 413, 422, 503),
             openapi_extra={"requestBody": IMAGE_BODY})
async def predict_taught(experiment_id: str, model: str, request: Request) -> Prediction:
    """Name the pose in a frame with a taught model (the body as for predict)."""
    experiment = teachable_or_404(experiment_id)
    head = taught_or_404(experiment, model)
    data = await image_of(request)
    started = time.perf_counter()
    with answered_as_http():
        features = await offload(lambda: runtime.served(experiment).features([experiment.prepare(data)])[0])
    ranked = head.ranked(features)
    return Prediction(experiment=experiment.id, label=ranked[0][0],
                      ranked=[Guess(label=label, probability=p) for label, p in ranked],
                      milliseconds=round((time.perf_counter() - started) * 1000, 3))


@router.get("/api/experiments/{experiment_id}/taught/{model}", responses=problems(404))
def export_taught(experiment_id: str, model: str) -> JSONResponse:
    """Download a taught model (its head's weights over the network's features), the only way it leaves memory."""
    experiment = teachable_or_404(experiment_id)
    head = taught_or_404(experiment, model)
    return JSONResponse({"experiment": experiment.id, "network_sha256": runtime.served(experiment).sha256,
                         **head.exported()},
                        headers={"Content-Disposition": f'attachment; filename="{experiment.id}-taught.json"'})


@router.delete("/api/experiments/{experiment_id}/taught/{model}", status_code=204, responses=problems(404))
def forget_taught(experiment_id: str, model: str) -> Response:
    """Forget a taught model now, rather than when it expires."""
    taught_or_404(teachable_or_404(experiment_id), model)
    TAUGHT.pop(model, None)  # a teach running meanwhile may have dropped it already
    return Response(status_code=204)
