"""The routes of image generators: draw pictures from a seed or from latent points, and place a drawing in a
conditional VAE's latent space."""

from __future__ import annotations

import base64
import secrets
import time
from typing import Annotated, Callable

import numpy as np
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from mlsandbox import experiments, imaging, runtime
from mlsandbox.kinds.image_generator import LATENT_LIMIT, MAX_COUNT, MAX_SEED, BadLatent, Generator, ImageGenerator
from mlsandbox.web.common import RUN_DESCRIPTION, answered_as_http, experiment_or_404, offload, problems, served
from mlsandbox.web.image_classifier import IMAGE_BODY, image_of

GENERATORS = [e for e in experiments.REGISTRY.values() if isinstance(e, ImageGenerator)]
LONGEST = max((e.latent for e in GENERATORS), default=1)  # numbers in the longest latent point
MOST_CLASSES = max((len(e.labels) for e in GENERATORS), default=1)
EXAMPLE = '{"seed": 7, "count": 16}, or {"latents": [[0.5, -1.2]], "digit": 3} for digits_vae'


class ReadableBody(APIRoute):
    """A body that is not a JSON object at all (empty, cut short, a list) gets one sentence saying what to send,
    instead of a validation error about the body's first character; errors in its fields are answered as usual."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as e:
                if any(error["loc"][:1] == ("body",) and (len(error["loc"]) == 1 or error["type"] == "json_invalid")
                       for error in e.errors()):
                    raise HTTPException(422, f"Send a JSON object with Content-Type: application/json, e.g. "
                                             f"{EXAMPLE} (GET /api/experiments/ID: details has its latent size "
                                             "and limits).") from None
                raise

        return handle


router = APIRouter(tags=["image generators"], route_class=ReadableBody)

Point = Annotated[list[float], Field(min_length=1, max_length=LONGEST)]
Weights = Annotated[list[float], Field(min_length=1, max_length=MOST_CLASSES)]


class PicturesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is refused, not silently left out

    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="draw count latent points from this seed: the same "
                             "seed gives the same pictures (default: a new seed, returned)")
    count: int = Field(16, ge=1, le=MAX_COUNT, description="how many pictures to draw from the seed")
    latents: list[Point] | None = Field(None, min_length=1, max_length=MAX_COUNT, description="or: the latent points "
                                        "to draw, each as many numbers as the model's latent size (GET "
                                        "/api/experiments/ID: details.latent), each within details.limits.latent")
    digit: int | None = Field(None, ge=0, description="a conditional model: the digit to draw (default: each in turn)")
    digits: list[Weights] | None = Field(None, min_length=1, max_length=MAX_COUNT, description="a conditional model, "
                                         "with latents: each point's digit as 10 weights adding up to 1 (a mix of two "
                                         "morphs one into the other)")


class Pictures(BaseModel):
    experiment: str
    seed: int | None = Field(description="the seed the points were drawn from; null for points that were sent")
    pictures: list[str] = Field(description="each picture as a PNG data URL, dark on light")
    latents: list[list[float]] = Field(description="the latent point of each picture (rounded to 4 decimals)")
    digits: list[int] | None = Field(description="a conditional model: the digit each picture was drawn as (the "
                                     "largest weight); null for a model that draws no chosen digit")
    size: int = Field(description="pixels on a side of each picture")
    milliseconds: float = Field(description="server time from the request to the pictures")


class Placed(BaseModel):
    experiment: str
    digit: int = Field(description="the digit the drawing was placed as")
    read: bool = Field(description="whether the digit was read from the drawing by the judge (no digit was sent)")
    probability: float | None = Field(None, ge=0, le=1, description="the judge's probability of that digit, if read")
    latent: list[float] = Field(description="the centre of the drawing's region of the latent space")
    spread: list[float] = Field(description="the region's standard deviation along each latent axis")
    input: str = Field(description="the drawing as the encoder saw it (28x28, PNG data URL)")
    picture: str = Field(description="what the decoder draws at the latent point: the drawing as the model keeps it")
    milliseconds: float = Field(description="server time from the drawing to its place")


def data_url(picture: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(imaging.to_png(picture)).decode("ascii")


def rounded(numbers: np.ndarray) -> list:
    """float32 numbers to 4 decimals, as JSON writes them short (0.1522, not 0.15219999551773071)."""
    return np.round(numbers.astype(np.float64), 4).tolist()


def refused(experiment: ImageGenerator, body: PicturesIn) -> str | None:
    """What is wrong with a request for pictures that the schema cannot say, before any model is loaded."""
    asked = body.model_fields_set
    if body.latents is not None and body.seed is not None:
        return "Send a seed (and a count) or latents, not both."
    if body.latents is not None and "count" in asked:
        return "Leave out count with latents: one picture is drawn for each point sent."
    if body.digits is not None and body.latents is None:
        return "Send digits only with latents, one list of weights for each point."
    if body.digits is not None and body.digit is not None:
        return "Send digit (the same for every picture) or digits (one for each point), not both."
    if not experiment.conditional and (body.digit is not None or body.digits is not None):
        return (f"{experiment.id} draws whatever its latent point gives: leave out digit and digits (only a "
                "conditional model, such as digits_vae, draws the digit asked for).")
    if body.latents is not None and (short := [i for i, p in enumerate(body.latents) if len(p) != experiment.latent]):
        return (f"A latent point of {experiment.id} is a list of {experiment.latent} numbers; point {short[0]} has "
                f"{len(body.latents[short[0]])}.")
    if body.digits is not None and len(body.digits) != len(body.latents):
        return f"Send one digit's weights for each point: {len(body.latents)} points, {len(body.digits)} digits."
    if body.digits is not None and any(len(d) != len(experiment.labels) for d in body.digits):
        return f"A digit's weights are {len(experiment.labels)} numbers, one for each digit, adding up to 1."
    return None


def drawn(model: Generator, body: PicturesIn, seed: int | None) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """The latent points, the digits' weights and the pictures as data URLs (in a worker thread)."""
    if seed is not None:
        latents, weights = model.latents(seed, body.count), model.weights(body.digit, body.count)
    else:
        latents = np.asarray(body.latents, dtype=np.float32)
        weights = (np.asarray(body.digits, dtype=np.float32) if body.digits is not None
                   else model.weights(body.digit, len(latents)))
    return latents, weights, [data_url(p) for p in model.draw(latents, weights)]


