"""The routes of face readers: the faces in one photo and their expressions (POST), or in a stream of camera
frames (the camera WebSocket of mlsandbox.web.camera). Frames and photos are read in memory and dropped."""

from __future__ import annotations

import time

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from mlsandbox import imaging, runtime
from mlsandbox.kinds.face_reader import SCORE_THRESHOLD, FaceReader
from mlsandbox.web import camera
from mlsandbox.web.common import PHOTO_BODY, answered_as_http, experiment_or_404, offload, problems, read_body

router = APIRouter(tags=["face readers"])


class Face(BaseModel):
    box: list[float] = Field(description="x1, y1, x2, y2 of the face in the photo's own pixels", min_length=4,
                             max_length=4)
    score: float = Field(ge=0, le=1, description="how sure the detector is that this is a face")
    expression: str = Field(description="the likeliest expression")
    probabilities: dict[str, float] = Field(description="each of the seven expressions' probability, in the "
                                                        "network's order")
    points: list[list[float]] = Field(description="six face points (x, y): the eyes, the tip of the nose, the "
                                                  "mouth, the ears", min_length=6, max_length=6)


class Faces(BaseModel):
    experiment: str
    width: int = Field(description="the photo's width, upright")
    height: int
    faces: list[Face] = Field(description="likeliest face first")
    milliseconds: float = Field(description="server time: decode, both networks, the steps between")


def read_faces(experiment: FaceReader, data: bytes, threshold: float) -> Faces:
    """The whole path for one image; raises ImageError or ModelUnavailable."""
    started = time.perf_counter()
    image = imaging.to_rgb(imaging.decode(data))
    found = runtime.served(experiment).find(image, threshold)
    return Faces(experiment=experiment.id, width=image.width, height=image.height,
                 faces=[Face(**f.as_json(experiment.labels)) for f in found],
                 milliseconds=round((time.perf_counter() - started) * 1000, 3))


@router.post("/api/experiments/{experiment_id}/faces", responses=problems(404, 413, 422, 503),
             openapi_extra={"requestBody": PHOTO_BODY})
async def faces_in_photo(
    experiment_id: str,
    request: Request,
    threshold: float = Query(SCORE_THRESHOLD, ge=0.05, le=1, description="the lowest detection score shown"),
) -> Faces:
    """Find the faces in a photo and read their expressions: the body is the image bytes (JPEG, PNG, WebP).
    Nothing is stored: the photo is read in memory and dropped with the answer."""
    experiment = experiment_or_404(experiment_id, FaceReader)
    data = await read_body(request, imaging.MAX_BYTES, "image")
    with answered_as_http():
        return await offload(read_faces, experiment, data, threshold)


camera.LOOKS[FaceReader] = camera.Look(read_faces, SCORE_THRESHOLD)
