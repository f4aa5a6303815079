"""The pages in a real Chromium against the real server: drawing held-out MNIST digits stroke by stroke."""

from __future__ import annotations

import io
import json

import httpx
import numpy as np
import pytest
from PIL import Image

from mlsandbox import experiments

from playwright.sync_api import expect

from conftest import check_layout, free_port, start_server, wait_until_up

pytestmark = pytest.mark.browser

NEIGHBOURS = [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)]  # clockwise from north


# --- Turning an MNIST digit into the pointer strokes a person would draw ---------------------------

def thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning: peel the ink down to one-pixel-wide centre lines."""
    img = np.pad(mask.astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            p = [np.roll(img, (-dy, -dx), axis=(0, 1)) for dy, dx in NEIGHBOURS]
            neighbours = sum(p)
            transitions = sum((p[i] == 0) & (p[(i + 1) % 8] == 1) for i in range(8))
            n, e, s, w = p[0], p[2], p[4], p[6]
            side = (n * e * s == 0) & (e * s * w == 0) if step == 0 else (n * e * w == 0) & (n * s * w == 0)
            delete = (img == 1) & (neighbours >= 2) & (neighbours <= 6) & (transitions == 1) & side
            if delete.any():
                img[delete] = 0
                changed = True
        if not changed:
            return img[1:-1, 1:-1].astype(bool)


def digit_strokes(digit: np.ndarray, upsample: int = 2, threshold: float = 0.5) -> list[list[tuple[float, float]]]:
    """Pen paths (x, y in 28x28 pixel units) along the centre lines of a light-on-dark digit.

    The skeleton of the (upsampled) ink is walked from its ends, always to the nearest unvisited
    neighbour; a path that ends next to ink already drawn joins it, so loops and branches close.
    """
    size = digit.shape[0] * upsample
    big = np.asarray(Image.fromarray(digit.astype(np.float32), mode="F").resize((size, size), Image.Resampling.BILINEAR))
    left = {(int(r), int(c)) for r, c in zip(*np.nonzero(thin(big > threshold)))}
    drawn: set[tuple[int, int]] = set()

    def around(p):
        return [(p[0] + dr, p[1] + dc) for dr, dc in NEIGHBOURS]

    paths = []
    while left:
        start = min(left, key=lambda p: (sum(q in left for q in around(p)), p))  # an end of a line if any
        path = [q for q in around(start) if q in drawn][:1] + [start]
        left.discard(start)
        while step := sorted((q for q in around(path[-1]) if q in left),
                             key=lambda q: abs(q[0] - path[-1][0]) + abs(q[1] - path[-1][1])):
            path.append(step[0])
            left.discard(step[0])
        path += [q for q in around(path[-1]) if q in drawn or q in path[:-3]][:1]
        drawn.update(path)
        paths.append(straightened([((c + 0.5) / upsample, (r + 0.5) / upsample) for r, c in path], 0.5 / upsample))
    return paths


def straightened(path: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """The path with the points that lie within tolerance of a straight run dropped (Ramer-Douglas-Peucker):
    the same line, in a fraction of the pointer moves."""
    if len(path) < 3:
        return path
    (x0, y0), (x1, y1) = path[0], path[-1]
    dx, dy = x1 - x0, y1 - y0
    length = np.hypot(dx, dy)
    off = [abs(dy * (x - x0) - dx * (y - y0)) / length if length else np.hypot(x - x0, y - y0) for x, y in path[1:-1]]
    far = int(np.argmax(off)) + 1
    if off[far - 1] <= tolerance:
        return [path[0], path[-1]]
    return straightened(path[: far + 1], tolerance)[:-1] + straightened(path[far:], tolerance)


# --- The browser ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits_cnn(live_server) -> dict:
    info = httpx.get(f"{live_server}/api/experiments/digits_cnn").json()
    assert info["trained"], "digits_cnn has no model in the served artifacts: run `mlsandbox train digits_cnn`"
    return info


def open_experiment(page, live_server: str, experiment_id: str):
    page.goto(f"{live_server}/experiments/{experiment_id}")
    expect(page.locator("main")).to_have_attribute("aria-busy", "false")
    canvas = page.get_by_test_id("canvas")
    expect(canvas).to_be_visible()
    return canvas


def draw(page, canvas, paths, units: int = 28) -> None:
    """Replay pen paths given in `units` x `units` coordinates as mouse strokes on the canvas."""
    box = canvas.bounding_box()
    scale = box["width"] / units
    for path in paths:
        points = [(box["x"] + x * scale, box["y"] + y * scale) for x, y in path]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point)
        page.mouse.up()


def settled_label(page, experiment_id: str) -> str:
    """The model's label once the last drawing has been sent and answered."""
    expect(page.locator(".draw-pad")).to_have_attribute("data-busy", "false")
    return page.get_by_test_id(f"label-{experiment_id}").inner_text().strip()


