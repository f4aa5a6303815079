"""The web app: static demo pages and a small JSON API over the trained models (no torch here).

What every experiment has is here; each kind's own routes are in its module, mlsandbox.web.<kind>."""

from __future__ import annotations

import html
import importlib
import os
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from pydantic import BaseModel, Field

from mlsandbox import experiments, runtime
from mlsandbox.experiments import Experiment
from mlsandbox.lab import runs
from mlsandbox.web import camera, docs, lab
from mlsandbox.web.common import PAGE_POLICY, experiment_or_404, ongoing, problems

STATIC = Path(__file__).resolve().parent / "static"
NOTEBOOKS = Path(__file__).resolve().parents[3] / "notebooks"
ARTIFACT_FILES = {"curves.png", "confusion.png", "samples.png", "card.json", "history.json"}


class ExperimentInfo(BaseModel):
    id: str
    title: str
    summary: str
    family: str
    kind: str = Field(description="the kind of model: its API routes and page component follow from it")
    demo: str
    pretrained: bool = Field(description="imported from published weights rather than trained here")
    details: dict = Field(description="what only this kind has: labels for classifiers, limits for generators")
    trained: bool = Field(description="whether its model is being served")
    problem: str | None = Field(None, description="why the model is not served, and how to fix it")
    sha256: str | None = Field(None, description="sha256 of the model file being served, checked against the card")
    accuracy: float | None = Field(None, description="test accuracy from the model card")
    headline: str | None = Field(None, description="the held-out figure that sums the model up, in words")
    card: dict | None = None
    notebook: str | None = None
    family_members: list[str]


def info(e: Experiment, with_card: bool = False) -> ExperimentInfo:
    card = e.card()
    notebook = NOTEBOOKS / f"{e.id}.ipynb"
    try:
        sha256, problem = runtime.checked(e), None
    except runtime.ModelUnavailable as error:
        sha256, problem = None, str(error)
    return ExperimentInfo(
        id=e.id, title=e.title, summary=e.summary, family=e.family, kind=e.kind, demo=e.demo,
        pretrained=e.pretrained, details=e.details(),
        trained=problem is None, problem=problem, sha256=sha256,
        accuracy=card["metrics"].get("accuracy") if card else None, headline=e.headline(card["metrics"]) if card else None,
        card=card if with_card else None, notebook=f"/notebooks/{e.id}.ipynb" if notebook.is_file() else None,
        family_members=[m.id for m in experiments.family(e)],
    )


@asynccontextmanager
async def lifespan(app: FastAPI):
    for e in experiments.REGISTRY.values():  # load the models now, so the first request is fast
        try:
            runtime.served(e)
        except runtime.ModelUnavailable:
            pass  # that experiment answers 503 with the fix; the others serve
    if runs.lab_on():
        lab.ensure_trainer()  # warm before the first Start
    yield


app = FastAPI(
    title="Interactive Machine Learning Experiments",
    description="Play with small models: send a drawing, a photo, a sum, a prompt or a camera frame; get ranked "
                "guesses, an answer, streamed text or boxes.",
    version="0.1.0",
    lifespan=lifespan,
    docs_url=None,  # served by mlsandbox.web.docs from the pinned viewer, not from a CDN
    redoc_url=None,
)
app.mount("/static", StaticFiles(directory=STATIC), name="static")



class SafetyHeaders:
    """nosniff and the page policy on every response (unless a route sets its own policy, as /docs does). Plain
    ASGI: a BaseHTTPMiddleware (@app.middleware) would add a task and a stream to every request."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = PAGE_POLICY
            await send(message)

        await self.app(scope, receive, send_with_headers)


app.add_middleware(SafetyHeaders)


@app.exception_handler(StarletteHTTPException)  # the class FastAPI raises its own errors with
async def unreadable_json(request: Request, error: StarletteHTTPException):
    """A JSON body that FastAPI cannot decode (not UTF-8, or nested too deep) gets the 422 of every request the
    model cannot read, with what to send, rather than FastAPI's bare 400."""
    if error.status_code == 400 and isinstance(error.__cause__, (ValueError, RecursionError)):
        return JSONResponse({"detail": "The body cannot be read as JSON: send UTF-8 JSON, nested no deeper than the "
                                       "schema at /docs shows."}, status_code=422)
    return await http_exception_handler(request, error)


@app.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

# Each kind's routes once, with those of the kinds it extends (a hand classifier answers predict as every
# image classifier does, and adds teach).
for module in dict.fromkeys(kind.__dict__["web"] for e in experiments.REGISTRY.values()
                            for kind in reversed(type(e).__mro__) if "web" in kind.__dict__):
    app.include_router(importlib.import_module(module).router)
app.include_router(camera.router)
app.include_router(lab.router)
app.include_router(docs.router)


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
async def health() -> dict:  # on the event loop, not behind the thread pool that busy routes share
    """Whether the server answers; which of its processes answered, and the streams that process has open (each
    process of `mlsandbox serve --workers N` keeps its own limits)."""
    return {"status": "ok", "experiments": len(experiments.REGISTRY), "process": os.getpid(), **ongoing}


@app.get("/api/experiments")
def list_experiments() -> list[ExperimentInfo]:
    """Every experiment in the registry, with its test accuracy."""
    return [info(e) for e in experiments.REGISTRY.values()]


@app.get("/api/experiments/{experiment_id}", responses=problems(404))
def describe_experiment(experiment_id: str) -> ExperimentInfo:
    """One experiment with its full model card (data split, metrics, training time, command)."""
    return info(experiment_or_404(experiment_id), with_card=True)


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
