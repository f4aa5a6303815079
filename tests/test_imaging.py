"""Preprocessing: a drawing anywhere on the canvas, at any size and polarity, becomes an MNIST-style digit."""

import io

import numpy as np
import pytest
from PIL import Image

from mlsandbox import imaging
from mlsandbox.drawings import canvas_png


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_shifted_and_rescaled_digit_gives_nearly_the_same_input(test_digits):
    scores = []
    for digit in test_digits[0][:30]:
        centred = imaging.digit_from_bytes(canvas_png(digit, scale=10))
        small_in_corner = imaging.digit_from_bytes(canvas_png(digit, scale=4, offset=(-80, 75)))
        large_off_centre = imaging.digit_from_bytes(canvas_png(digit, scale=9, offset=(12, -10)))
        scores.append([similarity(centred, small_in_corner), similarity(centred, large_off_centre),
                       similarity(centred, digit)])
    scores = np.array(scores)
    assert scores.mean(axis=0).min() > 0.95, scores.mean(axis=0)
    assert scores.min() > 0.8, scores.min(axis=0)


def test_output_is_mnist_shaped_and_centred(test_digits):
    digit = imaging.digit_from_bytes(canvas_png(test_digits[0][0], scale=3, offset=(90, 90)))
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    assert 0.0 <= digit.min() and digit.max() <= 1.0
    rows, cols = np.nonzero(digit > imaging.INK_THRESHOLD)
    assert max(np.ptp(rows), np.ptp(cols)) <= 21, "the digit fits MNIST's 20x20 box"
    total = digit.sum()
    centre = ((digit.sum(1) * np.arange(28)).sum() / total, (digit.sum(0) * np.arange(28)).sum() / total)
    assert np.allclose(centre, 14, atol=1.0), "centre of mass in the middle, as in MNIST"


def test_dark_on_light_and_light_on_dark_agree(test_digits):
    dark_on_light = Image.open(io.BytesIO(canvas_png(test_digits[0][1])))
    light_on_dark = Image.eval(dark_on_light, lambda v: 255 - v)
    a = imaging.digit_from_bytes(png(dark_on_light))
    b = imaging.digit_from_bytes(png(light_on_dark))
    assert np.abs(a - b).max() < 1e-5


def test_strokes_on_a_transparent_canvas_are_ink(test_digits):
    opaque = Image.open(io.BytesIO(canvas_png(test_digits[0][2]))).convert("L")
    transparent = Image.new("RGBA", opaque.size, (0, 0, 0, 0))
    transparent.putalpha(Image.eval(opaque, lambda v: 255 - v))
    assert similarity(imaging.digit_from_bytes(png(opaque)), imaging.digit_from_bytes(png(transparent))) > 0.99


def test_grey_paper_is_not_ink(test_digits):
    image = np.asarray(Image.open(io.BytesIO(canvas_png(test_digits[0][3]))), dtype=np.float32)
    grey_paper = Image.fromarray(np.uint8(image * 0.7 + 40))  # photographed paper: grey, low contrast
    assert similarity(imaging.digit_from_bytes(png(grey_paper)), imaging.digit_from_bytes(png(Image.fromarray(
        np.uint8(image))))) > 0.98


@pytest.mark.parametrize("colour", ["white", "black", (128, 128, 128)])
def test_a_blank_canvas_is_an_empty_drawing(colour):
    with pytest.raises(imaging.EmptyDrawing, match="Draw something"):
        imaging.digit_from_bytes(png(Image.new("RGB", (280, 280), colour)))


def test_a_single_dot_is_still_a_digit_sized_input():
    canvas = Image.new("L", (280, 280), 255)
    canvas.putpixel((10, 200), 0)
    assert imaging.digit_from_bytes(png(canvas)).max() > 0


@pytest.mark.parametrize(
    "data, error, message",
    [
        (b"", imaging.ImageError, "empty"),
        (b"this is not an image", imaging.ImageError, "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, imaging.ImageError, "not an image|truncated or corrupt"),
        (b"\x00" * (imaging.MAX_BYTES + 1), imaging.ImageTooLarge, "limit"),
    ],
    ids=["empty", "text", "broken-png", "oversized"],
)
def test_bad_bytes_are_clear_errors(data, error, message):
    with pytest.raises(error, match=message):
        imaging.decode(data)


def test_truncated_png_is_a_clear_error(test_digits):
    whole = canvas_png(test_digits[0][0])
    with pytest.raises(imaging.ImageError, match="truncated or corrupt|not an image"):
        imaging.decode(whole[: len(whole) // 2])


def test_decompression_bomb_is_refused_before_decoding(bomb):
    assert len(bomb) < imaging.MAX_BYTES
    with pytest.raises(imaging.ImageTooLarge, match="20000x20000|too many pixels"):
        imaging.decode(bomb)
