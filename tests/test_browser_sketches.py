"""The sketch page in a real Chromium: held-out Quick, Draw! drawings replayed as pen strokes, the
"Draw this" challenge, and the training drawings shown beside each guess."""

from __future__ import annotations

import httpx
import numpy as np
import pytest
from playwright.sync_api import expect

from mlsandbox import evaluation, experiments
from mlsandbox.runtime import Classifier
from test_browser import digit_strokes, draw, open_experiment, settled_label

pytestmark = pytest.mark.browser
SKETCH = "sketch_cnn"


@pytest.fixture(scope="module")
def offline(live_server, sketch_split):
    """Held-out drawings with the committed model's own top-1 for each bitmap (no browser involved)."""
    assert httpx.get(f"{live_server}/api/experiments/{SKETCH}").json()["trained"], f"run `mlsandbox train {SKETCH}`"
    experiment = experiments.get(SKETCH)
    probabilities = Classifier(experiment).probabilities(evaluation.prepare_all(experiment, sketch_split.x_test))
    return sketch_split.x_test, sketch_split.y_test, probabilities


def confident(labels: np.ndarray, probabilities: np.ndarray, count: int = 10) -> list[int]:
    """One held-out drawing from each of count categories spread over the alphabet, among those the
    model names right with more than 60% probability offline."""
    sure = np.flatnonzero((probabilities.max(axis=1) > 0.6) & (probabilities.argmax(axis=1) == labels))
    firsts = [int(sure[labels[sure] == k][0]) for k in np.unique(labels[sure])]
    chosen = firsts[:: max(1, len(firsts) // count)][:count]
    assert len(chosen) == count, f"the model names only {len(firsts)} categories right with confidence"
    return chosen


def strokes(bitmap: np.ndarray) -> list[list[tuple[float, float]]]:
    """The centre lines of a one-pixel-line bitmap, as pen paths in its own pixel units."""
    return digit_strokes(bitmap, upsample=3, threshold=0.25)


def guess_of(page, drawing: np.ndarray) -> str:
    page.get_by_test_id("clear").click()
    expect(page.get_by_test_id(f"label-{SKETCH}")).to_have_text("–")
    draw(page, page.get_by_test_id("canvas"), strokes(drawing), units=drawing.shape[0])
    return settled_label(page, SKETCH)


def test_drawn_test_sketches_get_the_offline_guess(page, live_server, offline):
    """The page redraws strokes as the dataset's bitmaps were made, so a held-out drawing replayed as
    pen strokes is guessed as its bitmap is offline: its true category, for at least 8 of 10 drawings of
    ten categories that the model names right and confidently offline."""
    images, labels, probabilities = offline
    chosen = confident(labels, probabilities)
    names = experiments.get(SKETCH).labels
    offline_guesses = [names[i] for i in probabilities[chosen].argmax(axis=1)]
    truth = [names[i] for i in labels[chosen]]
    open_experiment(page, live_server, SKETCH)
    named = [guess_of(page, images[i]) for i in chosen]
    same = sum(a == b for a, b in zip(named, truth))
    print(f"\ndrawn test sketches {chosen}: true {truth}, offline {offline_guesses}, in the browser {named}: {same}/10")
    assert same >= 8, f"only {same} of 10: true {truth}, in the browser {named}"
    assert sum(a == b for a, b in zip(named, offline_guesses)) >= 8


def test_guess_shows_top_five_and_training_drawings(page, live_server, offline):
    images, labels, probabilities = offline
    i = confident(labels, probabilities)[3]
    open_experiment(page, live_server, SKETCH)
    label = guess_of(page, images[i])
    bars = page.get_by_test_id(f"bars-{SKETCH}")
    expect(bars.locator(".row")).to_have_count(5)
    expect(bars.locator(".row.top .name")).to_have_text(label)
    expect(page.get_by_test_id(f"runner-up-{SKETCH}")).to_contain_text("or maybe")
    examples = page.get_by_test_id(f"examples-{SKETCH}")
    expect(examples).to_have_attribute("alt", f"6 drawings of {label} from the training set")
    page.wait_for_function("img => img.complete && img.naturalWidth === 6 * 32", arg=examples.element_handle())


def test_draw_this_challenge_is_won_by_drawing_the_category(page, live_server, offline):
    images, labels, probabilities = offline
    names = experiments.get(SKETCH).labels
    open_experiment(page, live_server, SKETCH)
    challenge = page.get_by_test_id("challenge")
    for _ in range(40):  # until a category comes up that the model is sure of for one of its drawings, so
        page.get_by_test_id("challenge-start").click()  # that redrawing it as strokes keeps it recognisable
        target = names.index(page.get_by_test_id("challenge-target").inner_text())
        right = np.flatnonzero((labels == target) & (probabilities.argmax(axis=1) == target)
                               & (probabilities.max(axis=1) > 0.9))
        if right.size:
            break
    surest = right[probabilities[right, target].argmax()]
    draw(page, page.get_by_test_id("canvas"), strokes(images[surest]), units=images.shape[1])
    expect(challenge).to_have_attribute("data-state", "won", timeout=15_000)  # the answer to the last stroke
    expect(page.get_by_test_id("challenge-status")).to_contain_text(f"Got it! The model saw {names[target]}")


def test_draw_this_challenge_runs_out_after_20_seconds(page, live_server, offline):
    page.clock.install()
    open_experiment(page, live_server, SKETCH)
    page.get_by_test_id("challenge-start").click()
    expect(page.get_by_test_id("challenge")).to_have_attribute("data-state", "running")
    expect(page.get_by_test_id("challenge-clock")).to_have_text("20 s left")
    page.clock.run_for(10_000)
    expect(page.get_by_test_id("challenge-clock")).to_have_text("10 s left")
    page.clock.run_for(10_500)
    expect(page.get_by_test_id("challenge")).to_have_attribute("data-state", "missed")
    expect(page.get_by_test_id("challenge-status")).to_contain_text("Time is up")
    expect(page.get_by_test_id("challenge-start")).to_have_text("Another one")
