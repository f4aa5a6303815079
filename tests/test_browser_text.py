"""The Shakespeare page in a real Chromium: a prompt continued by every trained model side by side, streamed
character by character, stopped on demand, each character's five alternatives, and the server's messages."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest
from playwright.sync_api import expect

from conftest import check_layout, sized_page

pytestmark = pytest.mark.browser
PAGE = "shakespeare_lstm"
SHOWN = {" ": "␣", "\n": "↵", "\t": "⇥"}
COUNTS = "ids => ids.map(id => document.querySelectorAll(`[data-testid='output-${id}'] .gen`).length)"


@pytest.fixture(scope="module")
def info(live_server) -> dict:
    info = httpx.get(f"{live_server}/api/experiments/{PAGE}").json()
    assert info["trained"], f"{PAGE} has no model in the served artifacts: run `mlsandbox train {PAGE}`"
    return info


@pytest.fixture(scope="module")
def trained(live_server, info) -> list[str]:
    """The ids of the family's trained models: the panels that generate."""
    return [m for m in info["family_members"] if httpx.get(f"{live_server}/api/experiments/{m}").json()["trained"]]


def open_text(page, live_server: str):
    page.goto(f"{live_server}/experiments/{PAGE}")
    expect(page.locator("main")).to_have_attribute("aria-busy", "false")
    expect(page.get_by_test_id("start")).to_be_enabled()


def start(page, *, length: int, choice: int | None = 0, prompt: str | None = None) -> None:
    if choice is not None:
        page.get_by_test_id(f"prompt-choice-{choice}").click()
    if prompt is not None:
        page.get_by_test_id("prompt").fill(prompt)
    page.get_by_test_id("length").fill(str(length))
    page.get_by_test_id("start").click()


def wait_for(page, ids: list[str], state: str) -> None:
    for id in ids:
        expect(page.get_by_test_id(f"panel-{id}")).to_have_attribute("data-state", state, timeout=30_000)


def generated(page, id: str) -> str:
    return page.evaluate("id => [...document.querySelectorAll(`[data-testid='output-${id}'] .gen`)]"
                         ".map(s => s.textContent).join('')", id)


def stream(live_server: str, id: str, body: dict) -> str:
    """The text the API generates for this request, read from its event stream."""
    with httpx.stream("POST", f"{live_server}/api/experiments/{id}/generate", json=body, timeout=60) as response:
        assert response.status_code == 200
        events = "".join(response.iter_text()).split("\n\n")
    return "".join(json.loads(e[len("data: "):])["character"] for e in events if e.startswith("data: "))


def test_text_streams_into_every_panel_and_stop_stops_them_all(page, live_server, info, trained):
    open_text(page, live_server)
    page.get_by_test_id("prompt-choice-1").click()
    expect(page.get_by_test_id("prompt")).to_have_value(info["details"]["prompts"][1])
    stop = page.get_by_test_id("stop")
    expect(stop).to_be_disabled()
    # A slow network, so the 300 characters take seconds to arrive and can be watched coming in.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": 4000,
                                                  "uploadThroughput": -1})
    start(page, length=300, choice=None)
    expect(stop).to_be_enabled()
    for id in trained:
        expect(page.get_by_test_id(f"panel-{id}")).to_have_attribute("data-state", "running")
        expect(page.get_by_test_id(f"status-{id}")).to_have_text("generating…")

    seen = {id: set() for id in trained}  # the lengths each output had while it grew
    deadline = time.monotonic() + 20
    while any(len(s) < 3 for s in seen.values()) and time.monotonic() < deadline:
        for id, n in zip(trained, page.evaluate(COUNTS, trained)):
            assert n < 300, f"{id} finished before it could be stopped"
            if n:
                seen[id].add(n)
        page.wait_for_timeout(30)
    assert all(len(s) >= 3 for s in seen.values()), f"the text did not arrive in pieces: {seen}"

    stop.click()
    wait_for(page, trained, "stopped")
    counts = page.evaluate(COUNTS, trained)
    for id, n in zip(trained, counts):
        expect(page.get_by_test_id(f"status-{id}")).to_have_text(f"stopped after {n} characters")
    page.wait_for_timeout(800)
    assert page.evaluate(COUNTS, trained) == counts
    expect(stop).to_be_disabled()
    expect(page.get_by_test_id("start")).to_be_enabled()


def test_a_short_run_ends_with_exactly_its_characters(page, live_server, info, trained):
    open_text(page, live_server)
    start(page, length=40, choice=0)
    wait_for(page, trained, "done")
    prompt = info["details"]["prompts"][0]
    for id in trained:
        output = page.get_by_test_id(f"output-{id}")
        expect(output.locator(".gen")).to_have_count(40)
        assert output.text_content().startswith(prompt)
        expect(page.get_by_test_id(f"status-{id}")).to_have_text(re.compile(r"^40 characters, [\d,]+ per second$"))
    expect(page.get_by_test_id("stop")).to_be_disabled()
    check_layout(page, page.viewport_size["width"], "page")


