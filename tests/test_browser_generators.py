"""The image generators' pages in a real Chromium: a GAN's grid from a seed (the same seed draws the same pictures),
the way between two of its pictures; a conditional VAE's plane of styles followed by the pointer and the arrow keys,
its digit picker, a drawing placed on the plane and morphed, a blank drawing refused in words; and a finished lab
run of the VAE played with from the page ("Play with it" draws with the run's model)."""

from __future__ import annotations

import io
import json
import re
import shutil
import time

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from conftest import running_server
from mlsandbox import experiments
from mlsandbox.kinds.image_generator import Generator, tiled
from mlsandbox.lab import pictures
from test_browser import draw

pytestmark = pytest.mark.browser
GAN, VAE = "digits_gan", "digits_vae"


def opened(page, server: str, path: str):
    page.goto(f"{server}{path}")
    expect(page.locator("main")).to_have_attribute("aria-busy", "false")


def sources(locator) -> list[str]:
    return locator.evaluate_all("imgs => imgs.map((img) => img.getAttribute('src'))")


@pytest.fixture(scope="module")
def trained(live_server):
    for experiment_id in (GAN, VAE):
        assert httpx.get(f"{live_server}/api/experiments/{experiment_id}").json()["trained"], \
            f"run `mlsandbox train {experiment_id}`"
    return live_server


# --- a GAN -----------------------------------------------------------------------------------------------------

def test_the_same_seed_draws_the_same_grid_and_a_new_seed_another(page, trained):
    opened(page, trained, f"/experiments/{GAN}")
    grid = page.get_by_test_id("gen-grid")
    expect(grid).to_have_attribute("data-state", "drawn")
    images = page.get_by_test_id("picture-grid").locator("img")
    expect(images).to_have_count(16)
    first_seed, first = grid.get_attribute("data-seed"), sources(images)
    assert page.get_by_test_id("seed").input_value() == first_seed
    expect(page.get_by_test_id("grid-about")).to_contain_text(f"Seed {first_seed}: 16 pictures")

    page.get_by_test_id("new-seed").click()
    expect(grid).not_to_have_attribute("data-seed", first_seed)
    expect(grid).to_have_attribute("data-state", "drawn")
    assert sources(images) != first

    page.get_by_test_id("seed").fill(first_seed)
    page.get_by_test_id("seed").press("Enter")
    expect(grid).to_have_attribute("data-seed", first_seed)
    expect(grid).to_have_attribute("data-state", "drawn")
    assert sources(images) == first


def test_two_picked_pictures_give_a_strip_and_a_walk_between_them(page, trained):
    opened(page, trained, f"/experiments/{GAN}")
    path = page.get_by_test_id("gen-path")
    expect(path).to_have_attribute("data-state", "drawn")  # the first two are picked to begin with
    expect(page.get_by_test_id("picture-0")).to_have_attribute("aria-pressed", "true")
    strip = page.get_by_test_id("strip").locator("img")
    expect(strip).to_have_count(10)

    for i in (0, 1, 5, 9):  # let go of the first two, pick two others
        page.get_by_test_id(f"picture-{i}").click()
    expect(page.get_by_test_id("picture-5")).to_have_attribute("data-picked", "A")
    expect(page.get_by_test_id("picture-9")).to_have_attribute("data-picked", "B")
    expect(page.get_by_test_id("strip-note")).to_have_text("From picture 6 (A) to picture 10 (B), along the sphere.")
    expect(strip.first).to_have_attribute("alt", "A (picture 6)")
    spherical = sources(strip)

    page.get_by_test_id("path-linear").click()
    expect(page.get_by_test_id("strip-note")).to_contain_text("in a straight line")
    assert sources(strip)[1:-1] != spherical[1:-1]  # the same ends, another way between them

    walked = page.get_by_test_id("walk-picture")
    expect(walked).to_have_attribute("alt", "The picture 0% of the way from A to B")
    start = walked.get_attribute("src")
    page.get_by_test_id("walk").fill("70")
    expect(walked).to_have_attribute("alt", "The picture 70% of the way from A to B")
    assert walked.get_attribute("src") != start


