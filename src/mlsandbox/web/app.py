"""The web app: static demo pages and a small JSON API over the trained models (no torch here)."""

from __future__ import annotations

import base64
import binascii
import html
import json
import time
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from mlsandbox import assets, experiments, imaging, runtime
from mlsandbox.experiments import Experiment

STATIC = Path(__file__).resolve().parent / "static"
NOTEBOOKS = Path(__file__).resolve().parents[3] / "notebooks"
ARTIFACT_FILES = {"curves.png", "confusion.png", "card.json", "history.json"}
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


class Prediction(BaseModel):
    experiment: str
    label: str = Field(description="the most likely label")
    ranked: list[Guess] = Field(description="labels with their probabilities, most likely first")
    input: list[list[float]] | None = Field(None, description="what the model saw (with show_input=true)")
    milliseconds: float = Field(description="server time from bytes to probabilities")


class ExperimentInfo(BaseModel):
    id: str
    title: str
    summary: str
    family: str
    demo: str
    labels: list[str]
    trained: bool = Field(description="whether its model is being served")
    problem: str | None = Field(None, description="why the model is not served, and how to fix it")
    sha256: str | None = Field(None, description="sha256 of the model file being served, checked against the card")
    accuracy: float | None = Field(None, description="test accuracy from the model card")
    card: dict | None = None
    notebook: str | None = None
    family_members: list[str]


def info(e: Experiment, with_card: bool = False) -> ExperimentInfo:
    card = e.card()
    notebook = NOTEBOOKS / f"{e.id}.ipynb"
    try:
        sha256, problem = runtime.classifier(e).sha256, None
    except runtime.ModelUnavailable as error:
        sha256, problem = None, str(error)
    return ExperimentInfo(
        id=e.id, title=e.title, summary=e.summary, family=e.family, demo=e.demo, labels=list(e.labels),
        trained=problem is None, problem=problem, sha256=sha256,
        accuracy=card["metrics"]["accuracy"] if card else None,
        card=card if with_card else None, notebook=f"/notebooks/{e.id}.ipynb" if notebook.is_file() else None,
        family_members=[m.id for m in experiments.family(e)],
    )


def experiment_or_404(experiment_id: str) -> Experiment:
    try:
        return experiments.get(experiment_id)
    except experiments.UnknownExperiment as e:
        raise HTTPException(404, str(e)) from None


@asynccontextmanager
async def lifespan(app: FastAPI):
    for e in experiments.REGISTRY.values():  # load the models now, so the first request is fast
        try:
            runtime.classifier(e)
        except runtime.ModelUnavailable:
            pass  # that experiment answers 503 with the fix; the others serve
    yield


app = FastAPI(
    title="Interactive Machine Learning Experiments",
    description="Play with small trained models: send a drawing, get ranked guesses with probabilities.",
    version="0.1.0",
    lifespan=lifespan,
)
app.mount("/static", StaticFiles(directory=STATIC), name="static")


@app.get("/", include_in_schema=False)
def home_page() -> FileResponse:
    return FileResponse(STATIC / "index.html")


@app.get("/experiments/{experiment_id}", include_in_schema=False, response_model=None)
def experiment_page(experiment_id: str) -> FileResponse | HTMLResponse:
    if experiment_id not in experiments.REGISTRY:
        known = "".join(f'<li><a href="/experiments/{e}">{e}</a></li>' for e in experiments.REGISTRY)
        return HTMLResponse(f"<!doctype html><title>Not found</title><h1>No experiment called "
                            f"{html.escape(experiment_id)!r}</h1><p>These exist:</p><ul>{known}</ul>"
                            f'<p><a href="/">All experiments</a></p>', status_code=404)
    return FileResponse(STATIC / "experiment.html")


@app.get("/api/health")
def health() -> dict:
    return {"status": "ok", "experiments": len(experiments.REGISTRY)}


@app.get("/api/experiments")
def list_experiments() -> list[ExperimentInfo]:
    """Every experiment in the registry, with its test accuracy."""
    return [info(e) for e in experiments.REGISTRY.values()]


