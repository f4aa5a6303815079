"""The summation page in a real Chromium: a sum typed key by key and answered on every keystroke, the
server's message for what the model cannot read, and held-out sums to try to trick it with."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest
from playwright.sync_api import expect

from conftest import check_layout, sized_page

from mlsandbox.data import summation

pytestmark = pytest.mark.browser
SUMMATION = "numbers_summation"


@pytest.fixture(scope="module")
def trained(live_server) -> dict:
    info = httpx.get(f"{live_server}/api/experiments/{SUMMATION}").json()
    assert info["trained"], f"{SUMMATION} has no model in the served artifacts: run `mlsandbox train {SUMMATION}`"
    return info


def translate(live_server: str, text: str) -> httpx.Response:
    return httpx.post(f"{live_server}/api/experiments/{SUMMATION}/translate", json={"text": text})


def open_summation(page, live_server: str):
    page.goto(f"{live_server}/experiments/{SUMMATION}")
    expect(page.locator("main")).to_have_attribute("aria-busy", "false")
    box = page.get_by_test_id("expression")
    expect(box).to_be_visible()
    return box


def settled(page) -> None:
    expect(page.locator(".translate-demo")).to_have_attribute("data-busy", "false")


def test_a_typed_sum_is_answered_and_checked(page, live_server, trained):
    box = open_summation(page, live_server)
    expect(box).to_have_attribute("placeholder", trained["details"]["hint"])
    box.fill("17+38")
    expect(page.get_by_test_id("answer")).to_have_text("55")
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-correct", "true")
    expect(verdict).to_have_text("✓ right: 17+38 = 55")
    expect(page.get_by_test_id("digit-0")).to_contain_text("5")
    expect(page.get_by_test_id("digit-1")).to_contain_text("%")
    expect(page.get_by_test_id("digit-2")).to_have_count(0)
    expect(page.get_by_test_id("timing")).to_have_text(re.compile(r"^\d+\.\d ms on the server$"))
    expect(page.get_by_test_id("input-error")).to_be_hidden()
    check_layout(page, page.viewport_size["width"], "page")


def test_the_answer_follows_every_keystroke(page, live_server, trained):
    """Each key sends what the box holds, and the page shows that text's answer or the server's message."""
    sent = []
    page.on("request", lambda r: r.url.endswith("/translate") and sent.append(json.loads(r.post_data)["text"]))
    box = open_summation(page, live_server)
    answer, error = page.get_by_test_id("answer"), page.get_by_test_id("input-error")
    for typed, expected in [("1", None), ("17", None), ("17+", None), ("17+3", "20"), ("17+38", "55")]:
        box.press(typed[-1])
        settled(page)
        if expected is None:
            expect(error).to_have_text(translate(live_server, typed).json()["detail"])
            expect(answer).to_have_text("")
        else:
            expect(error).to_be_hidden()
            expect(answer).to_have_text(expected)
    assert sent == ["1", "17", "17+", "17+3", "17+38"]

    box.fill("")  # an empty box clears the answer without asking
    expect(answer).to_have_text("")
    expect(page.get_by_test_id("verdict")).to_be_hidden()
    expect(page.locator(".sum-empty")).to_be_visible()
    page.wait_for_timeout(300)
    assert len(sent) == 5


def test_only_the_latest_answer_is_shown(page, live_server, trained):
    """An answer that arrives after a newer one (a slow network) is dropped."""
    held = []
    page.route(f"**/api/experiments/{SUMMATION}/translate", lambda route: held.append(route))
    box = open_summation(page, live_server)

    def wait_for(n):
        deadline = time.monotonic() + 10
        while len(held) < n and time.monotonic() < deadline:
            page.wait_for_timeout(20)
        assert len(held) == n

    box.fill("17+3")
    wait_for(1)
    box.fill("17+38")
    wait_for(2)
    with page.expect_response("**/translate"):
        held[1].continue_()
    expect(page.get_by_test_id("answer")).to_have_text("55")
    with page.expect_response("**/translate"):
        held[0].continue_()  # the answer for 17+3, late
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("answer")).to_have_text("55")
    expect(page.get_by_test_id("verdict")).to_have_text("✓ right: 17+38 = 55")


@pytest.mark.parametrize("text", ["abc", "1+2+3", "1000+1"])
def test_unreadable_text_shows_the_servers_message_and_no_answer(page, live_server, trained, text):
    response = translate(live_server, text)
    assert response.status_code == 422
    box = open_summation(page, live_server)
    box.fill("17+38")
    expect(page.get_by_test_id("answer")).to_have_text("55")
    box.fill(text)
    expect(page.get_by_test_id("input-error")).to_have_text(response.json()["detail"])
    expect(page.get_by_test_id("answer")).to_have_text("")
    expect(page.get_by_test_id("verdict")).to_be_hidden()
    expect(page.get_by_test_id("digit-0")).to_have_count(0)
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("message")).to_be_hidden()
    check_layout(page, page.viewport_size["width"], "page")


def test_try_to_trick_it_types_held_out_sums(page, live_server, trained):
    held_out = set(summation.load().test[0])
    box = open_summation(page, live_server)
    trick, verdict = page.get_by_test_id("trick"), page.get_by_test_id("verdict")
    seen = []
    for _ in range(3):
        trick.click()
        expect(box).not_to_have_value("" if not seen else seen[-1])
        settled(page)
        text = box.input_value()
        assert text in held_out
        total = str(sum(map(int, text.split("+"))))
        answer = page.get_by_test_id("answer").inner_text()
        assert re.fullmatch(r"\d+", answer)
        right = answer == total
        expect(verdict).to_have_attribute("data-correct", str(right).lower())
        expect(verdict).to_have_text(f"✓ right: {text} = {total}" if right else f"✗ wrong: the sum is {total}")
        seen.append(text)
    assert len(set(seen)) == 3


def test_a_digit_shows_its_alternatives_on_hover_and_tap(page, live_server, trained):
    characters = translate(live_server, "999+999").json()["characters"]
    box = open_summation(page, live_server)
    box.fill("999+999")
    expect(page.get_by_test_id("answer")).to_have_text("1998")
    for i, character in enumerate(characters):
        alternatives = page.get_by_test_id(f"alternatives-{i}")
        expect(alternatives).to_be_hidden()
        page.get_by_test_id(f"digit-{i}").hover()
        expect(alternatives).to_be_visible()
        expect(alternatives.locator("li")).to_have_count(len(character["alternatives"]))
        for alternative in character["alternatives"]:
            name = "end here" if alternative["character"] == "(end)" else alternative["character"]
            expect(alternatives).to_contain_text(re.compile(rf"or {re.escape(name)} (<0\.1|\d+\.\d)%"))
    page.mouse.move(0, 0)
    page.get_by_test_id("digit-1").focus()  # a tap focuses it
    expect(page.get_by_test_id("alternatives-1")).to_be_visible()


@pytest.mark.parametrize("width", [390, 1200])
def test_nothing_overflows_and_nothing_prints_null(browser, live_server, trained, width):
    """Empty, answered (with a digit's alternatives open) and refused: no sideways scrolling on a phone."""
    phone = width < 640
    with sized_page(browser, width) as page:
        box = open_summation(page, live_server)

        check_layout(page, width, "empty")
        box.fill("999+999")
        expect(page.get_by_test_id("answer")).to_have_text("1998")
        digit = page.get_by_test_id("digit-3")
        digit.tap() if phone else digit.hover()
        expect(page.get_by_test_id("alternatives-3")).to_be_visible()
        check_layout(page, width, "answered")
        box.fill("123456789+123456789")
        expect(page.get_by_test_id("input-error")).to_be_visible()
        check_layout(page, width, "refused")


def test_an_untrained_model_is_explained_and_the_box_disabled(page, live_server):
    problem = "numbers_summation has no trained model (test): run `mlsandbox train numbers_summation`."

    def untrained(route):
        info = route.fetch().json()
        route.fulfill(json={**info, "trained": False, "problem": problem, "card": None})

    page.route(f"**/api/experiments/{SUMMATION}", untrained)
    box = open_summation(page, live_server)
    expect(page.locator(".sum-result")).to_contain_text(problem)
    expect(box).to_be_disabled()
    expect(page.get_by_test_id("trick")).to_be_disabled()