@router.post("/api/experiments/{experiment_id}/pictures", responses=problems(404, 409, 422, 503))
async def pictures(experiment_id: str, body: PicturesIn,
                   run: str | None = Query(None, description=RUN_DESCRIPTION)) -> Pictures:
    """Draw pictures: count of them from a seed, or one for each latent point sent (what the page's sliders and
    latent plane do). A conditional model draws the digit asked for, or a mix of two."""
    experiment = experiment_or_404(experiment_id, ImageGenerator)
    started = time.perf_counter()
    if problem := refused(experiment, body):
        raise HTTPException(422, problem)
    seed = None if body.latents is not None else body.seed if body.seed is not None else secrets.randbelow(MAX_SEED + 1)
    with answered_as_http():
        model = served(experiment, run)
        try:
            latents, weights, urls = await offload(drawn, model, body, seed)
        except BadLatent as e:
            raise HTTPException(422, str(e)) from None
    return Pictures(experiment=experiment.id, seed=seed, pictures=urls, latents=rounded(latents),
                    digits=None if weights is None else weights.argmax(1).tolist(), size=experiment.size,
                    milliseconds=round((time.perf_counter() - started) * 1000, 3))


def placed(model: Generator, data: bytes, digit: int | None) -> dict:
    """Where the encoder places a drawing, as the fields of Placed (in a worker thread)."""
    experiment = model.experiment
    picture = experiment.judge.prepare(data)
    probability = None
    if digit is None:  # the judge reads it: its runtime, which serving has (Judge needs onnx, which it has not)
        (label, probability), *_ = runtime.served(experiment.judge).ranked(picture)
        digit = experiment.judge.labels.index(label)
    weights = model.weights(digit, 1)
    mean, log_variance = model.encode_all(picture[None], weights)
    picture_kept = model.draw(np.clip(mean, -LATENT_LIMIT, LATENT_LIMIT), weights)[0]
    return {"digit": digit, "probability": probability, "latent": rounded(mean[0]),
            "spread": rounded(np.exp(0.5 * log_variance[0])), "input": data_url(picture),
            "picture": data_url(picture_kept)}


@router.post("/api/experiments/{experiment_id}/encode", responses=problems(404, 409, 413, 422, 503),
             openapi_extra={"requestBody": IMAGE_BODY})
async def encode(
    experiment_id: str,
    request: Request,
    digit: int | None = Query(None, ge=0, description="the digit drawn, 0 to 9 (default: the judge reads it)"),
    run: str | None = Query(None, description=RUN_DESCRIPTION),
) -> Placed:
    """Place a drawing in a conditional VAE's latent space: the body is the image (PNG, JPEG, WebP) or JSON with a
    data URL, cropped and centred as MNIST's digits were. Without a digit, the judge (digits_cnn) reads it first."""
    experiment = experiment_or_404(experiment_id, ImageGenerator)
    if not experiment.conditional:
        encoders = [e.id for e in GENERATORS if e.conditional]
        raise HTTPException(404, f"{experiment.id} has no encoder: only a conditional VAE places a drawing "
                                 f"({', '.join(encoders)}); {experiment.id} draws from a seed at .../pictures.")
    if digit is not None and digit >= len(experiment.labels):
        raise HTTPException(422, f"Choose a digit from 0 to {len(experiment.labels) - 1}, or leave it out and the "
                                 f"judge ({experiment.judge.id}) reads it.")
    data = await image_of(request)
    started = time.perf_counter()
    with answered_as_http():
        model = served(experiment, run)
        fields = await offload(placed, model, data, digit)
    return Placed(experiment=experiment.id, read=digit is None, **fields,
                  milliseconds=round((time.perf_counter() - started) * 1000, 3))
