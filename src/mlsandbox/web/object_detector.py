"""The routes of object detectors: the objects in one photo (POST), or in a stream of camera frames
(a WebSocket: a JPEG in, its detections out, one frame at a time)."""

from __future__ import annotations

import json
import time

from fastapi import APIRouter, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field

from mlsandbox import imaging, runtime
from mlsandbox.kinds.object_detector import SCORE_THRESHOLD, ObjectDetector
from mlsandbox.web.common import answered_as_http, experiment_or_404, offload, problems, read_body

router = APIRouter(tags=["object detectors"])

MAX_FRAME_RATE = 60  # frames per second one camera connection may send; more is a flood and is closed


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
             openapi_extra={"requestBody": {"content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
                                            "required": True}})
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


@router.websocket("/api/experiments/{experiment_id}/frames")
async def detect_frames(websocket: WebSocket, experiment_id: str) -> None:
    """Camera frames: send each frame as a binary JPEG message and wait for its answer, a JSON text message
    (Detections, or {"error": ...} for a frame that could not be read). A text message
    {"threshold": 0.5} changes the lowest score shown."""
    try:
        experiment = experiment_or_404(experiment_id, ObjectDetector)
    except HTTPException as e:
        await websocket.close(code=1008, reason=e.detail[:120])
        return
    await websocket.accept()
    try:
        runtime.served(experiment)
    except runtime.ModelUnavailable:
        await websocket.close(code=1013, reason=f"The model is unavailable: GET /api/experiments/{experiment.id} "
                                                "says why and how to fix it.")
        return
    threshold, recent = SCORE_THRESHOLD, []
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            now = time.monotonic()
            recent = [t for t in recent if now - t < 1.0] + [now]
            if len(recent) > MAX_FRAME_RATE:
                await websocket.close(code=1008, reason=f"More than {MAX_FRAME_RATE} frames a second: wait for "
                                                        "each answer before sending the next frame.")
                return
            if message.get("text") is not None:
                threshold, answer = settings(message["text"], threshold)
            else:
                answer = await frame_answer(experiment, message.get("bytes") or b"", threshold)
            await websocket.send_text(json.dumps(answer))
    except WebSocketDisconnect:
        return


def settings(text: str, threshold: float) -> tuple[float, dict]:
    try:
        value = json.loads(text)["threshold"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.05 <= value <= 1:
            raise ValueError
    except (ValueError, KeyError, TypeError, RecursionError):  # RecursionError: JSON nested too deep to parse
        return threshold, {"error": 'Send {"threshold": x} with x from 0.05 to 1, or a JPEG frame as binary data.'}
    return float(value), {"threshold": float(value)}


async def frame_answer(experiment: ObjectDetector, data: bytes, threshold: float) -> dict:
    if len(data) > imaging.MAX_BYTES:
        return {"error": f"The frame is over {imaging.MAX_BYTES:,} bytes. Send a smaller JPEG."}
    try:
        found = await offload(detect, experiment, data, threshold)
    except (imaging.ImageError, runtime.ModelUnavailable) as e:
        return {"error": str(e)}
    except HTTPException as e:  # every worker busy: this frame is dropped, the next may be served
        return {"error": e.detail}
    return found.model_dump()
