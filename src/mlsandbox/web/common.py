"""What the routes of every kind share: finding the experiment, reading a bounded request body (and the data
URLs in it), running a model off the event loop, and answering what cannot be served (and documenting those
answers)."""

from __future__ import annotations

import base64
import os
from collections import Counter
from contextlib import contextmanager
from typing import Callable, TypeVar

import anyio
from fastapi import HTTPException, Request
from pydantic import BaseModel, Field

from mlsandbox import experiments, imaging, runtime
from mlsandbox.experiments import Experiment
from mlsandbox.lab import runs

T = TypeVar("T")

# The pages load only this server's own files, and run no inline script.
PAGE_POLICY = ("default-src 'self'; script-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
               "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")

ongoing: Counter[str] = Counter()  # long-running work now under way, by name ("streams"); /api/health shows it

# Models run at once in worker threads, across every route; a request that finds none free within
# WAIT_SECONDS gets a 503 with Retry-After. Each model run uses one or two cores, so two per core keeps the
# cores busy while one run decodes its image; two seconds is a wait a person sits through without worry.
WORKERS = anyio.CapacityLimiter(int(os.environ.get("MLSANDBOX_WORKERS", 2 * (os.cpu_count() or 1))))
WAIT_SECONDS = float(os.environ.get("MLSANDBOX_WAIT_SECONDS", 2))
RETRY_AFTER = 1  # seconds


class Problem(BaseModel):
    detail: str = Field(description="what went wrong, and what to do instead")


class FieldError(BaseModel, extra="allow"):
    loc: list[str | int] = Field(description="where: body, query or path, then the field's name")
    msg: str
    type: str


class Invalid(BaseModel):
    detail: str | list[FieldError] = Field(description="what is wrong with the request, in a sentence; or, for "
                                                       "parameters of the wrong type or range, each of them")


PROBLEMS = {
    404: "no such experiment or run, or not one of the kind this route serves: the message names those that are",
    409: "the lab cannot do it now: a run is training already (the message says which, and for how long), the run "
         "has ended, or this server does not train (the message names the command that serves with the lab on)",
    413: "the body or the image is over its limit in bytes or pixels",
    422: "a request the model cannot read, with what to send instead",
    503: "the model cannot be served (the message says how to fix it), or every worker is busy (then with "
         "Retry-After)",
}


def problems(*codes: int) -> dict:
    """The OpenAPI `responses` of a route that may answer these error codes, each with its {"detail": ...}."""
    retry = {"headers": {"Retry-After": {"description": "seconds to wait before trying again, when the server "
                                                        "was busy", "schema": {"type": "integer"}}}}
    return {code: {"model": Invalid if code == 422 else Problem, "description": PROBLEMS[code],
                   **(retry if code == 503 else {})} for code in codes}


async def offload(fn: Callable[..., T], *args) -> T:
    """fn(*args) in a worker thread, at most WORKERS at once; a fast 503 with Retry-After if none is free in time."""
    try:
        WORKERS.acquire_nowait()
    except anyio.WouldBlock:
        with anyio.move_on_after(WAIT_SECONDS) as waiting:
            await WORKERS.acquire()
        if waiting.cancelled_caught:
            raise busy() from None
    try:
        return await anyio.to_thread.run_sync(fn, *args)
    finally:
        WORKERS.release()


def busy() -> HTTPException:
    return HTTPException(503, f"The server is busy: all {WORKERS.total_tokens:g} of its model workers are in use. "
                         f"Try again in {RETRY_AFTER} second.", headers={"Retry-After": str(RETRY_AFTER)})


PHOTO_BODY = {"content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}, "required": True}

RUN_DESCRIPTION = "a lab run's id (GET /api/runs): answer with the model it trained instead of the shipped one"


def served(experiment: Experiment, run_id: str | None = None):
    """The experiment's runtime over its committed model, or over the model a lab run of it trained: a 404 if
    there is no such run of it, a 409 if the run has no model (yet)."""
    if run_id is None:
        return runtime.served(experiment)
    try:
        run = runs.get(run_id)
    except runs.UnknownRun as e:
        raise HTTPException(404, str(e)) from None
    if run.settings["experiment"] != experiment.id:
        raise HTTPException(404, f"Run {run.id} trained {run.settings['experiment']}, not {experiment.id}.")
    if not (run.model_dir / "model.onnx").is_file():
        raise HTTPException(409, f"Run {run.id} has no model to answer with: it is {run.state()['state']}"
                                 f"{' (' + run.state()['reason'] + ')' if run.state().get('reason') else ''}.")
    return runtime.served_at(experiment, run.model_dir)


def experiment_or_404(experiment_id: str, kind: type[Experiment] = Experiment) -> Experiment:
    """The experiment, if it exists and is of the kind the route serves; else a 404 that says what does."""
    try:
        experiment = experiments.get(experiment_id)
    except experiments.UnknownExperiment as e:
        raise HTTPException(404, str(e)) from None
    if not isinstance(experiment, kind):
        raise HTTPException(404, f"{experiment.what()}, not a {kind.kind}: its routes are listed at /docs under "
                            f"{experiment.kind}s.")
    return experiment


async def read_body(request: Request, limit: int, what: str) -> bytes:
    """The request body, refused with 413 as soon as it is known to be over limit bytes."""
    too_large = HTTPException(413, f"The body is over {limit:,} bytes. Send a smaller {what}.")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def from_data_url(encoded) -> bytes:
    """The bytes of a data URL (data:image/jpeg;base64,...) or of plain base64; ValueError if it is neither."""
    if not isinstance(encoded, str):
        raise ValueError(f"expected a string, got {type(encoded).__name__}")
    return base64.b64decode(encoded.partition(",")[2] if encoded.startswith("data:") else encoded, validate=True)


@contextmanager
def answered_as_http():
    """An image the server cannot take, or a model it cannot serve, as the HTTP answer that says why."""
    try:
        yield
    except imaging.ImageTooLarge as e:
        raise HTTPException(413, str(e)) from None
    except imaging.ImageError as e:
        raise HTTPException(422, str(e)) from None
    except runtime.ModelUnavailable as e:
        raise HTTPException(503, str(e)) from None
