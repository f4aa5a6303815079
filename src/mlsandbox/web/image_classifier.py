"""The routes of image classifiers: classify an image, and show training examples of a label."""

from __future__ import annotations

import json
import time

import numpy as np
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from mlsandbox import assets, imaging, runtime
from mlsandbox.kinds.image_classifier import ImageClassifier
from mlsandbox.web.common import (RUN_DESCRIPTION, answered_as_http, experiment_or_404, from_data_url, offload,
                                  problems, read_body, served)

router = APIRouter(tags=["image classifiers"])

IMAGE_BODY = {
    "content": {
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "application/json": {"schema": {"type": "object", "properties": {"image": {
            "type": "string", "description": "a data URL (data:image/png;base64,...) or plain base64"}}}},
    },
    "required": True,
}


class Guess(BaseModel):
    label: str
    probability: float = Field(ge=0, le=1)


class Heatmap(BaseModel):
    box: list[int] = Field(description="x1, y1, x2, y2: the part of the photo (in its own pixels) the network saw")
    size: list[int] = Field(description="the photo's width and height, upright")
    cells: list[list[float]] = Field(description="where the network saw its top label, rows of 0..1 over the box")


class HandSeen(BaseModel):
    seen: bool = Field(description="whether a hand was found in the frame")
    score: float | None = Field(None, ge=0, le=1, description="how sure the landmark model is that it is a hand")
    size: list[int] | None = Field(None, description="the frame's width and height, upright")
    points: list[list[float]] | None = Field(None, description="the hand's 21 landmarks (x, y) in the frame's pixels, "
                                                             "in MediaPipe's order (wrist first)")


INPUT_SHAPES = ("what the model saw, with show_input=true: a drawing as rows of pixels in 0..1 (digits_mlp, "
                "digits_cnn, clothes_cnn 28x28; sketch_mlp, sketch_cnn 32x32); a picture as its channels (red, green, "
                "blue) of rows (rps_cnn 3x96x96 and rps_mobilenet_v2 3x224x224 in 0..1; image_classification "
                "3x224x224 after ImageNet's normalisation); null for a landmark reader, which reads the hand's points, "
                "not pixels")


class Prediction(BaseModel):
    experiment: str
    label: str | None = Field(description="the most likely label; null when a hand landmark reader sees no hand")
    ranked: list[Guess] = Field(description="labels with their probabilities, most likely first")
    input: list[list[float]] | list[list[list[float]]] | None = Field(None, description=INPUT_SHAPES)
    heatmap: Heatmap | None = Field(None, description="photo classifiers: where the network looked")
    hand: HandSeen | None = Field(None, description="hand landmark readers: the hand they found, if any")
    milliseconds: float = Field(description="server time from bytes to probabilities")


@router.post("/api/experiments/{experiment_id}/predict", responses=problems(404, 409, 413, 422, 503),
             openapi_extra={"requestBody": IMAGE_BODY})
async def predict(
    experiment_id: str,
    request: Request,
    top: int | None = Query(None, ge=1, description="how many labels to return (default: all; 5 for photos)"),
    show_input: bool = Query(False, description="also return the preprocessed model input"),
    run: str | None = Query(None, description=RUN_DESCRIPTION),
) -> Prediction:
    """Classify a drawing or photo: the body is the image bytes (PNG, JPEG, WebP), or JSON with a data URL.

    A drawing is cropped to its ink, scaled and centred the way the training data was; a photo is turned
    upright, resized and centre-cropped the way ImageNet's were. Then it is classified.
    """
    experiment = experiment_or_404(experiment_id, ImageClassifier)
    data = await image_of(request)
    started = time.perf_counter()

    def classify():  # in a worker thread
        prepared = experiment.prepare(data)
        return prepared, model.answer(prepared, top=top)

    with answered_as_http():
        model = served(experiment, run)
        prepared, answer = await offload(classify)
    ranked = answer["ranked"]
    return Prediction(
        experiment=experiment.id,
        label=ranked[0][0] if ranked else None,
        ranked=[Guess(label=label, probability=p) for label, p in ranked],
        input=model_input(prepared).round(3).tolist() if show_input and model_input(prepared) is not None else None,
        heatmap=answer.get("heatmap"),
        hand=answer.get("hand"),
        milliseconds=round((time.perf_counter() - started) * 1000, 3),
    )


@router.get("/api/experiments/{experiment_id}/examples", response_class=Response,
            responses={200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
                             "description": "the drawings side by side"}, **problems(404, 422, 503)})
def examples(
    experiment_id: str,
    label: str = Query(..., max_length=200, description="one of the experiment's labels"),
    count: int = Query(6, ge=1, le=24, description="how many examples"),
) -> Response:
    """A PNG strip of training examples of one label: what the model learned that label from."""
    experiment = experiment_or_404(experiment_id, ImageClassifier)
    if experiment.examples is None:
        raise HTTPException(404, f"{experiment.id} has no training examples to show.")
    if label not in experiment.labels:
        raise HTTPException(404, f"{experiment.id} has no label {label!r}; GET /api/experiments/{experiment.id} "
                            "lists its labels.")
    try:
        chosen = experiment.examples(label, count)
    except assets.AssetError as e:
        raise HTTPException(503, str(e)) from None
    return Response(imaging.to_png(np.hstack(list(chosen))), media_type="image/png",
                    headers={"Cache-Control": "public, max-age=86400"})


def model_input(prepared) -> np.ndarray | None:
    """The pixels a prepared image gives the network (a photo carries them with its crop box), if it has any."""
    pixels = getattr(prepared, "input", prepared)
    return pixels if isinstance(pixels, np.ndarray) else None


async def image_of(request: Request) -> bytes:
    """The image a request carries: its body, or the data URL of its JSON body; bounded in size."""
    data = await read_body(request, imaging.MAX_BYTES, "image")
    if request.headers.get("content-type", "").startswith("application/json"):
        data = image_from_json(data)
    return data


def image_from_json(body: bytes) -> bytes:
    try:
        return from_data_url(json.loads(body)["image"])
    except (ValueError, KeyError, TypeError, RecursionError):
        raise HTTPException(
            422, 'Send JSON as {"image": "data:image/png;base64,..."}, or the raw image bytes with '
            "Content-Type: image/png."
        ) from None
