"""The routes of text generators: continue a prompt, streamed as Server-Sent Events as the characters are made."""

from __future__ import annotations

import asyncio
import json
import secrets
import time

from fastapi import APIRouter, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from mlsandbox import runtime
from mlsandbox.kinds.text_generator import MAX_LENGTH, MAX_PROMPT, TEMPERATURES, BadRequest, TextGenerator, check_request
from mlsandbox.web.common import experiment_or_404, ongoing

router = APIRouter(tags=["text generators"])

MAX_STREAMS = 16  # generations running at once; one more is refused at once with 503 and Retry-After
ongoing["streams"] = 0

EVENTS = {
    "description": "Server-Sent Events: `start` (the seed used), then one unnamed event per generated character "
                   "(`{\"character\": \"e\", \"probability\": 0.41, \"top\": [[\"e\", 0.41], [\"a\", 0.2], ...]}`: "
                   "its probability and the model's five most likely characters at that step), then `end` (how "
                   "many characters, in how many seconds). A stream the client closes ends without `end`.",
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


class GenerateIn(BaseModel):
    prompt: str = Field(max_length=MAX_PROMPT, description="the start of the text", examples=["ROMEO:\n"])
    length: int = Field(400, ge=1, le=MAX_LENGTH, description="how many characters to generate")
    temperature: float = Field(0.8, ge=TEMPERATURES[0], le=TEMPERATURES[1],
                               description="below 1: safer choices; above 1: more surprising ones")
    top_k: int | None = Field(None, ge=1, description="choose only among the k most likely characters")
    seed: int | None = Field(None, ge=0, lt=2**63, description="the same seed and request give the same text")


def event(data: dict, name: str | None = None) -> str:
    return (f"event: {name}\n" if name else "") + f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post("/api/experiments/{experiment_id}/generate", response_class=StreamingResponse,
             responses={200: EVENTS, 503: {"description": "the model is unavailable, or too many streams run"}})
async def generate(experiment_id: str, body: GenerateIn) -> StreamingResponse:
    """Continue the prompt one character at a time, each sent as soon as it is made. The model runs off
    the event loop; when the client goes away, the server stops computing."""
    experiment = experiment_or_404(experiment_id, TextGenerator)
    try:
        check_request(body.prompt, body.length, body.temperature, body.top_k)
        model = runtime.served(experiment)
    except BadRequest as e:
        raise HTTPException(422, str(e)) from None
    except runtime.ModelUnavailable as e:
        raise HTTPException(503, str(e)) from None
    if ongoing["streams"] >= MAX_STREAMS:
        raise HTTPException(503, f"{MAX_STREAMS} texts are being generated already; try again in a moment.",
                            headers={"Retry-After": "2"})
    seed = body.seed if body.seed is not None else secrets.randbelow(2**63)
    characters = model.generate(body.prompt, body.length, body.temperature, body.top_k, seed)

    async def stream():
        ongoing["streams"] += 1  # changed only on the event loop
        started, made = time.perf_counter(), 0
        try:
            yield event({"experiment": experiment.id, "seed": seed, "length": body.length,
                         "temperature": body.temperature, "top_k": body.top_k}, "start")
            while (piece := await asyncio.to_thread(next, characters, None)) is not None:  # off the event loop
                made += 1
                yield event({"character": piece[0], "probability": piece[1], "top": piece[2]})
            seconds = time.perf_counter() - started
            yield event({"characters": made, "seconds": round(seconds, 3),
                         "characters_per_second": round(made / seconds, 1)}, "end")
        finally:  # also when the client went away: the generator is dropped, nothing more is computed
            ongoing["streams"] -= 1

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
