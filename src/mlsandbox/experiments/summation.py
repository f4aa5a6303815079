"""Adding two numbers, written as text: "17+38" -> "55", by an LSTM encoder-decoder."""

from __future__ import annotations

import re

from mlsandbox.data import summation
from mlsandbox.kinds.sequence_translator import SequenceTranslator, TranslatorRecipe, Unreadable
from mlsandbox.settings import EPOCHS, HIDDEN, LEARNING_RATE, SEED, STEPS_PER_EPOCH

DIGITS = "0123456789"
LONGEST = len(summation.expression(summation.LARGEST, summation.LARGEST))  # "999+999"
ANSWER = len(str(2 * summation.LARGEST))  # "1998"
EXPRESSION = re.compile(r"(\d+)\+(\d+)")


def read(text: str) -> str:
    """A person's sum as the model reads it ("017 + 38" -> "17+38"), or Unreadable saying what is wrong."""
    typed = "".join(text.split())
    if not typed:
        raise Unreadable("Type a sum of two whole numbers, like 17+38.")
    odd = sorted(set(typed) - set(DIGITS + "+"))
    if odd:
        raise Unreadable(f"Only digits and + can be read, not {' '.join(repr(c) for c in odd[:5])}. "
                         "Type a sum like 17+38.")
    numbers = typed.split("+")
    if len(numbers) != 2 or not all(numbers):
        raise Unreadable(f"Type exactly two numbers joined by one +, like 17+38 ({len(numbers) - 1} + in "
                         f"{text.strip()!r}).")
    too_big = [n for n in numbers if int(n) > summation.LARGEST]
    if too_big:
        raise Unreadable(f"Numbers go up to {summation.LARGEST}: {too_big[0].lstrip('0')} is too big for this model.")
    return summation.expression(*(int(n) for n in numbers))


def answer(text: str) -> str:
    a, b = EXPRESSION.fullmatch(text).groups()
    return str(int(a) + int(b))


def build_net(hidden: int = 128):
    from mlsandbox.nets.seq2seq import Seq2Seq

    return Seq2Seq(len(DIGITS) + 2, len(DIGITS) + 1, ANSWER, hidden=hidden, layers=1)


EXPERIMENTS = (
    SequenceTranslator(
        id="numbers_summation",
        title="Summation: LSTM encoder-decoder",
        summary="Type a sum like 17+38; a recurrent network reads the characters and writes the answer digit "
        "by digit.",
        family="summation",
        demo="translate",
        assets=(),
        load_data=summation.load,
        build_net=build_net,
        recipe=TranslatorRecipe(epochs=16, steps_per_epoch=500, batch_size=256, learning_rate=3e-3,
                                weight_decay=1e-4, warmup=0.05),
        settings=(HIDDEN, EPOCHS, STEPS_PER_EPOCH, LEARNING_RATE, SEED),
        quick=dict(epochs=6),
        input_alphabet=" " + DIGITS + "+",
        output_alphabet=" " + DIGITS,
        input_length=LONGEST,
        output_length=ANSWER,
        read=read,
        answer=answer,
        backwards=True,
        hint=f"two whole numbers from 0 to {summation.LARGEST} joined by +",
    ),
)