def ink_pixels(canvas) -> int:
    return canvas.evaluate("""c => {
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] < 128) n++;
        return n;
    }""")


def test_home_page_links_every_experiment(page, live_server):
    page.goto(live_server)
    expect(page.get_by_test_id("experiments")).to_have_attribute("aria-busy", "false")
    for experiment in experiments.REGISTRY.values():
        card = page.get_by_test_id(f"experiment-{experiment.id}")
        expect(card).to_contain_text(experiment.title)
        expect(card).to_have_attribute("href", f"/experiments/{experiment.id}")
    page.get_by_test_id("experiment-digits_cnn").click()
    expect(page.locator("h1")).to_have_text(experiments.get("digits_cnn").title)


def test_drawn_test_digits_are_named(page, live_server, digits_cnn, test_digits):
    """One held-out digit of each class, drawn as pointer strokes: the CNN must name at least 9 of 10."""
    images, labels = test_digits
    chosen = [int(np.flatnonzero(labels == d)[0]) for d in range(10)]
    canvas = open_experiment(page, live_server, "digits_cnn")
    named = []
    for i in chosen:
        page.get_by_test_id("clear").click()
        expect(page.get_by_test_id("label-digits_cnn")).to_have_text("–")
        draw(page, canvas, digit_strokes(images[i]))
        named.append(settled_label(page, "digits_cnn"))
    truth = [str(labels[i]) for i in chosen]
    right = sum(a == b for a, b in zip(named, truth))
    print(f"\ndrawn test digits {chosen}: true {truth}, named {named}: {right}/10")
    assert right >= 9, f"the CNN named only {right} of 10 drawn digits: true {truth}, named {named}"


def test_every_model_guesses_and_clear_resets(page, live_server, digits_cnn):
    trained = [m for m in digits_cnn["family_members"]
               if httpx.get(f"{live_server}/api/experiments/{m}").json()["trained"]]
    sent = []  # (experiment, content type, body) of each predict request; a route sees Blob bodies

    def record(route):
        sent.append((route.request.url.split("/")[-2], route.request.headers["content-type"], route.request.post_data_buffer))
        route.continue_()

    page.route("**/api/experiments/*/predict?show_input=true", record)
    canvas = open_experiment(page, live_server, "digits_cnn")
    draw(page, canvas, [[(14, 4), (14, 24)]])
    settled_label(page, "digits_cnn")
    for member in trained:
        expect(page.get_by_test_id(f"label-{member}")).to_have_text("1")
    assert {experiment for experiment, _, _ in sent} == set(trained)
    for _, content_type, body in sent:
        assert content_type == "image/png"
        assert Image.open(io.BytesIO(body)).size == (280, 280)
    assert ink_pixels(canvas) > 0

    page.get_by_test_id("clear").click()
    assert ink_pixels(canvas) == 0
    for member in digits_cnn["family_members"]:
        expect(page.get_by_test_id(f"label-{member}")).to_have_text("–")


