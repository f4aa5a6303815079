"""The routes of object detectors: the objects in one photo (POST), or in a stream of camera frames
(the camera WebSocket of mlsandbox.web.camera: a JPEG in, its detections out, one frame at a time)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from mlsandbox import imaging, runtime
from mlsandbox.kinds.object_detector import SCORE_THRESHOLD, ObjectDetector
from mlsandbox.web import camera
from mlsandbox.web.common import PHOTO_BODY, answered_as_http, experiment_or_404, offload, problems, read_body

router = APIRouter(tags=["object detectors"])


class Box(BaseModel):
    label: str
    score: float = Field(ge=0, le=1)
    box: list[float] = Field(description="x1, y1, x2, y2 in the photo's own pixels", min_length=4, max_length=4)


class Detections(BaseModel):
    experiment: str
    width: int = Field(description="the photo's width, upright")
    height: int
    detections: list[Box] = Field(description="most confident first")
    milliseconds: float = Field(description="server time: decode, resize, network, boxes")


def detect(experiment: ObjectDetector, data: bytes, threshold: float) -> Detections:
    """The whole path for one image; raises ImageError or ModelUnavailable."""
    started = time.perf_counter()
    image = imaging.to_rgb(imaging.decode(data))
    found = runtime.served(experiment).detect(image, threshold)
    return Detections(experiment=experiment.id, width=image.width, height=image.height,
                      detections=[Box(**d.as_json()) for d in found],
                      milliseconds=round((time.perf_counter() - started) * 1000, 3))


@router.post("/api/experiments/{experiment_id}/detect", responses=problems(404, 413, 422, 503),
             openapi_extra={"requestBody": PHOTO_BODY})
async def detect_photo(
    experiment_id: str,
    request: Request,
    threshold: float = Query(SCORE_THRESHOLD, ge=0.05, le=1, description="the lowest score shown"),
) -> Detections:
    """Find objects in a photo: the body is the image bytes (JPEG, PNG, WebP)."""
    experiment = experiment_or_404(experiment_id, ObjectDetector)
    data = await read_body(request, imaging.MAX_BYTES, "image")
    with answered_as_http():
        return await offload(detect, experiment, data, threshold)


camera.LOOKS[ObjectDetector] = camera.Look(detect, SCORE_THRESHOLD)
