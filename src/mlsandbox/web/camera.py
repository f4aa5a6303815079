"""The camera WebSocket every camera kind shares: a JPEG frame in, the kind's answer out, one frame at a time.

A kind's web module registers how it looks at a frame (LOOKS); this module knows no kind."""

from __future__ import annotations

import json
import time
from typing import Callable, NamedTuple

from fastapi import APIRouter, HTTPException, WebSocket, WebSocketDisconnect
from pydantic import BaseModel

from mlsandbox import experiments, imaging, runtime
from mlsandbox.experiments import Experiment
from mlsandbox.web.common import offload

router = APIRouter(tags=["camera"])

MAX_FRAME_RATE = 60  # frames per second one camera connection may send; more is a flood and is closed


class Look(NamedTuple):
    """How a kind answers a frame: look(experiment, jpeg bytes, threshold) -> its answer (raises ImageError or
    ModelUnavailable), and the threshold a connection starts with."""

    look: Callable[[Experiment, bytes, float], BaseModel]
    threshold: float


LOOKS: dict[type, Look] = {}


def look_for(experiment_id: str) -> tuple[Experiment, Look]:
    try:
        experiment = experiments.get(experiment_id)
    except experiments.UnknownExperiment as e:
        raise HTTPException(404, str(e)) from None
    for kind, look in LOOKS.items():
        if isinstance(experiment, kind):
            return experiment, look
    raise HTTPException(404, f"{experiment.what()}, which takes no camera frames: "
                        f"{' and '.join(k.kind + 's' for k in LOOKS)} do.")


@router.websocket("/api/experiments/{experiment_id}/frames")
async def camera_frames(websocket: WebSocket, experiment_id: str) -> None:
    """Camera frames: send each frame as a binary JPEG message and wait for its answer, a JSON text message
    (the kind's answer, or {"error": ...} for a frame that could not be read). A text message
    {"threshold": 0.5} changes the lowest score shown."""
    try:
        experiment, look = look_for(experiment_id)
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
    threshold, recent = look.threshold, []
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
                answer = await frame_answer(look.look, experiment, message.get("bytes") or b"", threshold)
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


async def frame_answer(look: Callable[[Experiment, bytes, float], BaseModel], experiment: Experiment, data: bytes,
                       threshold: float) -> dict:
    if len(data) > imaging.MAX_BYTES:
        return {"error": f"The frame is over {imaging.MAX_BYTES:,} bytes. Send a smaller JPEG."}
    try:
        found = await offload(look, experiment, data, threshold)
    except (imaging.ImageError, runtime.ModelUnavailable) as e:
        return {"error": str(e)}
    except HTTPException as e:  # every worker busy: this frame is dropped, the next may be served
        return {"error": e.detail}
    return found.model_dump()