def test_a_character_shows_the_five_the_model_weighed(page, live_server, trained):
    open_text(page, live_server)
    start(page, length=30)
    wait_for(page, trained, "done")
    alternative = re.compile(r"^\S+ (<0\.1|\d+\.\d)%( ✓)?$")
    for id in trained:
        box = page.get_by_test_id(f"alternatives-{id}")
        characters = page.get_by_test_id(f"output-{id}").locator(".gen")
        for i in (0, 7, 29):
            character = characters.nth(i)
            character.hover()
            expect(character).to_have_class(re.compile(r"\bpicked\b"))
            expect(box).to_contain_text(f"Character {i + 1}:")
            items = box.locator("li")
            expect(items).to_have_count(5)
            for text in items.all_inner_texts():
                assert alternative.match(text.strip()), text
            chosen = SHOWN.get(character.text_content(), character.text_content())
            marked = box.locator("li.chosen .alt-char")
            if marked.count():
                expect(marked).to_have_text(chosen)
            else:
                expect(box).to_contain_text(re.compile(f"chose “{re.escape(chosen)}” \\([0-9.]+%\\), not among them"))
    page.mouse.move(0, 0)  # the keyboard: focus the text, step through it with the arrow keys
    page.get_by_test_id(f"output-{trained[0]}").focus()
    box = page.get_by_test_id(f"alternatives-{trained[0]}")
    for key, shown in [("ArrowLeft", 29), ("ArrowLeft", 28), ("ArrowRight", 29), ("ArrowRight", 30), ("ArrowRight", 30)]:
        page.keyboard.press(key)
        expect(box).to_contain_text(f"Character {shown}:")


def test_the_same_seed_gives_the_same_text(page, live_server, trained):
    """The page sends one random seed to every model; the API, asked again with it, writes the same text."""
    sent = {}
    page.on("request", lambda r: r.url.endswith("/generate") and sent.update({r.url.split("/")[-2]: json.loads(r.post_data)}))
    open_text(page, live_server)
    page.get_by_test_id("temperature").fill("1.2")
    start(page, length=50, choice=2)
    wait_for(page, trained, "done")
    assert sorted(sent) == sorted(trained)
    bodies = list(sent.values())
    assert all(body == bodies[0] for body in bodies), "every model gets the same request and seed"
    assert isinstance(bodies[0]["seed"], int) and bodies[0]["temperature"] == 1.2 and bodies[0]["length"] == 50
    for id in trained:
        assert generated(page, id) == stream(live_server, id, bodies[0])


@pytest.mark.parametrize("prompt, length", [("", 40), ("   \n", 40), ("ROMEO:\n", 99999)])
def test_a_refused_request_shows_the_servers_message(page, live_server, trained, prompt, length):
    response = httpx.post(f"{live_server}/api/experiments/{PAGE}/generate", json={"prompt": prompt, "length": length})
    assert response.status_code == 422
    detail = response.json()["detail"]
    message = detail if isinstance(detail, str) else "; ".join(f"{d['loc'][-1]}: {d['msg']}" for d in detail)
    open_text(page, live_server)
    start(page, length=length, choice=None, prompt=prompt)
    wait_for(page, trained, "error")
    for id in trained:
        expect(page.get_by_test_id(f"status-{id}")).to_have_text(message)
        expect(page.get_by_test_id(f"output-{id}").locator(".gen")).to_have_count(0)
    expect(page.get_by_test_id("start")).to_be_enabled()
    check_layout(page, page.viewport_size["width"], "page")


def test_an_untrained_model_shows_its_problem_and_is_skipped(page, live_server, info):
    other = next(m for m in info["family_members"] if m != PAGE)
    problem = f"{other} has no trained model (test): run `mlsandbox train {other}`."

    def untrained(route):
        route.fulfill(json={**route.fetch().json(), "trained": False, "problem": problem, "card": None})

    page.route(f"**/api/experiments/{other}", untrained)
    sent = []
    page.on("request", lambda r: r.url.endswith("/generate") and sent.append(r.url))
    open_text(page, live_server)
    expect(page.get_by_test_id(f"panel-{other}")).to_contain_text(problem)
    expect(page.get_by_test_id(f"output-{other}")).to_have_count(0)
    start(page, length=10)
    wait_for(page, [PAGE], "done")
    assert sent == [f"{live_server}/api/experiments/{PAGE}/generate"]


@pytest.mark.parametrize("width", [390, 1200])
def test_nothing_overflows_and_nothing_prints_null(browser, live_server, trained, width):
    """Empty, written (with a character's alternatives open) and refused: no sideways scrolling on a phone."""
    phone = width < 640
    with sized_page(browser, width) as page:
        open_text(page, live_server)

        check_layout(page, width, "empty", models_write=".gen")
        start(page, length=400, choice=3)
        wait_for(page, trained, "done")
        character = page.get_by_test_id(f"output-{trained[0]}").locator(".gen").nth(12)
        character.tap() if phone else character.hover()
        expect(page.get_by_test_id(f"alternatives-{trained[0]}").locator("li")).to_have_count(5)
        check_layout(page, width, "written", models_write=".gen")
        start(page, length=40, choice=None, prompt="")
        wait_for(page, trained, "error")
        check_layout(page, width, "refused", models_write=".gen")
