"""What the routes of every kind share: finding the experiment, reading a bounded request body, and
answering what cannot be served."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager

from fastapi import HTTPException, Request

from mlsandbox import experiments, imaging, runtime
from mlsandbox.experiments import Experiment


ongoing: Counter[str] = Counter()  # long-running work now under way, by name ("streams"); /api/health shows it


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