def test_a_seed_the_server_refuses_is_explained(page, trained):
    opened(page, trained, f"/experiments/{GAN}")
    expect(page.get_by_test_id("gen-grid")).to_have_attribute("data-state", "drawn")
    page.get_by_test_id("seed").fill("99999999999")
    page.get_by_test_id("draw").click()
    expect(page.get_by_test_id("gen-grid")).to_have_attribute("data-state", "error")
    expect(page.get_by_test_id("gen-error")).to_contain_text("seed: Input should be less than or equal to 4294967295")
    page.get_by_test_id("seed").fill("")
    page.get_by_test_id("draw").click()
    expect(page.get_by_test_id("gen-error")).to_contain_text("Type a seed first")


# --- a conditional VAE -------------------------------------------------------------------------------------------

def test_the_plane_follows_the_pointer_and_the_keys(page, trained):
    opened(page, trained, f"/experiments/{VAE}")
    plane = page.get_by_test_id("latent-plane")
    picture = page.get_by_test_id("plane-picture")
    expect(picture).to_have_attribute("alt", "A 0 drawn at (0.00, 0.00)")
    box = page.get_by_test_id("plane-canvas").bounding_box()
    frames = int(plane.get_attribute("data-frames"))
    seen = set()
    began = time.perf_counter()
    for i in range(40):  # corner to corner, as a hand would in about two thirds of a second
        page.mouse.move(box["x"] + box["width"] * (0.05 + 0.9 * i / 39), box["y"] + box["height"] * (0.05 + 0.9 * i / 39))
        page.wait_for_timeout(16)
        seen.add(picture.get_attribute("src"))
    took = time.perf_counter() - began
    page.wait_for_function("el => el.getAttribute('alt').includes('(2.70, −2.70)')", arg=picture.element_handle())
    drawn = int(plane.get_attribute("data-frames")) - frames
    print(f"\nthe plane drew {drawn} frames in {took:.2f} s: {drawn / took:.0f} a second; {len(seen)} different pictures")
    assert drawn >= 10 and len(seen) >= 5

    page.get_by_test_id("plane-canvas").press("Home")
    for _ in range(3):
        page.get_by_test_id("plane-canvas").press("ArrowRight")
    page.get_by_test_id("plane-canvas").press("Shift+ArrowUp")
    expect(picture).to_have_attribute("alt", "A 0 drawn at (0.30, 0.50)")


def test_the_digit_picker_draws_the_digit_asked_for(page, trained):
    asked = []
    page.on("request", lambda r: r.url.endswith("/pictures") and asked.append(json.loads(r.post_data)))
    opened(page, trained, f"/experiments/{VAE}")
    picture = page.get_by_test_id("plane-picture")
    expect(picture).to_have_attribute("alt", "A 0 drawn at (0.00, 0.00)")
    page.get_by_test_id("digit-7").click()
    expect(page.get_by_test_id("digit-7")).to_have_attribute("aria-pressed", "true")
    expect(picture).to_have_attribute("alt", "A 7 drawn at (0.00, 0.00)")
    page.get_by_test_id("digit-7").press("ArrowRight")  # the arrow keys move along the digits
    expect(page.get_by_test_id("digit-8")).to_be_focused()
    expect(picture).to_have_attribute("alt", "A 8 drawn at (0.00, 0.00)")
    maps = [body for body in asked if len(body.get("latents", [])) == 64]
    assert [body["digit"] for body in maps] == [0, 7, 8]  # one map of the plane per digit, in one request each


