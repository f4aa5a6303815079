"""The routes of sequence translators: a text in, the model's answer character by character out."""

from __future__ import annotations

import time

import numpy as np
from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from mlsandbox import runtime
from mlsandbox.kinds.sequence_translator import MAX_TEXT, SequenceTranslator, Unreadable
from mlsandbox.web.common import RUN_DESCRIPTION, experiment_or_404, offload, problems, served

router = APIRouter(tags=["sequence translators"])


class TextIn(BaseModel):
    text: str = Field(max_length=MAX_TEXT, description="what a person typed, e.g. 17+38", examples=["17+38"])


class Alternative(BaseModel):
    character: str = Field(description='a character the model weighed, or "(end)" for ending the answer there')
    probability: float = Field(ge=0, le=1)


class Character(BaseModel):
    character: str
    probability: float = Field(ge=0, le=1, description="how sure the model was of this character")
    alternatives: list[Alternative] = Field(description="the next most likely characters at this step")


class Translation(BaseModel):
    experiment: str
    text: str = Field(description="the input as the model read it (spaces removed, numbers normalised)")
    output: str = Field(description="what the model wrote")
    characters: list[Character] = Field(description="each written character, in reading order")
    expected: str | None = Field(description="the right answer")
    correct: bool | None = Field(description="whether the model's answer is the right one")
    milliseconds: float = Field(description="server time from text to answer")


class HeldOut(BaseModel):
    texts: list[str] = Field(description="held-out test inputs: training never saw them, nor their swapped twins")


@router.post("/api/experiments/{experiment_id}/translate", responses=problems(404, 409, 422, 503))
async def translate(experiment_id: str, body: TextIn,
                    run: str | None = Query(None, description=RUN_DESCRIPTION)) -> Translation:
    """What the model writes for a text, with its confidence in each character and the right answer."""
    experiment = experiment_or_404(experiment_id, SequenceTranslator)
    started = time.perf_counter()
    try:
        read = experiment.read(body.text)
        result = (await offload(served(experiment, run).translate, [read]))[0]
    except Unreadable as e:
        raise HTTPException(422, str(e)) from None
    except runtime.ModelUnavailable as e:
        raise HTTPException(503, str(e)) from None
    return Translation(experiment=experiment.id, **result.as_dict(),
                       milliseconds=round((time.perf_counter() - started) * 1000, 3))


@router.get("/api/experiments/{experiment_id}/held-out", responses=problems(404, 422))
def held_out(
    experiment_id: str,
    count: int = Query(8, ge=1, le=100, description="how many"),
    seed: int | None = Query(None, ge=0, description="the same seed draws the same texts"),
) -> HeldOut:
    """Held-out test inputs drawn at random: the ones to try to trick the model with."""
    experiment = experiment_or_404(experiment_id, SequenceTranslator)
    texts, _ = experiment.test_data().test
    chosen = np.random.default_rng(seed).choice(len(texts), size=count, replace=False)
    return HeldOut(texts=[texts[i] for i in chosen])
