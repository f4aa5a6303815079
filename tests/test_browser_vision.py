"""The photo and object pages in a real Chromium whose fake camera films the test photos: a snapshot and an
uploaded photo named with a heat map over the place the network looked, objects boxed live over the camera
and on an uploaded photo, a refused or unusable camera explained in words, and the server's messages shown.

Set MLSANDBOX_SHOTS to a folder to keep a screenshot of every state the layout test passes through."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect, sync_playwright

from camera_pages import opened, recorded, shot
from conftest import check_layout
from fake_camera import camera_browser, fitted, y4m_of
from mlsandbox.data import photos
from mlsandbox.experiments import PACKAGE_ARTIFACTS

pytestmark = pytest.mark.browser
CLASSIFIER, DETECTOR = "image_classification", "object_detection"
CATS = {"Egyptian cat", "tabby, tabby cat", "tiger cat", "Persian cat", "Siamese cat, Siamese", "lynx, catamount"}
DETECTOR_READY = (PACKAGE_ARTIFACTS / DETECTOR / "card.json").is_file()
needs_detector = pytest.mark.skipif(not DETECTOR_READY, reason=f"no converted detector yet ({DETECTOR}/card.json): "
                                    "python3 tools/convert_tfjs.py nanodet && mlsandbox train object_detection")
NOT_AN_IMAGE = {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"a shopping list, not a photo"}


# --- browsers with a fake camera, and pages in them ---------------------------------------------------

@pytest.fixture(scope="module")
def test_photos() -> dict[str, Path]:
    return photos.load()


@pytest.fixture(scope="module")
def pw():
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def videos(test_photos, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("camera")
    return {name: y4m_of(test_photos[f"{name}.png"], folder) for name in ("chelsea", "astronaut")}


@pytest.fixture(scope="module")
def cat_camera(pw, videos):
    with camera_browser(pw, videos["chelsea"]) as browser:
        yield browser


@pytest.fixture(scope="module")
def person_camera(pw, videos):
    with camera_browser(pw, videos["astronaut"]) as browser:
        yield browser






# --- what the pages show --------------------------------------------------------------------------------

def ranked_labels(page) -> list[str]:
    return page.get_by_test_id("photo-ranked").locator("li").evaluate_all(
        "rows => rows.map(r => r.getAttribute('aria-label').replace(/: [^:]*$/, ''))")


def decoded(data_url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))).convert("RGBA"), dtype=float)


def canvas_pixels(canvas) -> np.ndarray:
    return decoded(canvas.evaluate("c => c.toDataURL('image/png')"))


def small_gray(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L").resize((64, 48)), dtype=float)


HEAT_ALONE = """async ([width, height, heatmap]) => {
    const { drawHeatmap } = await import('/static/js/components/heatmap.js');
    const canvas = Object.assign(document.createElement('canvas'), { width, height });
    drawHeatmap(canvas.getContext('2d'), heatmap);
    return canvas.toDataURL('image/png');
}"""


def assert_heat_follows_cells(page, heatmap: dict) -> None:
    """The toggle shows and hides the heat map; the page paints the photo exactly where the heat map
    component paints on an empty canvas of its size; and that paint lies over the server's box, most
    opaque where the cells are highest."""
    canvas = page.get_by_test_id("photo-canvas")
    expect(canvas).to_have_attribute("data-heatmap", "shown")
    heated = canvas_pixels(canvas)
    page.get_by_test_id("heatmap-toggle").uncheck()
    expect(canvas).to_have_attribute("data-heatmap", "hidden")
    plain = canvas_pixels(canvas)
    page.get_by_test_id("heatmap-toggle").check()
    expect(canvas).to_have_attribute("data-heatmap", "shown")
    assert np.array_equal(canvas_pixels(canvas), heated)

    height, width = plain.shape[:2]
    photo_width, photo_height = heatmap["size"]
    assert abs(width / height - photo_width / photo_height) < 0.01, "the photo is drawn with its own shape"
    alpha = decoded(page.evaluate(HEAT_ALONE, [width, height, heatmap]))[..., 3]
    changed = np.abs(heated - plain)[..., :3].sum(axis=2) > 0
    assert not (changed & (alpha == 0)).any(), "the page paints where the heat map does not"
    assert changed[alpha >= 16].mean() > 0.95, "the page leaves out heat the heat map paints"

    x1, y1, x2, y2 = (round(v * width / photo_width) for v in heatmap["box"])
    outside = alpha.copy()
    outside[max(0, y1 - 2):y2 + 2, max(0, x1 - 2):x2 + 2] = 0
    assert outside.max() == 0, "the heat map spills outside the box the network saw"
    cells = np.array(heatmap["cells"])
    rows, cols = cells.shape
    inside = alpha[y1:y2, x1:x2]
    pooled = np.array([[inside[r * inside.shape[0] // rows:(r + 1) * inside.shape[0] // rows,
                               c * inside.shape[1] // cols:(c + 1) * inside.shape[1] // cols].mean()
                        for c in range(cols)] for r in range(rows)])
    agreement = np.corrcoef(pooled.ravel(), cells.ravel())[0, 1]
    assert agreement > 0.9, f"the heat drawn does not follow the cells (correlation {agreement:.2f})"








def answered_photo(page, action) -> dict:
    """Do action (which gives the page a photo) and return the server's answer once the page shows it."""
    sent = recorded(page, f"**/api/experiments/{CLASSIFIER}/predict")
    count = len(sent)
    page.get_by_test_id("photo-demo").evaluate("demo => (demo.dataset.state = 'given')")
    action()
    expect(page.get_by_test_id("photo-demo")).to_have_attribute("data-state", re.compile("^(answered|error)$"))
    assert len(sent) == count + 1
    return sent[-1]["answer"]


