"""The lab's Train panel in a real Chromium against a real server with the lab on, in fast mode (tiny runs): a run
started from the page draws its loss and, at each validation, a confusion matrix; the learning rate changes while it
trains and Stop stops it; a finished run's model guesses a drawn digit beside the shipped one; a reloaded page comes
back to its run with the whole chart; a trainer killed mid-run is reported as a failed run and the demo still
answers. Each state is walked as tests/test_walker.py walks every page, on a desktop and on a phone."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from conftest import check_layout, running_server
from mlsandbox.assets import CACHE_ENV, cache_dir
from test_browser import draw
from test_walker import VIEWPORTS, Walk

pytestmark = pytest.mark.browser
EXPERIMENT = "digits_mlp"
LIMIT = 120  # seconds: the lab server refuses runs it estimates longer
ENDED = re.compile("^(finished|stopped|failed)$")


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    """`mlsandbox serve --lab` in fast mode, with a cache of its own (the data sets linked from the usual one), so
    that its runs and its one-run-at-a-time lock are this module's alone. Runs estimated over two minutes are refused."""
    cache = tmp_path_factory.mktemp("lab-cache")
    for entry in cache_dir().iterdir():
        if entry.name != "lab":
            (cache / entry.name).symlink_to(entry)
    env = {"MLSANDBOX_LAB": "1", "MLSANDBOX_FAST": "1", "MLSANDBOX_LAB_LIMIT": str(LIMIT), CACHE_ENV: str(cache)}
    with running_server(env) as url:
        yield url


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("MLSANDBOX_SHOTS") or tmp_path_factory.mktemp("lab-shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class LabWalk(Walk):
    """The walker's checks for the lab: the stream of a run that ended is closed by the page on purpose."""

    def on_failed(self, request) -> None:
        if request.resource_type == "eventsource" and request.failure == "net::ERR_ABORTED":
            return
        super().on_failed(request)


@pytest.fixture
def walk(browser, lab_server, shots, request):
    """The test's page, watched by the walker from the start; each test ends with done(walk)."""
    walk = LabWalk(browser, lab_server, request.node.name.removeprefix("test_"), "desktop", shots)
    yield walk
    walk.context.close()


def done(walk) -> None:
    assert not walk.problems, "\n".join(walk.problems)


def look(walk, state: str) -> None:
    """The walker's checks on the page as it stands, on the desktop and again as wide as a phone."""
    walk.look(state)
    page = walk.page
    page.set_viewport_size({"width": VIEWPORTS["phone"][0], "height": VIEWPORTS["phone"][1]})
    walk.viewport, walk.width = "phone", VIEWPORTS["phone"][0]
    page.wait_for_timeout(100)  # the charts redraw at their new width in the next frame
    walk.look(state)
    page.set_viewport_size({"width": VIEWPORTS["desktop"][0], "height": VIEWPORTS["desktop"][1]})
    walk.viewport, walk.width = "desktop", VIEWPORTS["desktop"][0]


def open_lab(walk, path: str = f"/experiments/{EXPERIMENT}"):
    walk.open(path)
    expect(walk.page.get_by_test_id("lab-form")).to_be_visible()
    return walk.page


def train(page, **settings) -> str:
    """Fill the form (Quick first), press Train, and return the run's id once the page names it in its URL."""
    page.get_by_test_id("lab-preset-quick").click()
    for name, value in settings.items():
        page.get_by_test_id(f"setting-{name}").fill(value)
    expect(page.get_by_test_id("lab-estimate")).to_contain_text("on this server")
    page.get_by_test_id("lab-train").click()
    expect(page).to_have_url(re.compile(r"\?run="))
    return page.url.split("run=")[1]


def long_run(server: str) -> dict:
    """The Quick recipe with as many epochs as the server lets a run have (up to 100): a run that trains long enough
    to be changed, stopped or killed while it trains. (Fast mode's estimates follow the pace of the runs before.)"""
    estimate = httpx.post(f"{server}/api/experiments/{EXPERIMENT}/estimate",
                          json={"preset": "quick", "settings": {"epochs": 100}}).json()
    epochs = 100 if not estimate["over"] else max(10, int(100 * 0.8 * LIMIT / estimate["seconds"]))
    return {"epochs": str(epochs)}


def still(page) -> None:
    """Wait until a smooth scroll the page began has come to rest (a stroke drawn mid-scroll misses the pad)."""
    page.evaluate("""() => new Promise((done) => {
        let last = scrollY;
        const look = () => requestAnimationFrame(() => (scrollY === last ? done(true) : ((last = scrollY), setTimeout(look, 50))));
        setTimeout(look, 50);
    })""")


def draw_a_one(page) -> None:
    """A straight stroke down the middle of the pad, once it is in view and still."""
    canvas = page.get_by_test_id("canvas")
    canvas.scroll_into_view_if_needed()
    still(page)
    draw(page, canvas, [[(14, 4), (14, 24)]])
    expect(page.locator(".draw-pad")).to_have_attribute("data-busy", "false")


def run_of(server: str, run_id: str) -> dict:
    return httpx.get(f"{server}/api/runs/{run_id}", timeout=30).json()


def events(server: str, run_id: str) -> list[dict]:
    text = httpx.get(f"{server}/api/runs/{run_id}/files/events.jsonl", timeout=30).text
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def points(page, chart: str, series: str) -> int:
    return int(page.get_by_test_id(f"chart-{chart}").locator(f"polyline[data-series={series}]").get_attribute("data-count"))


def ended(page, state: str | re.Pattern = ENDED) -> None:
    expect(page.get_by_test_id("lab-run")).to_have_attribute("data-state", state, timeout=180_000)


def wait_until_training(server: str, run_id: str) -> dict:
    """The run once its trainer has started it and logged a step (fast mode loads its data first)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = run_of(server, run_id)
        if run["state"] == "running" and run["pid"] and run["progress"] > 0:
            return run
        assert run["state"] in ("queued", "running"), run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not start training within 120 s: {run}")


def test_the_form_fills_from_presets_and_says_what_is_wrong(walk):
    page = open_lab(walk)
    look(walk, "idle")
    settings = httpx.get(f"{walk.server}/api/experiments/{EXPERIMENT}/settings").json()
    for setting in settings["settings"]:  # every setting labelled, with its help and shipped value
        field = page.locator(f".lab-field[data-setting={setting['name']}]")
        expect(field).to_contain_text(setting["help"])
        expect(field).to_contain_text("shipped:")
        expect(page.get_by_test_id(f"setting-{setting['name']}")).to_have_accessible_description(re.compile(re.escape(setting["help"])))
    expect(page.get_by_test_id("lab-preset-quick")).to_have_attribute("aria-pressed", "true")
    quick = settings["presets"]["quick"]
    expect(page.get_by_test_id("setting-epochs")).to_have_value(str(quick["epochs"]))

    page.get_by_test_id("lab-preset-shipped").click()
    expect(page.get_by_test_id("setting-epochs")).to_have_value(str(settings["presets"]["shipped"]["epochs"]))
    expect(page.get_by_test_id("lab-preset-shipped")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("lab-estimate")).to_contain_text("on this server")
    for name in ("width", "depth", "epochs"):  # the biggest network, trained longest: over the two minutes
        page.get_by_test_id(f"setting-{name}").fill(str(int(next(s for s in settings["settings"] if s["name"] == name)["high"])))
    expect(page.get_by_test_id("lab-preset-shipped")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_test_id("lab-estimate")).to_contain_text("over this server's limit")
    expect(page.get_by_test_id("lab-estimate")).to_have_attribute("data-over", "true")
    expect(page.get_by_test_id("lab-train")).to_be_disabled()
    look(walk, "over-the-limit")

    page.get_by_test_id("lab-preset-quick").click()
    expect(page.get_by_test_id("lab-train")).to_be_enabled()
    page.get_by_test_id("setting-epochs").fill("1000")
    expect(page.locator(".lab-field[data-setting=epochs] .lab-error")).to_contain_text("from 1 to 100")
    expect(page.get_by_test_id("setting-epochs")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("lab-train")).to_be_disabled()
    look(walk, "invalid")
    done(walk)


def test_a_quick_run_draws_its_loss_then_a_confusion_matrix(walk):
    page = open_lab(walk)
    run_id = train(page)
    expect(page.get_by_test_id("chart-loss").locator("polyline[data-series=train]")).not_to_have_attribute(
        "data-count", "0", timeout=120_000)  # the first run waits for the trainer to load the digits
    confusion = page.get_by_test_id("lab-confusion")
    expect(confusion).to_be_visible(timeout=120_000)
    expect(confusion.locator("tbody tr")).to_have_count(10)
    expect(page.get_by_test_id("lab-per-class").locator("li")).to_have_count(10)
    guesses = page.locator("[data-testid^=lab-example-][data-right]")
    expect(guesses).to_have_count(16)
    for example in guesses.all():  # right and wrong told apart by a mark, not by colour alone
        expect(example.locator(".mark")).to_have_text("✓" if example.get_attribute("data-right") == "true" else "✗")
    ended(page, "finished")
    run = run_of(walk.server, run_id)
    result = page.get_by_test_id("lab-result")
    expect(result.get_by_test_id("lab-yours-accuracy")).to_have_text(f"{run['metrics']['accuracy']:.2%}")
    expect(result.get_by_test_id("lab-compare")).to_contain_text("99.28%")  # the shipped model's, beside it
    expect(result.get_by_test_id("lab-command")).to_have_text(run["command"])
    for name, url in run["files"].items():
        expect(result.get_by_test_id(f"lab-file-{name}")).to_have_attribute("href", url)
    look(walk, "finished")
    done(walk)


def test_the_learning_rate_changes_while_it_trains_and_stop_stops_it(walk):
    page = open_lab(walk)
    run_id = train(page, **long_run(walk.server))
    wait_until_training(walk.server, run_id)
    # the walker tabs through the page: let the first validation's views appear first, not in the middle of it
    expect(page.get_by_test_id("lab-confusion")).to_be_visible(timeout=120_000)
    look(walk, "running")
    page.get_by_test_id("lab-rate").fill("-1.5")  # the slider moves by factors: about 10 ** -1.5
    expect(page.get_by_test_id("lab-rate-value")).to_have_text(re.compile(r"^0\.03\d$"))
    rate = page.get_by_test_id("lab-rate-value").inner_text()
    page.get_by_test_id("lab-rate-apply").click()
    expect(page.get_by_test_id("chart-loss").locator(".mark-label")).to_have_text(f"rate {rate}", timeout=30_000)
    assert [e["learning_rate"] for e in events(walk.server, run_id) if e["type"] == "learning_rate"] == [float(rate)]

    page.get_by_test_id("lab-stop").click()
    ended(page)
    run = run_of(walk.server, run_id)
    assert run["state"] == "stopped", run
    expect(page.get_by_test_id("lab-reason")).to_have_text(run["reason"])
    expect(page.get_by_test_id("lab-train")).to_be_enabled()
    look(walk, "stopped")
    done(walk)


def test_a_finished_run_guesses_beside_the_shipped_model(walk):
    page = open_lab(walk)
    asked = []  # the predict requests' URLs
    page.on("request", lambda r: "/predict" in r.url and asked.append(r.url))
    run_id = train(page)
    ended(page, "finished")
    page.get_by_test_id("lab-play").click()
    still(page)
    yours = page.get_by_test_id(f"label-run-{run_id}")
    expect(yours).to_have_text("–")
    expect(page.locator(".prediction h3").last).to_contain_text("Your run")
    draw_a_one(page)
    expect(page.get_by_test_id(f"label-{EXPERIMENT}")).to_have_text("1")
    expect(yours).to_have_text(re.compile(r"^\d$"))
    assert any(url.endswith(f"/api/experiments/{EXPERIMENT}/predict?show_input=true&run={run_id}") for url in asked), asked
    look(walk, "playing")

    page.reload()  # the URL keeps the run: its model still plays, and Play with it is still there
    expect(page.locator("main")).to_have_attribute("aria-busy", "false")
    ended(page, "finished")
    expect(page.get_by_test_id("lab-play")).to_be_visible()
    draw_a_one(page)
    expect(page.get_by_test_id(f"label-run-{run_id}")).to_have_text(re.compile(r"^\d$"))
    done(walk)


def test_a_reloaded_page_comes_back_to_its_run_with_the_whole_chart(walk):
    page = open_lab(walk)
    run_id = train(page, **long_run(walk.server))
    wait_until_training(walk.server, run_id)
    expect(page.get_by_test_id("lab-confusion")).to_be_visible(timeout=120_000)
    page.reload()
    expect(page.locator("main")).to_have_attribute("aria-busy", "false")
    expect(page.get_by_test_id("lab-run")).to_have_attribute("data-state", "running")
    expect(page.get_by_test_id("lab-run")).to_contain_text(run_id)
    expect(page.get_by_test_id("lab-confusion")).to_be_visible()
    httpx.post(f"{walk.server}/api/runs/{run_id}/stop")
    ended(page)
    logged = events(walk.server, run_id)
    page.wait_for_timeout(200)  # the last frame drawn
    assert points(page, "loss", "train") == sum(e["type"] == "step" and e["loss"] is not None for e in logged)
    assert points(page, "loss", "val") == sum(e["type"] == "validation" for e in logged)
    done(walk)


def test_a_killed_trainer_is_a_failed_run_and_the_demo_still_answers(walk):
    page = open_lab(walk)
    run_id = train(page, **long_run(walk.server))
    run = wait_until_training(walk.server, run_id)
    os.kill(run["pid"], signal.SIGKILL)
    ended(page, "failed")
    reason = run_of(walk.server, run_id)["reason"]
    assert "SIGKILL" in reason, reason
    expect(page.get_by_test_id("lab-reason")).to_contain_text(reason)
    expect(page.get_by_test_id("lab-progress-text")).to_have_text("Failed.")
    expect(page.get_by_test_id("lab-train")).to_be_enabled()
    draw_a_one(page)
    expect(page.get_by_test_id(f"label-{EXPERIMENT}")).to_have_text("1")
    look(walk, "failed")
    done(walk)
