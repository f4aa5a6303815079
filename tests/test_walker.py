"""The page walker: the home page and every experiment's page in a real Chromium, on a desktop and a phone, in
each of its states: as it opens, after a prediction or generation, and after an error (a refused input, or a
server answer made to fail). In every state: no console error, no failed request, nothing fetched from another
host, no absent value printed as a word (null, undefined, NaN, [object Object]), nothing wider than the screen,
no serious or critical accessibility violation found by axe-core, and (on the desktop) every control reached
with Tab.

Each state's screenshot is saved to MLSANDBOX_SHOTS (a folder) if set, else to pytest's temporary folder:
look at them after a change to a page."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

import axe
from conftest import check_layout
from fake_camera import camera_browser, y4m_of
from mlsandbox import experiments
from mlsandbox.data import photos
from test_accessibility import opened, unreachable
from test_browser import draw

pytestmark = pytest.mark.browser
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
NOT_AN_IMAGE = {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"a shopping list, not a photo"}
FAULT = "The model is not being served (walker): run `mlsandbox fetch` and restart the server."


@pytest.fixture(scope="module")
def test_photos() -> dict[str, Path]:
    return photos.load()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("MLSANDBOX_SHOTS") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def cat_camera(pw, test_photos, tmp_path_factory):
    """Chromium, its fake camera filming a cat: every page is walked in it."""
    with camera_browser(pw, y4m_of(test_photos["chelsea.png"], tmp_path_factory.mktemp("camera"))) as browser:
        yield browser


class Walk:
    """One page in one viewport, watched from the moment it opens: what went wrong in each state it is put in."""

    def __init__(self, browser, server: str, name: str, viewport: str, shots: Path):
        width, height = VIEWPORTS[viewport]
        phone = viewport == "phone"
        self.context = browser.new_context(viewport={"width": width, "height": height}, has_touch=phone, is_mobile=phone)
        self.page = self.context.new_page()
        self.server, self.name, self.viewport, self.width, self.shots = server, name, viewport, width, shots
        self.problems: list[str] = []
        self.state = "opening"
        self.expected: list[str] = []  # URL patterns whose error answers the current state asks for
        host = urlsplit(server).netloc
        page = self.page
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.problem(f"uncaught {error}"))
        page.on("requestfailed", self.on_failed)
        page.on("response", lambda r: r.status >= 400 and not self.asked_for(r.url)
                and self.problem(f"{r.status} for {r.request.method} {r.url}"))
        page.on("request", lambda r: urlsplit(r.url).scheme in ("http", "https") and urlsplit(r.url).netloc != host
                and self.problem(f"request to another host: {r.url}"))
        page.on("websocket", lambda ws: urlsplit(ws.url).netloc != host and self.problem(f"socket to another host: {ws.url}"))

    def problem(self, text: str) -> None:
        self.problems.append(f"{self.name} ({self.viewport}, {self.state}): {text}")

    def asked_for(self, url: str) -> bool:
        return any(re.search(pattern, url) for pattern in self.expected)

    def on_failed(self, request) -> None:
        if request.resource_type == "image" and request.failure == "net::ERR_ABORTED":
            return  # an image the page replaced before it came (the examples of a guess the next stroke changed)
        self.problem(f"request failed: {request.method} {request.url} ({request.failure})")

    def on_console(self, message) -> None:
        if message.type != "error":
            return
        if message.text.startswith("Failed to load resource") and self.asked_for(message.location.get("url", "")):
            return  # Chromium's own line for an error answer the state asked for
        self.problem(f"console error: {message.text}")

    def open(self, path: str) -> None:
        opened(self.page, self.server, path)

    def step(self, state: str, action, *args) -> None:
        """Do what leads to state (what goes wrong on the way counts as in it)."""
        self.state = state
        action(self, *args)

    def look(self, state: str, models_write: str | None = None) -> None:
        """Check the page as it stands, and keep its screenshot."""
        self.state = state
        try:
            check_layout(self.page, self.width, f"{self.name} ({self.viewport}, {state})", models_write)
        except AssertionError as e:
            self.problems.append(str(e).splitlines()[0])
        self.problems += axe.violations(self.page, f"{self.name} ({self.viewport}, {state})")
        self.page.screenshot(path=self.shots / f"{self.name}-{state}-{self.viewport}.png", full_page=True)
        if self.viewport == "desktop":
            missed = unreachable(self.page)
            if missed:
                self.problem(f"Tab does not reach {missed}")

    def fail(self, pattern: str, status: int = 500, detail: str = FAULT) -> str:
        """From now on, requests to URLs matching the glob pattern are answered with an error and detail."""
        self.page.route(pattern, lambda route: route.fulfill(status=status, content_type="application/json",
                                                             body=json.dumps({"detail": detail})))
        return detail


# --- what a person does on each kind of demo: answered(walk, experiment), then refused(walk, experiment) ---------

def draw_answered(walk, experiment):
    page = walk.page
    page.get_by_test_id("canvas").scroll_into_view_if_needed()
    draw(page, page.get_by_test_id("canvas"), [[(14, 4), (14, 24)], [(10, 8), (14, 4)]])
    expect(page.locator(".draw-pad")).to_have_attribute("data-busy", "false")
    expect(page.get_by_test_id(f"label-{experiment['id']}")).not_to_have_text("–")


def draw_refused(walk, experiment):
    page = walk.page
    walk.expected.append("/predict")
    detail = walk.fail("**/api/experiments/*/predict*", 503)
    page.get_by_test_id("clear").click()
    page.get_by_test_id("canvas").scroll_into_view_if_needed()
    draw(page, page.get_by_test_id("canvas"), [[(8, 14), (20, 14)]])
    expect(page.get_by_test_id("message")).to_have_text(detail)
    expect(page.get_by_test_id(f"label-{experiment['id']}")).to_have_text("–")


def translate_answered(walk, experiment):
    walk.page.get_by_test_id("expression").fill("17+38")
    expect(walk.page.get_by_test_id("answer")).to_have_text("55")


def translate_refused(walk, experiment):
    walk.expected.append("/translate$")
    walk.page.get_by_test_id("expression").fill("17+abc")
    expect(walk.page.get_by_test_id("input-error")).to_be_visible()
    expect(walk.page.get_by_test_id("answer")).to_have_text("")


def generate(walk, experiment, prompt: str | None, state: str):
    page = walk.page
    if prompt is not None:
        page.get_by_test_id("prompt").fill(prompt)
    page.get_by_test_id("length").fill("40")
    page.get_by_test_id("start").click()
    for panel in page.locator("[data-testid^=panel-]:has(.text-output)").all():
        expect(panel).to_have_attribute("data-state", state, timeout=30_000)


def text_answered(walk, experiment):
    generate(walk, experiment, None, "done")


def text_refused(walk, experiment):
    walk.expected.append("/generate$")
    generate(walk, experiment, "", "error")


def photo_answered(walk, experiment):
    walk.page.get_by_test_id("photo-file").set_input_files(walk.photos["chelsea.png"])
    expect(walk.page.get_by_test_id("photo-demo")).to_have_attribute("data-state", "answered")


def photo_refused(walk, experiment):
    walk.expected.append("/predict$")
    walk.page.get_by_test_id("photo-file").set_input_files(files=[NOT_AN_IMAGE])
    expect(walk.page.get_by_test_id("photo-demo")).to_have_attribute("data-state", "error")


def detect_answered(walk, experiment):
    page = walk.page
    page.get_by_test_id("camera-start").click()
    expect(page.get_by_test_id("detect-live")).to_have_attribute("data-state", "live", timeout=20_000)
    page.get_by_test_id("photo-file").set_input_files(walk.photos["astronaut.png"])
    expect(page.get_by_test_id("detect-photo")).to_have_attribute("data-state", "answered")
    expect(page.get_by_test_id("photo-detections")).to_contain_text("person")


def detect_refused(walk, experiment):
    walk.expected.append(r"/detect\?")
    walk.page.get_by_test_id("photo-file").set_input_files(files=[NOT_AN_IMAGE])
    expect(walk.page.get_by_test_id("detect-photo")).to_have_attribute("data-state", "error")


def faces_answered(walk, experiment):
    page = walk.page
    page.get_by_test_id("camera-start").click()
    expect(page.get_by_test_id("faces-live")).to_have_attribute("data-state", "live", timeout=20_000)
    expect(page.get_by_test_id("live-faces")).to_have_text("No face found scored 85% or more.")  # the camera films a cat
    page.get_by_test_id("photo-file").set_input_files(walk.photos["astronaut.png"])
    expect(page.get_by_test_id("faces-photo")).to_have_attribute("data-state", "answered")
    expect(page.get_by_test_id("photo-faces")).to_contain_text("happy")


def faces_refused(walk, experiment):
    walk.expected.append(r"/faces\?")
    walk.page.get_by_test_id("photo-file").set_input_files(files=[NOT_AN_IMAGE])
    expect(walk.page.get_by_test_id("faces-photo")).to_have_attribute("data-state", "error")


def play(walk) -> str:
    demo = walk.page.get_by_test_id("game-demo")
    walk.page.get_by_test_id("game-play").click()
    expect(demo).to_have_attribute("data-state", "counting")
    expect(demo).to_have_attribute("data-state", re.compile("^(answered|unclear|error)$"), timeout=15_000)
    return demo.get_attribute("data-state")


def game_answered(walk, experiment):
    walk.page.get_by_test_id("camera-start").click()
    expect(walk.page.locator(".camera")).to_have_attribute("data-state", "on")
    assert play(walk) in ("answered", "unclear")


def game_refused(walk, experiment):
    walk.expected.append("/predict$")
    detail = walk.fail("**/api/experiments/*/predict", 503)
    assert play(walk) == "error"
    expect(walk.page.get_by_test_id("game-error")).to_have_text(detail)


def generate_answered(walk, experiment):
    page = walk.page
    if not experiment["trained"]:  # nothing to draw with: the page says why, and the lab below can train it
        expect(page.get_by_test_id("gen-problem")).to_be_visible()
        return
    if not experiment["details"]["conditional"]:
        page.get_by_test_id("new-seed").click()
        expect(page.get_by_test_id("gen-grid")).to_have_attribute("data-state", "drawn")
        page.get_by_test_id("picture-3").click()
        expect(page.get_by_test_id("gen-path")).to_have_attribute("data-state", "drawn")
        return
    plane = page.get_by_test_id("plane-canvas")
    plane.scroll_into_view_if_needed()
    box = plane.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
    expect(page.get_by_test_id("plane-picture")).to_have_attribute("alt", re.compile(r"^A 0 drawn at \(−1\.20, −0\.60\)"))
    page.get_by_test_id("canvas").scroll_into_view_if_needed()
    draw(page, page.get_by_test_id("canvas"), [[(14, 4), (14, 24)], [(10, 8), (14, 4)]])
    expect(page.get_by_test_id("gen-encode")).to_have_attribute("data-state", "encoded")


def generate_refused(walk, experiment):
    page = walk.page
    if not experiment["trained"]:
        return
    if not experiment["details"]["conditional"]:
        walk.expected.append("/pictures$")
        page.get_by_test_id("seed").fill("99999999999")
        page.get_by_test_id("draw").click()
        expect(page.get_by_test_id("gen-error")).to_contain_text("less than or equal to")
        return
    walk.expected.append("/encode$")
    page.get_by_test_id("draw-file").set_input_files(files=[NOT_AN_IMAGE])
    expect(page.get_by_test_id("gen-encode")).to_have_attribute("data-state", "error")
    expect(page.get_by_test_id("encode-error")).to_contain_text("not an image")


DEMOS = {  # demo kind: (do something and wait for the answer, do something the server refuses)
    "draw": (draw_answered, draw_refused),
    "sketch": (draw_answered, draw_refused),
    "translate": (translate_answered, translate_refused),
    "text": (text_answered, text_refused),
    "photo": (photo_answered, photo_refused),
    "detect": (detect_answered, detect_refused),
    "faces": (faces_answered, faces_refused),
    "game": (game_answered, game_refused),
    "generate": (generate_answered, generate_refused),
}


# --- the walk -------------------------------------------------------------------------------------------------

def test_the_walker_knows_every_page_the_api_lists(live_server):
    listed = httpx.get(f"{live_server}/api/experiments").json()
    assert [e["id"] for e in listed] == list(experiments.REGISTRY)
    assert {e["demo"] for e in listed} <= set(DEMOS), "the walker cannot yet use a kind of demo: add it to DEMOS"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_home_page(cat_camera, live_server, shots, viewport):
    walk = Walk(cat_camera, live_server, "home", viewport, shots)
    try:
        walk.open("/")
        expect(walk.page.locator("[data-testid^=experiment-]")).to_have_count(len(experiments.REGISTRY))
        walk.look("empty")
        walk.expected.append("/api/experiments$")
        detail = walk.fail("**/api/experiments", 503, "The experiments cannot be listed (walker): restart the server.")
        walk.open("/")
        expect(walk.page.get_by_test_id("message")).to_have_text(detail)
        walk.look("error")
    finally:
        walk.context.close()
    assert not walk.problems, "\n".join(walk.problems)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_api_docs_page(cat_camera, live_server, shots, viewport):
    """Swagger UI (not this project's page, so not held to its words and axe's rules): it loads from this server
    alone, without an error, and shows every operation; /redoc leads to it."""
    walk = Walk(cat_camera, live_server, "docs", viewport, shots)
    try:
        for path in ("/docs", "/redoc"):
            walk.page.goto(f"{live_server}{path}")
            expect(walk.page.locator(".swagger-ui .info .title")).to_contain_text("Interactive Machine Learning")
            operations = len(httpx.get(f"{live_server}/openapi.json").json()["paths"])
            assert walk.page.locator(".opblock").count() >= operations
        walk.page.screenshot(path=shots / f"docs-empty-{viewport}.png", full_page=True)
    finally:
        walk.context.close()
    assert not walk.problems, "\n".join(walk.problems)


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("experiment_id", experiments.REGISTRY)
def test_experiment_page(cat_camera, live_server, shots, test_photos, experiment_id, viewport):
    experiment = httpx.get(f"{live_server}/api/experiments/{experiment_id}").json()
    answered, refused = DEMOS[experiment["demo"]]
    models_write = ".gen" if experiment["demo"] == "text" else None  # a generated "null" is the model's word
    walk = Walk(cat_camera, live_server, experiment_id, viewport, shots)
    walk.photos = test_photos
    try:
        walk.open(f"/experiments/{experiment_id}")
        walk.look("empty")
        walk.step("answered", answered, experiment)
        walk.look("answered", models_write)
        walk.step("error", refused, experiment)
        walk.look("error", models_write)
    finally:
        walk.context.close()
    assert not walk.problems, "\n".join(walk.problems)