# --- the photo page ---------------------------------------------------------------------------------------

def test_a_camera_snapshot_is_classified_and_not_mirrored(cat_camera, live_server, test_photos):
    with opened(cat_camera, f"{live_server}/experiments/{CLASSIFIER}") as page:
        snapshot = page.get_by_test_id("snapshot")
        expect(snapshot).to_be_disabled()
        expect(page.get_by_test_id("camera-stop")).to_be_hidden()
        page.get_by_test_id("camera-start").focus()
        page.keyboard.press("Enter")
        expect(page.locator(".camera")).to_have_attribute("data-state", "on")
        expect(page.get_by_test_id("camera-stop")).to_be_focused()
        expect(page.get_by_test_id("camera-start")).to_be_hidden()
        expect(page.get_by_test_id("camera-switch")).to_be_hidden()  # one camera: nothing to switch to
        expect(page.get_by_test_id("camera-video")).to_have_class(re.compile(r"\bmirrored\b"))  # a selfie view

        answer = answered_photo(page, snapshot.click)
        assert CATS & set(ranked_labels(page)), ranked_labels(page)
        expect(page.get_by_test_id("photo-label")).to_have_text(answer["label"].split(", ")[0])
        expect(page.get_by_test_id("photo-ms")).to_have_text(re.compile(r"^Answered in \d+ ms on the server\.$"))
        expect(page.get_by_test_id("photo-canvas")).to_have_attribute("data-heatmap", "shown")

        [sent] = recorded(page, f"**/api/experiments/{CLASSIFIER}/predict")
        assert sent["content_type"] == "image/jpeg"
        snapped = Image.open(io.BytesIO(sent["body"]))
        assert snapped.format == "JPEG" and max(snapped.size) <= 640
        truth = fitted(test_photos["chelsea.png"])
        as_is = np.abs(small_gray(snapped) - small_gray(truth)).mean()
        flipped = np.abs(small_gray(snapped) - small_gray(truth.transpose(Image.Transpose.FLIP_LEFT_RIGHT))).mean()
        assert as_is < flipped / 2, f"the snapshot is mirrored (difference {as_is:.1f} as is, {flipped:.1f} flipped)"

        page.get_by_test_id("camera-stop").click()
        expect(page.locator(".camera")).to_have_attribute("data-state", "off")
        expect(page.get_by_test_id("camera-start")).to_be_focused()
        expect(snapshot).to_be_disabled()
        assert page.evaluate("document.querySelector('video').srcObject") is None


def test_an_uploaded_photo_is_classified_with_its_heat_map_in_place(cat_camera, live_server, test_photos):
    with opened(cat_camera, f"{live_server}/experiments/{CLASSIFIER}") as page:
        expect(page.get_by_test_id("photo-demo")).to_have_attribute("data-state", "empty")
        answer = answered_photo(page, lambda: page.get_by_test_id("photo-file").set_input_files(test_photos["chelsea.png"]))
        expect(page.get_by_test_id("photo-demo")).to_have_attribute("data-state", "answered")
        assert ranked_labels(page) == [r["label"] for r in answer["ranked"]] and len(answer["ranked"]) == 5
        assert CATS & set(ranked_labels(page)), ranked_labels(page)
        assert answer["heatmap"]["size"] == [451, 300]
        assert_heat_follows_cells(page, answer["heatmap"])


