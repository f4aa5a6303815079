"""The pages from the keyboard, and the drawing pad's text alternative, in a real Chromium: the digit and
summation pages used with the keyboard alone, and a picture of a drawing uploaded instead of drawing named as
the drawing would be. The page walker (tests/test_walker.py) checks in every state of every page that Tab
reaches every control, and runs axe-core."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from camera_pages import recorded

pytestmark = pytest.mark.browser
DIGITS = "digits_cnn"

# Mark the focused element as a tab stop: "new", "seen" once focus comes back to one already marked, or "none"
# while focus is out of the page (past its last control, before it comes round to the first).
STOP = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'none';
    if (el.dataset.tabstop) return 'seen';
    el.dataset.tabstop = 'yes';
    return 'new';
}"""
# Every control a person could use now, as tag#testid (text), that Tab did not stop on.
MISSED = """() => [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')]
    .filter((el) => el.tabIndex >= 0 && !el.disabled && el.checkVisibility({ visibilityProperty: true }))
    .filter((el) => !el.dataset.tabstop)
    .map((el) => `${el.tagName.toLowerCase()}#${el.dataset.testid ?? ''} (${(el.textContent || el.ariaLabel || '').trim().slice(0, 40)})`)"""


def tab_through(page, limit: int = 200) -> None:
    """Press Tab until focus comes round to a control it has been on, marking each (data-tabstop)."""
    page.evaluate("document.querySelectorAll('[data-tabstop]').forEach((el) => delete el.dataset.tabstop)")
    outside = 0
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(STOP)
        if stop == "seen" or outside > 2:
            return
        outside = outside + 1 if stop == "none" else 0
    raise AssertionError(f"focus did not come round in {limit} presses of Tab")


def tab_to(page, locator, limit: int = 60) -> None:
    """Press Tab until locator has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {locator}")


def opened(page, live_server, path: str):
    page.goto(f"{live_server}{path}")
    expect(page.locator("main [aria-busy], main[aria-busy]").first).to_have_attribute("aria-busy", "false")


def unreachable(page) -> list[str]:
    """The controls on the page now that Tab does not reach (the page walker checks every page's states). The
    page is left as it was: scrolled where it was, with nothing focused."""
    scrolled = page.evaluate("[scrollX, scrollY]")
    tab_through(page)
    missed = page.evaluate(MISSED)
    page.evaluate("([x, y]) => { document.activeElement?.blur(); scrollTo(x, y); }", scrolled)
    return missed


def png_of(digit: np.ndarray, side: int = 112) -> bytes:
    """A held-out MNIST digit (light on dark, 0..1) as a PNG, as a scan or a screenshot of it would be."""
    buffer = io.BytesIO()
    Image.fromarray(np.uint8(digit * 255)).resize((side, side), Image.Resampling.BILINEAR).save(buffer, format="PNG")
    return buffer.getvalue()


def first_of_each(labels: np.ndarray, digits) -> list[int]:
    return [int(np.flatnonzero(labels == d)[0]) for d in digits]


def test_an_uploaded_picture_of_a_digit_is_named(page, live_server, test_digits):
    images, labels = test_digits
    sent = recorded(page, f"**/api/experiments/{DIGITS}/predict*")
    opened(page, live_server, f"/experiments/{DIGITS}")
    canvas = page.get_by_test_id("canvas")
    expect(canvas).to_have_attribute("role", "img")
    expect(canvas).to_have_accessible_name("Drawing pad, empty")
    expect(canvas).to_have_accessible_description(page.locator("#draw-hint").inner_text())
    upload = page.get_by_label("Upload a drawing")
    for i in first_of_each(labels, (2, 5, 7)):
        picture = png_of(images[i])
        upload.set_input_files(files=[{"name": f"digit-{i}.png", "mimeType": "image/png", "buffer": picture}])
        expect(page.get_by_test_id(f"label-{DIGITS}")).to_have_text(str(labels[i]))
        assert (sent[-1]["content_type"], sent[-1]["body"]) == ("image/png", picture), "the file is sent as it is"
        expect(canvas).to_have_accessible_name(f"Drawing pad, showing the picture you uploaded (digit-{i}.png)")
        ink = canvas.evaluate("c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((v, i) => i % 4 === 0 && v < 128).length")
        assert ink > 0, "the picture is shown on the pad"
    page.get_by_test_id("clear").click()
    expect(page.get_by_test_id(f"label-{DIGITS}")).to_have_text("–")
    expect(canvas).to_have_accessible_name("Drawing pad, empty")


def test_the_digit_page_works_from_the_keyboard(page, live_server, test_digits):
    """Tab to the upload, open the file chooser with the space bar, pick a digit, read the answer; clear it."""
    images, labels = test_digits
    [i] = first_of_each(labels, (3,))
    # Intercept file choosers from the start: expect_file_chooser may begin only after the key is pressed.
    page.on("filechooser", lambda chooser: None)
    opened(page, live_server, f"/experiments/{DIGITS}")
    page.locator("body").focus()
    upload = page.get_by_test_id("draw-file")
    tab_to(page, upload)
    expect(upload).to_have_accessible_name("Upload a drawing")
    assert page.evaluate("getComputedStyle(document.activeElement.parentElement).outlineStyle") != "none", \
        "the focused upload shows where the focus is"
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(files=[{"name": "three.png", "mimeType": "image/png", "buffer": png_of(images[i])}])
    expect(page.get_by_test_id(f"label-{DIGITS}")).to_have_text("3")
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_test_id("clear")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id(f"label-{DIGITS}")).to_have_text("–")


def test_the_summation_page_works_from_the_keyboard(page, live_server):
    """Tab to the box and type a sum; Tab to a digit of the answer for its runners-up; Tab to "Try to trick
    it" and press Enter for a held-out sum."""
    opened(page, live_server, "/experiments/numbers_summation")
    page.locator("body").focus()
    box = page.get_by_test_id("expression")
    tab_to(page, box)
    expect(box).to_have_accessible_name("Your sum")
    page.keyboard.type("17+38")
    expect(page.get_by_test_id("answer")).to_have_text("55")
    tab_to(page, page.get_by_test_id("digit-0"))
    expect(page.get_by_test_id("alternatives-0")).to_be_visible()
    trick = page.get_by_test_id("trick")
    tab_to(page, trick)
    page.keyboard.press("Enter")
    expect(box).not_to_have_value("17+38")
    expect(page.get_by_test_id("verdict")).to_be_visible()
    expect(page.get_by_test_id("answer")).to_have_text(re.compile(r"^\d+$"))