def test_a_drawing_lands_on_the_plane_and_morphs(page, trained):
    opened(page, trained, f"/experiments/{VAE}")
    section = page.get_by_test_id("gen-encode")
    expect(section).to_have_attribute("data-state", "empty")
    page.get_by_test_id("canvas").scroll_into_view_if_needed()
    draw(page, page.get_by_test_id("canvas"), [[(14, 4), (14, 24)], [(10, 8), (14, 4)]])
    expect(section).to_have_attribute("data-state", "encoded")
    expect(page.locator(".draw-pad")).to_have_attribute("data-busy", "false")
    latent = page.get_by_test_id("encode-latent").inner_text()
    x, y = (float(v.replace("−", "-")) for v in latent.split(")")[0].strip("(").split(", "))
    marker = page.get_by_test_id("latent-plane").get_attribute("data-marker")
    assert np.allclose([float(v) for v in marker.split(",")], [x, y], atol=0.006)
    expect(page.get_by_test_id("encode-read")).to_contain_text("digits_cnn reads a")
    for testid in ("encode-input", "encode-picture", "morph-picture"):
        expect(page.get_by_test_id(testid)).to_have_attribute("src", re.compile("^data:image/png"))
    read = page.get_by_test_id("encode-read").inner_text().split("reads a ")[1][0]
    expect(page.get_by_test_id(f"digit-{read}")).to_have_attribute("aria-pressed", "true")  # its digit's plane

    morphed = page.get_by_test_id("morph-picture")
    before = morphed.get_attribute("src")
    page.get_by_test_id("morph").fill("100")
    target = page.get_by_test_id("morph-target").input_value()
    expect(morphed).to_have_attribute("alt", f"Your digit's point drawn as 0% {read}, 100% {target}")
    assert morphed.get_attribute("src") != before

    page.get_by_test_id("clear").click()
    expect(section).to_have_attribute("data-state", "empty")
    expect(page.get_by_test_id("encode-result")).to_be_hidden()
    expect(page.get_by_test_id("latent-plane")).not_to_have_attribute("data-marker", re.compile("."))


def test_a_blank_drawing_is_refused_in_words(page, trained):
    opened(page, trained, f"/experiments/{VAE}")
    blank = io.BytesIO()
    Image.new("L", (280, 280), 255).save(blank, format="PNG")
    page.get_by_test_id("draw-file").set_input_files(files=[{"name": "blank.png", "mimeType": "image/png",
                                                             "buffer": blank.getvalue()}])
    expect(page.get_by_test_id("gen-encode")).to_have_attribute("data-state", "error")
    expect(page.get_by_test_id("encode-error")).to_have_text("Nothing is drawn: the image has no ink. Draw something and try again.")
    expect(page.get_by_test_id("encode-result")).to_be_hidden()


# --- a finished lab run of the VAE -------------------------------------------------------------------------------

RUN = f"{VAE}-20260101-120000-beef"