@pytest.mark.parametrize("pointer", ["touch", "pen"])
def test_touch_and_pen_draw(browser, live_server, digits_cnn, pointer):
    """Real (trusted) touch and pen input through the DevTools protocol, as a phone or stylus sends it."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        canvas = open_experiment(page, live_server, "digits_cnn")
        canvas.evaluate("c => { window.seen = new Set(); c.addEventListener('pointermove', e => seen.add(e.pointerType)); }")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        x, ys = box["x"] + box["width"] / 2, [box["y"] + box["height"] * f for f in (0.2, 0.4, 0.6, 0.8)]
        cdp = context.new_cdp_session(page)
        if pointer == "touch":
            for kind, y in [("touchStart", ys[0]), *[("touchMove", y) for y in ys[1:]]]:
                cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        else:
            events = [("mousePressed", ys[0]), *[("mouseMoved", y) for y in ys[1:]], ("mouseReleased", ys[-1])]
            for kind, y in events:
                cdp.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "buttons": 1,
                                                      "clickCount": 1, "pointerType": "pen"})
        assert page.evaluate("[...seen]") == [pointer]
        assert ink_pixels(canvas) > 0
        assert settled_label(page, "digits_cnn") != "–"
    finally:
        context.close()


def test_training_panel_shows_card_and_curves(page, live_server, digits_cnn):
    open_experiment(page, live_server, "digits_cnn")
    card = digits_cnn["card"]
    panel = page.get_by_test_id("training-digits_cnn")
    expect(panel).to_contain_text(f"{card['metrics']['accuracy']:.2%}")
    expect(panel).to_contain_text(f"{card['parameters']:,}")
    expect(panel).to_contain_text(f"{card['training']['epochs']} epoch")
    expect(panel.get_by_test_id("command")).to_have_text(card["command"])
    curves = panel.get_by_test_id("curves-digits_cnn")
    expect(curves).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=curves.element_handle())


def test_api_errors_are_shown_to_the_person(page, live_server, digits_cnn):
    detail = "The image is truncated or corrupt (test). Save it again and resend it."
    page.route("**/api/experiments/*/predict*",
               lambda route: route.fulfill(status=422, content_type="application/json", body=json.dumps({"detail": detail})))
    canvas = open_experiment(page, live_server, "digits_cnn")
    draw(page, canvas, [[(14, 4), (14, 24)]])
    expect(page.get_by_test_id("message")).to_have_text(detail)
    expect(page.get_by_test_id("label-digits_cnn")).to_have_text("–")
    page.unroute("**/api/experiments/*/predict*")
    draw(page, canvas, [[(10, 4), (10, 24)]])
    expect(page.get_by_test_id("message")).to_be_hidden()


def test_a_model_that_fails_its_check_is_explained_and_the_other_still_guesses(page, tmp_path):
    """digits_cnn's file swapped for another model: the home page and the demo say why and how to fix it."""
    import shutil

    for experiment_id in ("digits_mlp", "digits_cnn"):
        shutil.copytree(experiments.PACKAGE_ARTIFACTS / experiment_id, tmp_path / experiment_id)
    shutil.copyfile(tmp_path / "digits_mlp" / "model.onnx", tmp_path / "digits_cnn" / "model.onnx")
    port = free_port()
    process = start_server(port, env={experiments.ARTIFACTS_ENV: str(tmp_path)})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        page.goto(url)
        expect(page.get_by_test_id("experiment-digits_cnn")).to_contain_text("not the model the card describes")
        expect(page.get_by_test_id("experiment-digits_mlp")).to_contain_text("test accuracy")
        canvas = open_experiment(page, url, "digits_cnn")
        expect(page.locator(".untrained")).to_contain_text("git checkout")
        draw(page, canvas, [[(14, 4), (14, 24)]])
        expect(page.get_by_test_id("label-digits_mlp")).to_have_text("1")
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("path", ["/", *[f"/experiments/{e}" for e in experiments.REGISTRY]])
def test_no_page_prints_null_or_undefined(page, live_server, path):
    """Absent values must be left out, not printed as the words JavaScript gives them."""
    page.goto(f"{live_server}{path}")
    busy = page.get_by_test_id("experiments") if path == "/" else page.locator("main")
    expect(busy).to_have_attribute("aria-busy", "false")
    check_layout(page, 1100, path)