@app.get("/api/experiments/{experiment_id}")
def describe_experiment(experiment_id: str) -> ExperimentInfo:
    """One experiment with its full model card (data split, metrics, training time, command)."""
    return info(experiment_or_404(experiment_id), with_card=True)


@app.post("/api/experiments/{experiment_id}/predict", openapi_extra={"requestBody": IMAGE_BODY})
async def predict(
    experiment_id: str,
    request: Request,
    top: int | None = Query(None, ge=1, description="how many labels to return (default: all)"),
    show_input: bool = Query(False, description="also return the preprocessed model input"),
) -> Prediction:
    """Classify a drawing or photo: the body is the image bytes (PNG, JPEG, WebP), or JSON with a data URL.

    The image is cropped to its ink, scaled and centred the way the training data was, then classified.
    """
    experiment = experiment_or_404(experiment_id)
    data = await read_body(request)
    started = time.perf_counter()
    if request.headers.get("content-type", "").startswith("application/json"):
        data = image_from_json(data)
    try:
        model_input = experiment.prepare(data)
        model = runtime.classifier(experiment)
    except imaging.ImageTooLarge as e:
        raise HTTPException(413, str(e)) from None
    except imaging.ImageError as e:
        raise HTTPException(422, str(e)) from None
    except runtime.ModelUnavailable as e:
        raise HTTPException(503, str(e)) from None
    ranked = model.ranked(model_input, top=top)
    return Prediction(
        experiment=experiment.id,
        label=ranked[0][0],
        ranked=[Guess(label=label, probability=p) for label, p in ranked],
        input=model_input.round(3).tolist() if show_input else None,
        milliseconds=round((time.perf_counter() - started) * 1000, 3),
    )


@app.get("/api/experiments/{experiment_id}/examples", response_class=Response,
         responses={200: {"content": {"image/png": {}}, "description": "the drawings side by side"}})
def examples(
    experiment_id: str,
    label: str = Query(..., max_length=200, description="one of the experiment's labels"),
    count: int = Query(6, ge=1, le=24, description="how many examples"),
) -> Response:
    """A PNG strip of training examples of one label: what the model learned that label from."""
    experiment = experiment_or_404(experiment_id)
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


async def read_body(request: Request) -> bytes:
    """The request body, refused with 413 as soon as it is known to be over the limit."""
    too_large = HTTPException(413, f"The body is over {imaging.MAX_BYTES:,} bytes. Send a smaller image.")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > imaging.MAX_BYTES:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > imaging.MAX_BYTES:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def image_from_json(body: bytes) -> bytes:
    try:
        encoded = json.loads(body)["image"]
        if not isinstance(encoded, str):
            raise TypeError
        return base64.b64decode(encoded.split(",", 1)[1] if encoded.startswith("data:") else encoded, validate=True)
    except (ValueError, KeyError, TypeError, IndexError, binascii.Error):
        raise HTTPException(
            422, 'Send JSON as {"image": "data:image/png;base64,..."}, or the raw image bytes with '
            "Content-Type: image/png."
        ) from None


@app.get("/artifacts/{experiment_id}/{name}", include_in_schema=False)
def artifact(experiment_id: str, name: str) -> FileResponse:
    path = experiment_or_404(experiment_id).artifact_dir / name
    if name not in ARTIFACT_FILES or not path.is_file():
        raise HTTPException(404, f"No artifact {name!r}; there are: {', '.join(sorted(ARTIFACT_FILES))}.")
    return FileResponse(path)


@app.get("/notebooks/{experiment_id}.ipynb", include_in_schema=False)
def notebook(experiment_id: str) -> FileResponse:
    path = NOTEBOOKS / f"{experiment_or_404(experiment_id).id}.ipynb"
    if not path.is_file():
        raise HTTPException(404, f"{experiment_id} has no notebook in this installation.")
    return FileResponse(path, media_type="application/x-ipynb+json", filename=path.name)