def write_finished_run(lab, experiment_id: str = VAE, run_id: str = RUN) -> None:
    """A finished run's folder as the trainer leaves it (settings, state, events, the exported model), written
    without training: the model is the shipped one, the events a short made-up story of three epochs."""
    experiment = experiments.get(experiment_id)
    folder = lab / run_id
    shutil.copytree(experiment.artifact_dir, folder / "artifacts" / experiment_id)
    card = json.loads((experiment.artifact_dir / "card.json").read_text())
    (folder / "settings.json").write_text(json.dumps({
        "experiment": experiment_id, "preset": "quick", "values": {"epochs": 3}, "changed": {"epochs": 3},
        "estimate_seconds": 6.0, "fast": True, "created": "2026-01-01T12:00:00+00:00",
        "command": f"mlsandbox train {experiment_id} --set epochs=3"}))
    (folder / "state.json").write_text(json.dumps({"state": "finished", "started": "2026-01-01T12:00:01+00:00",
                                                   "ended": "2026-01-01T12:00:09+00:00"}))
    model = Generator(experiment)
    latents = np.random.default_rng(1).standard_normal((32, experiment.latent), dtype=np.float32)
    grid = tiled(model.draw(latents, model.weights(None, 32)), 8)
    parts = ["reconstruction", "kl"] if experiment.conditional else ["discriminator", "generator"]
    events = [{"type": "started", "experiment": experiment_id, "epochs": 3, "steps_per_epoch": 10, "total_steps": 30,
               "learning_rate": 0.002, "threads": 1, "settings": {"epochs": 3}, "changed": {"epochs": 3},
               "view": {"labels": list(experiment.labels), "columns": 8, "rows": 4, "parts": parts}}]
    for step in range(1, 31):
        first, second = (400 / (1 + step / 5), 2 + step / 10) if experiment.conditional else (1.4 - step / 60, 0.7 + step / 30)
        events.append({"type": "step", "step": step, "epoch": (step - 1) // 10 + 1, "loss": first + second,
                       "accuracy": 0.0, "learning_rate": 0.002, "examples_per_second": 900, "progress": step / 30,
                       "elapsed": step * 0.25, "eta": (30 - step) * 0.25, "memory_mb": 300,
                       "parts": dict(zip(parts, (first, second)))})
        if step % 10 == 0:
            epoch = step // 10
            events.append({"type": "validation", "epoch": epoch, "train_loss": 200.0 / epoch, "train_accuracy": 0.0,
                           "val_loss": 210.0 / epoch, "val_accuracy": 0.3 * epoch, "step": step, "best": True,
                           "view": {"drawn": pictures.data_url(1 - grid * epoch / 3),
                                    "readings": [{"label": (i + epoch) % 10, "probability": 0.8} for i in range(32)]}})
    events += [{"type": "exporting", "message": "Exporting the model and scoring it on the held-out test…"},
               {"type": "finished", "metrics": card["metrics"], "headline": "16.7% of its digits read as the digit asked for",
                "seconds": 8.0, "parameters": card["parameters"]}]
    (folder / "events.jsonl").write_text("".join(json.dumps({"id": i + 1, **e}) + "\n" for i, e in enumerate(events)))


@pytest.fixture(scope="module")
def run_server(tmp_path_factory, trained):
    from mlsandbox.lab.runs import DIR_ENV

    lab = tmp_path_factory.mktemp("lab")
    write_finished_run(lab)
    with running_server({DIR_ENV: str(lab)}) as url:
        yield url


def test_a_finished_run_shows_both_losses_its_drawings_and_plays(page, run_server):
    asked = []
    # The demo's drawings only: the lab's settings also post, for an estimate of the training time.
    page.on("request", lambda r: "/pictures" in r.url and r.method == "POST" and asked.append(r.url))
    opened(page, run_server, f"/experiments/{VAE}?run={RUN}")
    run = page.get_by_test_id("lab-run")
    expect(run).to_have_attribute("data-state", "finished")
    loss = page.get_by_test_id("chart-loss")
    for series, points in (("train", 30), ("reconstruction", 30), ("kl", 30), ("val", 3)):
        expect(loss.locator(f"polyline[data-series={series}]")).to_have_attribute("data-count", str(points))
    expect(loss.locator(".chart-legend")).to_contain_text("validation −ELBO")
    expect(page.get_by_test_id("chart-accuracy")).to_contain_text("read as asked (validation) 90.0%")
    expect(page.get_by_test_id("lab-drawn-grid")).to_have_attribute("src", re.compile("^data:image/png"))
    expect(page.get_by_test_id("lab-drawn-history").locator("img")).to_have_count(2)  # epochs 1 and 2
    expect(page.get_by_test_id("lab-drawn-summary")).to_contain_text("of 32 read by digits_cnn as the digit asked for")
    expect(page.get_by_test_id("lab-compare")).to_contain_text("Read as the digit asked for")

    # The page opened with ?run=: the demo draws with the run's model already, and the switch goes back.
    expect(page.get_by_test_id(f"gen-model-run-{RUN}")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("plane-picture")).to_have_attribute("alt", re.compile("^A 0 drawn"))
    assert asked and all(f"run={RUN}" in url for url in asked)
    page.get_by_test_id(f"gen-model-{VAE}").click()
    asked.clear()
    page.get_by_test_id("digit-4").click()
    expect(page.get_by_test_id("plane-picture")).to_have_attribute("alt", re.compile("^A 4 drawn"))
    assert asked and not any("run=" in url for url in asked)
