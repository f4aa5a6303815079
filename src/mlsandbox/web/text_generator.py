"""The routes of text generators: continue a prompt, streamed as Server-Sent Events as the characters are made."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, WithJsonSchema

from mlsandbox import runtime
from mlsandbox.kinds.text_generator import MAX_LENGTH, MAX_PROMPT, TEMPERATURES, BadRequest, TextGenerator, check_request
from mlsandbox.web.common import RUN_DESCRIPTION, experiment_or_404, ongoing, problems, served

router = APIRouter(tags=["text generators"])

MAX_STREAMS = 16  # generations running at once; one more is refused at once with 503 and Retry-After
ongoing["streams"] = 0


class Started(BaseModel):
    experiment: str
    seed: int = Field(description="the seed used: send it again to get the same text")
    length: int
    temperature: float
    top_k: int | None


class Made(BaseModel):
    character: str
    probability: float = Field(ge=0, le=1)
    # Each pair's schema is written out: a tuple's ("prefixItems") is not read by every OpenAPI tool.
    top: Annotated[list[tuple[str, float]], WithJsonSchema({"type": "array", "items": {
        "type": "array", "minItems": 2, "maxItems": 2, "items": {"type": ["string", "number"]}}})] = Field(
        description="the model's five most likely characters at this step, each as [character, probability]")


class Ended(BaseModel):
    characters: int = Field(description="how many were made")
    seconds: float
    characters_per_second: float


def event_schema(name: str | None, data: type[BaseModel]) -> dict:
    """An event's schema; an unnamed one is of the type "message", as Server-Sent Events name it."""
    return {"type": "object", "required": ["data", *(["event"] if name else [])], "additionalProperties": False,
            "properties": {"event": {"const": name or "message"}, "data": {
                "type": "string", "contentMediaType": "application/json", "contentSchema": data.model_json_schema()}}}


EVENTS = {
    "description": "Server-Sent Events: `start` (the seed used), then one unnamed event per generated character "
                   "(its probability and the model's five most likely characters at that step), then `end` (how "
                   "many characters, in how many seconds). A stream the client closes ends without `end`.",
    "content": {"text/event-stream": {"itemSchema": {"anyOf": [
        event_schema("start", Started), event_schema(None, Made), event_schema("end", Ended)]}}},
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
             responses={200: EVENTS, **problems(404, 409, 422, 503)})
async def generate(experiment_id: str, body: GenerateIn,
                   run: str | None = Query(None, description=RUN_DESCRIPTION)) -> StreamingResponse:
    """Continue the prompt one character at a time, each sent as soon as it is made. The model runs off
    the event loop; when the client goes away, the server stops computing."""
    experiment = experiment_or_404(experiment_id, TextGenerator)
    try:
        check_request(body.prompt, body.length, body.temperature, body.top_k)
        model = served(experiment, run)
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