def test_a_photo_taken_sideways_is_drawn_upright_under_its_heat_map(cat_camera, live_server, test_photos):
    """A JPEG stored on its side with an EXIF orientation, as phones save them: the server turns it upright,
    and so must the page, or the heat map lands on the wrong part of the photo."""
    sideways = Image.open(test_photos["chelsea.png"]).convert("RGB").transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to show"
    buffer = io.BytesIO()
    sideways.save(buffer, format="JPEG", quality=92, exif=exif.tobytes())
    with opened(cat_camera, f"{live_server}/experiments/{CLASSIFIER}") as page:
        answer = answered_photo(page, lambda: page.get_by_test_id("photo-file").set_input_files(
            files=[{"name": "sideways.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}]))
        assert answer["heatmap"]["size"] == [451, 300]
        assert CATS & set(ranked_labels(page)), ranked_labels(page)
        assert_heat_follows_cells(page, answer["heatmap"])


def test_a_photo_can_be_dropped_or_pasted(cat_camera, live_server, test_photos):
    data = base64.b64encode(test_photos["coffee.png"].read_bytes()).decode()
    give = """([data, how]) => {
        const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], 'coffee.png', { type: 'image/png' }));
        if (how === 'drop') document.querySelector('[data-testid=drop-zone]').dispatchEvent(
            new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
        else document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true }));
    }"""
    with opened(cat_camera, f"{live_server}/experiments/{CLASSIFIER}") as page:
        for how in ("drop", "paste"):
            answer = answered_photo(page, lambda: page.evaluate(give, [data, how]))
            assert answer["label"] == "espresso", how
            expect(page.get_by_test_id("photo-label")).to_have_text("espresso")


def test_a_photo_too_large_for_the_server_is_sent_again_smaller(cat_camera, live_server):
    noise = np.random.default_rng(0).integers(0, 256, (1400, 1400, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="PNG")
    assert buffer.tell() > 5 * 1024 * 1024
    with opened(cat_camera, f"{live_server}/experiments/{CLASSIFIER}") as page:
        statuses = []
        page.on("response", lambda r: r.url.endswith("/predict") and statuses.append(r.status))
        page.get_by_test_id("photo-file").set_input_files(files=[{"name": "noise.png", "mimeType": "image/png",
                                                                  "buffer": buffer.getvalue()}])
        expect(page.get_by_test_id("photo-demo")).to_have_attribute("data-state", "answered")
        assert statuses == [413, 200]


def test_a_file_that_is_not_a_photo_shows_the_servers_message(cat_camera, live_server, test_photos):
    response = httpx.post(f"{live_server}/api/experiments/{CLASSIFIER}/predict", content=NOT_AN_IMAGE["buffer"],
                          headers={"Content-Type": NOT_AN_IMAGE["mimeType"]})
    assert response.status_code == 422
    with opened(cat_camera, f"{live_server}/experiments/{CLASSIFIER}") as page:
        answered_photo(page, lambda: page.get_by_test_id("photo-file").set_input_files(test_photos["chelsea.png"]))
        page.get_by_test_id("photo-file").set_input_files(files=[NOT_AN_IMAGE])
        expect(page.get_by_test_id("photo-demo")).to_have_attribute("data-state", "error")
        expect(page.get_by_test_id("photo-error")).to_have_text(response.json()["detail"])
        expect(page.get_by_test_id("photo-ranked")).to_be_hidden()  # the cat's answer is gone
        expect(page.get_by_test_id("photo-canvas")).to_be_hidden()
        check_layout(page, 1100, "error")


# --- the camera refused or out of reach ----------------------------------------------------------------------

@pytest.mark.parametrize("experiment", [CLASSIFIER, DETECTOR])
def test_a_refused_camera_is_explained(refusing, live_server, experiment):
    with opened(refusing, f"{live_server}/experiments/{experiment}") as page:
        page.get_by_test_id("camera-start").click()
        expect(page.locator(".camera")).to_have_attribute("data-state", "error")
        error = page.get_by_test_id("camera-error")
        expect(error).to_contain_text("The camera is blocked for this page")
        expect(error).to_contain_text("site settings")
        expect(page.get_by_test_id("camera-start")).to_be_visible()
        check_layout(page, 1100, "refused")
        shot(page, f"{'photo' if experiment == CLASSIFIER else 'detect'}-camera-refused-1100")


def test_the_switch_button_goes_to_the_other_camera(pw, live_server):
    with camera_browser(pw, None, cameras=2) as browser, opened(browser, f"{live_server}/experiments/{DETECTOR}") as page:
        page.get_by_test_id("camera-start").click()
        expect(page.locator(".camera")).to_have_attribute("data-state", "on")
        in_use = "document.querySelector('video').srcObject.getVideoTracks()[0].getSettings().deviceId"
        first = page.evaluate(in_use)
        switch = page.get_by_test_id("camera-switch")
        switch.focus()
        page.keyboard.press("Enter")
        expect(page.locator(".camera")).to_have_attribute("data-state", "on")
        expect(switch).to_be_focused()
        second = page.evaluate(in_use)
        assert second != first
        switch.click()
        expect(page.locator(".camera")).to_have_attribute("data-state", "on")
        page.wait_for_function(f"{in_use} === {json.dumps(first)}")


def test_a_page_not_opened_securely_says_how_to_open_it(cat_camera, live_server):
    port = live_server.rsplit(":", 1)[1]
    context = cat_camera.new_context()
    try:
        page = context.new_page()
        page.add_init_script("Object.defineProperty(window, 'isSecureContext', { value: false })")
        page.goto(f"{live_server}/experiments/{DETECTOR}")
        page.get_by_test_id("camera-start").click()
        expect(page.get_by_test_id("camera-error")).to_contain_text(
            f"Open this page as http://localhost:{port}/experiments/{DETECTOR}")
        expect(page.get_by_test_id("camera-error")).to_contain_text("HTTPS")
        shot(page, "detect-not-secure-1280")
    finally:
        context.close()


# --- the object page ------------------------------------------------------------------------------------------

def detection_answer(width: int, height: int, threshold: float) -> dict:
    """A made-up answer: one person in the middle of the frame, scored 0.9."""
    box = [width * 0.3, height * 0.2, width * 0.7, height * 0.9]
    found = [{"label": "person", "score": 0.9, "box": box}] if threshold <= 0.9 else []
    return {"experiment": DETECTOR, "width": width, "height": height, "detections": found, "milliseconds": 12.4}


def opaque_near(overlay, x: float, y: float, r: int = 6) -> int:
    """How many overlay pixels within r of (x, y) in CSS pixels are painted."""
    return overlay.evaluate("""(c, [x, y, r]) => {
        const k = c.width / c.clientWidth;
        const d = c.getContext('2d').getImageData(Math.round((x - r) * k), Math.round((y - r) * k), 2 * r * k, 2 * r * k).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 200) n++;
        return n;
    }""", [x, y, r])


def left_edge(overlay, answer: dict, box: list[float], mirrored: bool) -> tuple[float, float]:
    """Where a box's left side (right, when mirrored) lies on the overlay, in CSS pixels."""
    width, height = overlay.evaluate("c => [c.clientWidth, c.clientHeight]")
    fit = min(width / answer["width"], height / answer["height"])
    left, top = (width - answer["width"] * fit) / 2, (height - answer["height"] * fit) / 2
    x = left + box[0] * fit
    return (width - x if mirrored else x), top + (box[1] + box[3]) / 2 * fit


def test_live_frames_one_at_a_time_with_boxes_threshold_and_a_refusal(cat_camera, live_server):
    """The camera socket against a stand-in server: answers drawn, no frame sent before the last is answered,
    the threshold sent, a dropped connection retried, and a refusal's reason shown."""
    state = {"connections": 0, "frames": [], "texts": [], "hold": False, "threshold": 0.35, "held": None}

    def server(ws):
        state["connections"] += 1
        if state["connections"] == 1:
            ws.close(code=1011, reason="test: dropped")
            return

        def on_message(message):
            if isinstance(message, str):
                state["texts"].append(json.loads(message))
                state["threshold"] = state["texts"][-1]["threshold"]
                ws.send(message)
                return
            state["frames"].append(message)
            size = Image.open(io.BytesIO(message)).size
            answer = json.dumps(detection_answer(*size, state["threshold"]))
            if state["hold"]:
                state["held"] = lambda: ws.send(answer)
            else:
                ws.send(answer)

        ws.on_message(on_message)
        state["socket"] = ws

    with opened(cat_camera, f"{live_server}/experiments/{DETECTOR}") as page:
        page.route_web_socket("**/api/experiments/object_detection/frames", server)
        expect(page.get_by_test_id("detect-live")).to_have_attribute("data-state", "off")
        page.get_by_test_id("camera-start").click()
        expect(page.get_by_test_id("live-error")).to_contain_text("Trying again in 1 s")
        expect(page.get_by_test_id("live-detections")).to_have_text("person 90%", timeout=10_000)
        assert state["connections"] == 2 and state["texts"][0] == {"threshold": 0.35}
        expect(page.get_by_test_id("live-error")).to_be_hidden()
        expect(page.get_by_test_id("fps")).to_have_text(re.compile(r"^\d+\.\d$"))
        expect(page.get_by_test_id("server-ms")).to_have_text("12")

        frame = Image.open(io.BytesIO(state["frames"][-1]))
        assert frame.format == "JPEG" and max(frame.size) <= 640
        overlay = page.get_by_test_id("overlay")
        mirrored = "mirrored" in (page.get_by_test_id("camera-video").get_attribute("class") or "")
        answer = detection_answer(*frame.size, 0.35)
        x, y = left_edge(overlay, answer, answer["detections"][0]["box"], mirrored)
        assert opaque_near(overlay, x, y) > 0, "no box where the person is"
        assert opaque_near(overlay, x - 40 if not mirrored else x + 40, y) == 0

        page.wait_for_timeout(1000)
        rate = float(page.get_by_test_id("fps").inner_text())
        assert rate <= 31, f"{rate} frames per second: more than the page's 30"
        state["hold"] = True  # the next answer is late: no frame may be sent meanwhile
        page.wait_for_timeout(300)
        held_at = len(state["frames"])
        page.wait_for_timeout(700)
        assert len(state["frames"]) == held_at, "a frame was sent before the previous one was answered"
        state["hold"] = False
        state["held"]()
        expect(page.get_by_test_id("detect-live")).to_have_attribute("data-state", "live")

        page.get_by_test_id("threshold").fill("0.95")
        expect(page.get_by_test_id("threshold-value")).to_have_text("95%")
        # a frame already on its way was answered at the old threshold; the next ones at the new
        expect(page.get_by_test_id("live-detections")).to_have_text("Nothing found scored 95% or more.",
                                                                     timeout=10_000)
        assert state["texts"][-1] == {"threshold": 0.95}

        reason = "More than 60 frames a second: wait for each answer before sending the next frame."
        state["socket"].close(code=1008, reason=reason)
        expect(page.get_by_test_id("live-error")).to_have_text(reason)
        expect(page.get_by_test_id("stats")).to_contain_text("Live detection stopped")
        page.wait_for_timeout(1500)
        assert state["connections"] == 2, "a refused connection is not retried"

        page.get_by_test_id("camera-stop").click()
        expect(page.get_by_test_id("detect-live")).to_have_attribute("data-state", "off")
        expect(overlay).to_be_hidden()





def test_without_the_detector_the_page_shows_the_servers_message(cat_camera, server_without_models, test_photos):
    url = server_without_models
    info = httpx.get(f"{url}/api/experiments/{DETECTOR}").json()
    refused = httpx.post(f"{url}/api/experiments/{DETECTOR}/detect",
                         content=test_photos["astronaut.png"].read_bytes(), headers={"Content-Type": "image/png"})
    assert not info["trained"] and refused.status_code == 503
    # the message is shown once at the top; below, the same message points there, another is shown in full
    detail = refused.json()["detail"]
    below = "The detector is not being served: see the message at the top." if detail == info["problem"] else detail
    with opened(cat_camera, f"{url}/experiments/{DETECTOR}") as page:
        expect(page.get_by_test_id("detect-problem")).to_have_text(info["problem"])
        expect(page.get_by_test_id(f"training-{DETECTOR}")).to_contain_text(info["problem"])
        expect(page.locator("#training-heading")).to_have_text("Pretrained: where the weights come from")
        page.get_by_test_id("photo-file").set_input_files(test_photos["astronaut.png"])
        expect(page.get_by_test_id("detect-photo")).to_have_attribute("data-state", "error")
        expect(page.get_by_test_id("photo-error")).to_have_text(below)
        expect(page.get_by_test_id("detect-canvas")).to_be_visible()  # the photo, without boxes
        page.get_by_test_id("camera-start").click()
        expect(page.get_by_test_id("detect-live")).to_have_attribute("data-state", "error")
        expect(page.get_by_test_id("live-error")).to_have_text(below)
        check_layout(page, 1100, "no detector")
        shot(page, "detect-no-model-1100")


@needs_detector
def test_the_detector_boxes_the_person_the_camera_films(person_camera, live_server):
    answers = []
    with opened(person_camera, f"{live_server}/experiments/{DETECTOR}") as page:
        page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: answers.append(json.loads(payload))))
        page.get_by_test_id("camera-start").click()
        expect(page.get_by_test_id("live-detections")).to_contain_text(re.compile(r"\bperson \d+%"), timeout=20_000)
        expect(page.get_by_test_id("fps")).to_have_text(re.compile(r"^\d+\.\d$"), timeout=10_000)
        expect(page.get_by_test_id("server-ms")).to_have_text(re.compile(r"^\d+$"))
        answer = next(a for a in reversed(answers) if a.get("detections"))
        person = next(d for d in answer["detections"] if d["label"] == "person")
        overlay = page.get_by_test_id("overlay")
        mirrored = "mirrored" in (page.get_by_test_id("camera-video").get_attribute("class") or "")
        x, y = left_edge(overlay, answer, person["box"], mirrored)
        assert opaque_near(overlay, x, y, r=10) > 0, f"no box drawn at the person's left side ({x:.0f}, {y:.0f})"

        page.get_by_test_id("threshold").fill("1")
        expect(page.get_by_test_id("live-detections")).to_have_text("Nothing found scored 100% or more.")
        page.get_by_test_id("camera-stop").click()
        expect(page.get_by_test_id("detect-live")).to_have_attribute("data-state", "off")


@needs_detector
def test_the_upload_fallback_boxes_a_photo(refusing, live_server, test_photos):
    with opened(refusing, f"{live_server}/experiments/{DETECTOR}") as page:
        sent = recorded(page, f"**/api/experiments/{DETECTOR}/detect*")
        page.get_by_test_id("photo-file").set_input_files(test_photos["astronaut.png"])
        expect(page.get_by_test_id("detect-photo")).to_have_attribute("data-state", "answered")
        expect(page.get_by_test_id("photo-detections")).to_contain_text(re.compile(r"\bperson \d+%"))
        [photo_sent] = sent
        assert photo_sent["url"].endswith("/detect?threshold=0.35") and photo_sent["content_type"] == "image/png"
        answer = photo_sent["answer"]
        person = next(d for d in answer["detections"] if d["label"] == "person")
        pixels = canvas_pixels(page.get_by_test_id("detect-canvas"))[..., :3]
        photo = np.asarray(Image.open(test_photos["astronaut.png"]).convert("RGB"), dtype=float)
        assert pixels.shape == photo.shape  # drawn at its own size: canvas pixels are the photo's
        x1, y1, x2, y2 = (round(v) for v in person["box"])
        edge = np.abs(pixels - photo)[y1 + 30:y2 - 30, max(0, x1 - 1):x1 + 2].sum(axis=2).max(axis=1)
        assert (edge > 40).mean() > 0.9, "no box line down the person's left side"
        assert np.abs(pixels - photo)[y1 + 30:y2 - 30, x1 + 8:x1 + 12].max() == 0, "paint inside the box"

        page.get_by_test_id("threshold").fill("1")
        expect(page.get_by_test_id("photo-detections")).to_have_text("Nothing found scored 100% or more.")
        assert sent[-1]["url"].endswith("/detect?threshold=1")


@needs_detector
def test_the_detector_page_shows_the_servers_message_for_a_file_that_is_not_a_photo(refusing, live_server):
    response = httpx.post(f"{live_server}/api/experiments/{DETECTOR}/detect", content=NOT_AN_IMAGE["buffer"],
                          headers={"Content-Type": NOT_AN_IMAGE["mimeType"]})
    assert response.status_code == 422
    with opened(refusing, f"{live_server}/experiments/{DETECTOR}") as page:
        page.get_by_test_id("photo-file").set_input_files(files=[NOT_AN_IMAGE])
        expect(page.get_by_test_id("detect-photo")).to_have_attribute("data-state", "error")
        expect(page.get_by_test_id("photo-error")).to_have_text(response.json()["detail"])
        expect(page.get_by_test_id("detect-canvas")).to_be_hidden()


# --- model cards, the home page, and every state on a phone and a desktop ---------------------------------------

def test_the_pretrained_cards_say_where_the_weights_come_from(cat_camera, live_server):
    card = httpx.get(f"{live_server}/api/experiments/{CLASSIFIER}").json()["card"]
    with opened(cat_camera, f"{live_server}/experiments/{CLASSIFIER}") as page:
        expect(page.locator("#training-heading")).to_have_text("Pretrained: where the weights come from")
        panel = page.get_by_test_id(f"training-{CLASSIFIER}")
        for source in card["source"]["files"]:
            expect(panel).to_contain_text(source["package"])
            expect(panel).to_contain_text(f"sha256 {source['sha256'][:12]}")
        expect(panel).to_contain_text(f"{card['parameters']:,}")
        expect(panel.get_by_test_id("command")).to_have_text(card["command"])
        top = card["metrics"]["photos"]["chelsea.png"][0]
        expect(panel.get_by_test_id("test-photos")).to_contain_text(f"{top['label']} {top['probability']:.0%}")
        check_layout(page, 1100, "card")
        page.goto(live_server)
        expect(page.get_by_test_id("experiments")).to_have_attribute("aria-busy", "false")
        expect(page.get_by_test_id(f"experiment-{CLASSIFIER}")).to_contain_text("pretrained on ImageNet")
        expect(page.get_by_test_id(f"experiment-{DETECTOR}")).to_contain_text("Objects: NanoDet")
        check_layout(page, 1100, "home")


def fake_detector(page) -> None:
    """Stand-ins for the detector's routes, for the layout of answered states before the model is served."""
    def frames(ws):
        ws.on_message(lambda m: ws.send(m if isinstance(m, str) else
                                        json.dumps(detection_answer(*Image.open(io.BytesIO(m)).size, 0.35))))

    def photo(route):
        size = Image.open(io.BytesIO(route.request.post_data_buffer)).size
        route.fulfill(json=detection_answer(*size, 0.35))

    page.route_web_socket("**/api/experiments/object_detection/frames", frames)
    page.route("**/api/experiments/object_detection/detect*", photo)


@pytest.mark.parametrize("width, height", [(390, 844), (1280, 800)])
def test_every_state_fits_and_prints_no_absent_value(cat_camera, person_camera, live_server, test_photos, width, height):
    with opened(cat_camera, f"{live_server}/experiments/{CLASSIFIER}", width, height) as page:
        check_layout(page, width, "photo: empty")
        shot(page, f"photo-empty-{width}")
        page.get_by_test_id("camera-start").click()
        expect(page.locator(".camera")).to_have_attribute("data-state", "on")
        answered_photo(page, page.get_by_test_id("snapshot").click)
        check_layout(page, width, "photo: snapshot answered")
        shot(page, f"photo-answered-camera-{width}")
        page.get_by_test_id("camera-stop").click()
        answered_photo(page, lambda: page.get_by_test_id("photo-file").set_input_files(test_photos["chelsea.png"]))
        check_layout(page, width, "photo: answered")
        shot(page, f"photo-answered-{width}")
        page.get_by_test_id("photo-file").set_input_files(files=[NOT_AN_IMAGE])
        expect(page.get_by_test_id("photo-demo")).to_have_attribute("data-state", "error")
        check_layout(page, width, "photo: error")
        shot(page, f"photo-error-{width}")

    with opened(person_camera, f"{live_server}/experiments/{DETECTOR}", width, height) as page:
        check_layout(page, width, "detect: empty")
        shot(page, f"detect-empty-{width}")
        if not DETECTOR_READY:
            fake_detector(page)
        page.get_by_test_id("camera-start").click()
        expect(page.get_by_test_id("live-detections")).to_contain_text("person", timeout=20_000)
        page.get_by_test_id("photo-file").set_input_files(test_photos["astronaut.png"])
        expect(page.get_by_test_id("detect-photo")).to_have_attribute("data-state", "answered")
        check_layout(page, width, "detect: answered")
        shot(page, f"detect-answered{'' if DETECTOR_READY else '-stand-in'}-{width}")
        if DETECTOR_READY:
            page.get_by_test_id("photo-file").set_input_files(files=[NOT_AN_IMAGE])
            expect(page.get_by_test_id("detect-photo")).to_have_attribute("data-state", "error")
            check_layout(page, width, "detect: error")
            shot(page, f"detect-error-{width}")
