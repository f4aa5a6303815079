"""The rock, paper, scissors page in a real Chromium whose fake camera films rendered hands: a round counted
down, read from the camera and scored; the computer predicting the person; the page taught a person's hand
from the camera and reading the poses back with what it learned; a refused camera, a refused teach request
and models not served, each explained; and every state on a phone and a desktop.

How the teaching test knows what the camera shows: its video is rock for 6 s, paper for 6 s, scissors for
6 s, looped (5 frames a second), each segment one test render in the middle of the frame between side bars
of a colour of its own (red, green, blue). The bars lie outside the centred square that the page's frames
and the server read, so the models never see them; the test reads them from the page's video element to
tell which segment is on screen. It presses "Show rock" as the rock segment begins (the video starts with
the camera) and "Show paper" and "Show scissors" as soon as the bars change to their colour, so each
capture (20 frames, about 2 s) ends some 4 s before its segment does, and checks after each capture that
the bars have not changed. Reading back works the same way: Play as a segment begins, and the snapshot, on
"Shoot!" about 1.9 s later, falls inside it. Nothing depends on how fast the machine is within those 4 s.

Set MLSANDBOX_SHOTS to a folder to keep a screenshot of every state the layout test passes through."""

from __future__ import annotations

import base64
import io
import json
import re
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect, sync_playwright

import camera_pages
from camera_pages import recorded, shot
from conftest import check_layout
from fake_camera import camera_browser, y4m_of_frames
from mlsandbox import experiments, runtime
from mlsandbox.data import hands

pytestmark = pytest.mark.browser
GAME = "rps_mobilenet_v2"  # the page under test
LANDMARKS = "rps_landmarks"  # the family's reader of hand landmarks, which also says where the hand is
FAMILY = ("rps_cnn", "rps_mobilenet_v2", "rps_landmarks")
TITLES = ["CNN from scratch", "MobileNetV2", "hand landmarks"]
POSES = hands.LABELS  # rock, paper, scissors
BEATEN_BY = {"rock": "paper", "paper": "scissors", "scissors": "rock"}
WINS = {("rock", "scissors"), ("paper", "rock"), ("scissors", "paper")}
SEARCH = 30  # test renders looked through for ones the model reads confidently

SEGMENT_SECONDS, RATE, BAR = 6, 5, 90  # the teaching video: seconds a pose, frames a second, side bar width
MARKS = {"rock": (230, 30, 30), "paper": (30, 200, 30), "scissors": (30, 30, 230)}
FRAMES_PER_SHOW = 20


# --- fake cameras ----------------------------------------------------------------------------------------

def jpeg(picture: np.ndarray, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def pw():
    with sync_playwright() as p:
        yield p


def sure_render_of(experiment_id: str) -> tuple[np.ndarray, str]:
    """The first test render whose pose the served model names with probability above 0.9, read as the
    server reads a snapshot: so that a playing test is about the page, not about the model's accuracy."""
    experiment = experiments.get(experiment_id)
    model = runtime.served(experiment)
    for index in range(SEARCH):
        picture, label, _ = hands.render(index, "test")
        ranked = dict(model.answer(experiment.prepare(jpeg(picture)))["ranked"])
        if max(ranked, key=ranked.get, default=None) == POSES[label] and ranked[POSES[label]] > 0.9:
            return picture, POSES[label]
    pytest.fail(f"{experiment_id} names none of the first {SEARCH} test renders with probability above 0.9: is the "
                f"model trained? ({experiment.model_path})")


@pytest.fixture(scope="module")
def sure_render() -> tuple[np.ndarray, str]:
    return sure_render_of(GAME)


def filming(pw, picture: np.ndarray, folder):
    """A camera filming one picture for ever."""
    return camera_browser(pw, y4m_of_frames([picture] * 3, folder / "picture.y4m"))


@pytest.fixture(scope="module")
def pose_camera(pw, sure_render, tmp_path_factory):
    with filming(pw, sure_render[0], tmp_path_factory.mktemp("camera")) as browser:
        yield browser


def segment_renders() -> dict[str, np.ndarray]:
    """The first test render of each pose."""
    found = {}
    for index in range(12):
        picture, label, _ = hands.render(index, "test")
        found.setdefault(POSES[label], picture)
    return found


@pytest.fixture(scope="module")
def segments(tmp_path_factory) -> dict[str, np.ndarray]:
    return segment_renders()


@pytest.fixture(scope="module")
def segment_camera(pw, segments, tmp_path_factory):
    """A camera filming rock, paper and scissors, SEGMENT_SECONDS each, between bars of each pose's colour."""
    frames = []
    for pose in POSES:
        picture = segments[pose]
        frame = np.empty((picture.shape[0], picture.shape[1] + 2 * BAR, 3), np.uint8)
        frame[:] = MARKS[pose]
        frame[:, BAR:BAR + picture.shape[1]] = picture
        frames += [frame] * (SEGMENT_SECONDS * RATE)
    video = y4m_of_frames(frames, tmp_path_factory.mktemp("camera") / "segments.y4m", rate=(RATE, 1))
    with camera_browser(pw, video) as browser:
        yield browser






# --- pages, and what they show ----------------------------------------------------------------------------

@contextmanager
def opened(browser, url: str, width: int = 1280, height: int = 900):
    with camera_pages.opened(browser, url, width, height) as page:
        expect(page.get_by_test_id("game-demo")).to_be_visible()
        yield page











def start_camera(page) -> None:
    page.get_by_test_id("camera-start").click()
    expect(page.locator(".camera")).to_have_attribute("data-state", "on")


def play(page) -> str:
    """Press Play and wait for the round's end; the demo's state then ("answered", "unclear" or "error")."""
    demo = page.get_by_test_id("game-demo")
    page.get_by_test_id("game-play").click()
    expect(demo).to_have_attribute("data-state", "counting")
    expect(demo).to_have_attribute("data-state", re.compile("^(answered|unclear|error)$"), timeout=15_000)
    return demo.get_attribute("data-state")


# The pose the teaching video shows now, from the colour of its left bar in the page's video element.
MARK = """(marks) => {
    const video = document.querySelector('[data-testid=camera-video]');
    if (!video || !video.videoWidth) return null;
    const canvas = window.__markCanvas ??= Object.assign(document.createElement('canvas'), { width: 4, height: 4 });
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const w = video.videoWidth, h = video.videoHeight;
    ctx.drawImage(video, w * 0.03, h * 0.25, w * 0.12, h * 0.5, 0, 0, 4, 4);
    const [r, g, b] = ctx.getImageData(2, 2, 1, 1).data;
    const distance = ([R, G, B]) => (r - R) ** 2 + (g - G) ** 2 + (b - B) ** 2;
    return Object.keys(marks).reduce((best, pose) => (distance(marks[pose]) < distance(marks[best]) ? pose : best));
}"""

ENTERED = f"""([marks, pose]) => {{
    const now = ({MARK})(marks);
    const was = window.__lastMark;
    window.__lastMark = now;
    return was != null && now !== was && (pose === null || now === pose) ? now : false;
}}"""


def on_screen(page) -> str:
    return page.evaluate(MARK, MARKS)


def enter_segment(page, pose: str | None = None) -> str:
    """Wait until the teaching video has just entered pose's segment (any segment, with pose None), or, right
    after the camera came on, is at the very start of the video in it; the pose entered."""
    since = page.evaluate("performance.now() - Number(document.querySelector('.camera-stage').dataset.started)")
    if since < 1500 and on_screen(page) == (pose or POSES[0]) == POSES[0]:
        return POSES[0]
    page.evaluate("delete window.__lastMark")
    handle = page.wait_for_function(ENTERED, arg=[MARKS, pose], polling=50, timeout=(3 * SEGMENT_SECONDS + 5) * 1000)
    return handle.json_value()


def show(page, pose: str) -> None:
    """Press "Show pose" and wait for its 20 frames."""
    counter = page.get_by_test_id(f"teach-count-{pose}")
    before = int(counter.get_attribute("data-count"))
    page.get_by_test_id(f"teach-show-{pose}").click()
    expect(counter).to_have_attribute("data-count", str(min(before + FRAMES_PER_SHOW, 50)), timeout=10_000)


def teach_all(page) -> None:
    """Frames of each pose, whatever the camera shows (for tests of what the page does, not what it learns)."""
    for pose in POSES:
        show(page, pose)
    expect(page.get_by_test_id("teach-go")).to_be_enabled()


def squares(picture: np.ndarray, size: int = 32) -> np.ndarray:
    return np.asarray(Image.fromarray(picture).convert("L").resize((size, size)), dtype=float)


def closest(body: bytes, pictures: dict[str, np.ndarray]) -> str:
    """Which of pictures an image (a JPEG of a picture's centred square) shows."""
    seen = np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))
    side = min(seen.shape[:2])
    top, left = (seen.shape[0] - side) // 2, (seen.shape[1] - side) // 2
    seen = squares(seen[top:top + side, left:left + side])
    return min(pictures, key=lambda name: np.abs(seen - squares(pictures[name])).mean())


# --- playing -----------------------------------------------------------------------------------------------

WORDS = """() => {
    window.__words = [];
    new MutationObserver(() => {
        const text = document.querySelector('[data-testid=game-countdown]').textContent;
        if (text) window.__words.push([text, performance.now()]);
    }).observe(document.querySelector('[data-testid=game-countdown]'), { childList: true, characterData: true, subtree: true });
}"""


def test_a_round_is_counted_down_read_from_the_camera_and_scored(pose_camera, live_server, sure_render):
    picture, pose = sure_render
    with opened(pose_camera, f"{live_server}/experiments/{GAME}") as page:
        play_button = page.get_by_test_id("game-play")
        expect(play_button).to_be_disabled()  # no camera yet
        expect(page.get_by_test_id("game-play-note")).to_have_text("Start the camera, then press Play.")
        expect(page.get_by_test_id("game-model")).to_have_value(GAME)
        assert page.get_by_test_id("game-model").locator("option").all_inner_texts() == TITLES
        expect(page.get_by_test_id("game-strategy")).to_have_value("random")
        expect(page.get_by_test_id("game-score")).to_have_attribute("data-rounds", "0")
        page.get_by_test_id("camera-start").focus()
        page.keyboard.press("Enter")
        expect(page.locator(".camera")).to_have_attribute("data-state", "on")
        expect(play_button).to_be_enabled()

        sent = recorded(page, "**/api/experiments/*/predict")
        page.evaluate(WORDS)
        play_button.focus()
        page.keyboard.press("Enter")  # the keyboard plays too
        expect(page.get_by_test_id("game-demo")).to_have_attribute("data-state", "answered", timeout=15_000)
        words = page.evaluate("window.__words")
        assert [w for w, _ in words] == ["Rock…", "Paper…", "Scissors…", "Shoot!"]
        gaps = np.diff([t for _, t in words])
        assert all(450 < gap < 900 for gap in gaps), f"the countdown's words came {gaps} ms apart"
        expect(play_button).to_be_focused()
        expect(page.get_by_test_id("game-countdown")).to_have_text("")

        you, computer = page.get_by_test_id("game-you"), page.get_by_test_id("game-computer")
        expect(you).to_have_attribute("data-move", pose)
        expect(you.locator(".game-move")).to_have_text(pose)
        expect(you.locator(".game-detail")).to_have_text(re.compile(r"^\d+% sure · \d+ ms$"))
        theirs = computer.get_attribute("data-move")
        assert theirs in POSES
        expect(computer.locator(".game-move")).to_have_text(theirs)
        expect(computer).to_contain_text("at random")
        verdict = "draw" if theirs == pose else "win" if (pose, theirs) in WINS else "lose"
        expect(page.get_by_test_id("game-result")).to_have_attribute("data-result", verdict)
        score = page.get_by_test_id("game-score")
        expect(score).to_have_attribute("data-rounds", "1")
        won = {"win": ("1", "0", "0"), "lose": ("0", "1", "0"), "draw": ("0", "0", "1")}[verdict]
        expect(score).to_have_text(f"Score You {won[0]} Computer {won[1]} Draws {won[2]}", use_inner_text=True)
        expect(page.get_by_test_id("game-predictability")).to_have_attribute("data-total", "0")

        [snapshot] = sent
        assert snapshot["url"].endswith(f"/api/experiments/{GAME}/predict") and snapshot["content_type"] == "image/jpeg"
        mirror = {pose: picture, "mirrored": picture[:, ::-1]}
        assert closest(snapshot["body"], mirror) == pose, "the snapshot sent is not the camera's picture as it is"
        check_layout(page, 1280, "answered")
        shot(page, "game-played-1280")

        # "Predict me": after one rock the chain expects rock again, so the computer plays paper, and wins
        page.get_by_test_id("game-strategy").select_option("predict")
        expect(page.get_by_test_id("game-strategy-note")).to_contain_text("likeliest")
        assert play(page) == "answered"
        expect(score).to_have_attribute("data-rounds", "2")
        expect(you).to_have_attribute("data-move", pose)
        expect(computer).to_have_attribute("data-move", BEATEN_BY[pose])
        expect(computer).to_contain_text(f"it expected {pose}")
        expect(page.get_by_test_id("game-result")).to_have_attribute("data-result", "lose")
        predictability = page.get_by_test_id("game-predictability")
        expect(predictability).to_have_attribute("data-correct", "1")
        expect(predictability).to_have_attribute("data-total", "1")
        expect(predictability).to_contain_text("guessed 1 of your 1 move after the first (100%")
        assert len(sent) == 2
        shot(page, "game-predicted-1280")

        # a new game starts the score again
        page.get_by_test_id("game-reset").click()
        expect(score).to_have_attribute("data-rounds", "0")
        expect(predictability).to_have_attribute("data-total", "0")
        expect(play_button).to_be_focused()


# --- the landmark reader: the skeleton over the camera, and no hand ---------------------------------------

INKED = """(selector) => {
    const canvas = document.querySelector(selector);
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let inked = 0;
    for (let i = 3; i < data.length; i += 4) inked += data[i] > 0;
    return inked;
}"""


def test_the_landmark_reader_reads_the_pose_and_draws_the_hand_over_the_camera(pw, live_server, tmp_path):
    picture, pose = sure_render_of(LANDMARKS)
    with filming(pw, picture, tmp_path) as browser, opened(browser, f"{live_server}/experiments/{LANDMARKS}") as page:
        expect(page.get_by_test_id("game-model")).to_have_value(LANDMARKS)
        skeleton = page.get_by_test_id("game-skeleton")
        start_camera(page)
        sent = recorded(page, "**/api/experiments/*/predict")
        assert play(page) == "answered"
        expect(page.get_by_test_id("game-you")).to_have_attribute("data-move", pose)
        [request] = sent
        assert request["url"].endswith(f"/api/experiments/{LANDMARKS}/predict")
        hand = request["answer"]["hand"]
        assert hand["seen"] and len(hand["points"]) == 21 and hand["size"] == list(picture.shape[1::-1])
        expect(skeleton).to_have_attribute("data-points", "21")
        assert page.evaluate(INKED, "[data-testid=game-skeleton]") > 500, "no skeleton drawn over the camera"
        check_layout(page, 1280, "skeleton")
        shot(page, "game-landmarks-1280")

        page.get_by_test_id("camera-stop").click()  # a skeleton does not outlive the camera it was drawn on
        expect(skeleton).to_have_attribute("data-points", "0")


def test_with_no_hand_in_view_the_landmark_reader_says_so(pw, live_server, tmp_path):
    wall = np.full((300, 400, 3), (214, 208, 196), np.uint8)  # an empty wall
    with filming(pw, wall, tmp_path) as browser, opened(browser, f"{live_server}/experiments/{LANDMARKS}") as page:
        start_camera(page)
        assert play(page) == "unclear"
        expect(page.get_by_test_id("game-result")).to_have_text(re.compile("^I can't see a hand"))
        expect(page.get_by_test_id("game-you")).to_contain_text("no hand seen")
        expect(page.get_by_test_id("game-computer")).to_contain_text("no round")
        expect(page.get_by_test_id("game-score")).to_have_attribute("data-rounds", "0")
        expect(page.get_by_test_id("game-skeleton")).to_have_attribute("data-points", "0")
        shot(page, "game-no-hand-1280")


def test_the_training_panels_give_accuracy_by_what_training_never_had(segment_camera, live_server):
    with opened(segment_camera, f"{live_server}/experiments/{GAME}") as page:
        for experiment_id in FAMILY:
            groups = experiments.get(experiment_id).card()["benchmarks"]["accuracy"]["by_group"]
            shown = [f"{name}{group['accuracy']:.1%} of {group['examples']}" for name, group in groups.items()]
            expect(page.get_by_test_id(f"training-{experiment_id}").locator(".groups li")).to_have_text(shown)


# --- teaching ----------------------------------------------------------------------------------------------

def test_the_page_learns_a_hand_from_the_camera_and_reads_it_back(segment_camera, live_server, segments):
    with opened(segment_camera, f"{live_server}/experiments/{GAME}", 1280, 900) as page:
        go = page.get_by_test_id("teach-go")
        expect(go).to_be_disabled()
        expect(page.get_by_test_id("teach-show-rock")).to_be_disabled()  # no camera yet
        expect(page.get_by_test_id("teach-privacy")).to_contain_text("The taught model lives in this page only")
        start_camera(page)
        assert page.evaluate("[document.querySelector('video').videoWidth, document.querySelector('video').videoHeight]") \
            == [segments["rock"].shape[1] + 2 * BAR, segments["rock"].shape[0]]
        taught = recorded(page, f"**/api/experiments/{GAME}/teach")

        for pose in POSES:
            assert enter_segment(page, pose) == pose
            show(page, pose)
            assert on_screen(page) == pose, f"the video left the {pose} segment before its frames were taken"
            if pose != POSES[-1]:
                expect(go).to_be_disabled()
        expect(go).to_be_enabled()
        go.click()
        teach = page.get_by_test_id("teach")
        expect(teach).to_have_attribute("data-state", "taught", timeout=30_000)
        expect(page.get_by_test_id("teach-status")).to_have_text(re.compile(
            r"^Learned from 60 frames in [\d,]+ ms \(training accuracy \d+%\)\. It plays as “Your hand \(taught\)”"))
        expect(page.get_by_test_id("game-model")).to_have_value("taught")
        expect(page.get_by_test_id("game-model").locator("option:checked")).to_have_text("Your hand (taught)")

        [request] = taught
        assert request["status"] == 200 and request["content_type"] == "application/json"
        frames = json.loads(request["body"])["frames"]
        assert [f["label"] for f in frames] == [p for p in POSES for _ in range(FRAMES_PER_SHOW)]
        images = [base64.b64decode(f["image"].removeprefix("data:image/jpeg;base64,"), validate=True) for f in frames]
        for image in images:
            assert Image.open(io.BytesIO(image)).format == "JPEG" and Image.open(io.BytesIO(image)).size == (224, 224)
            assert len(image) <= 200_000
        read = [closest(image, segments) for image in images]
        assert read == [f["label"] for f in frames], "a frame was taken outside its pose's segment"
        model = request["answer"]["model"]
        assert model["labels"] == list(POSES) and model["frames"] == {p: FRAMES_PER_SHOW for p in POSES}

        # The download is the model the page holds, as the server answered it
        download = page.get_by_test_id("teach-download")
        with page.expect_download() as downloading:
            download.click()
        assert downloading.value.suggested_filename == f"{GAME}-taught.json"
        assert json.loads(Path(downloading.value.path()).read_text()) == model

        # Read back: Play as a segment begins; "Shoot!" comes about 1.9 s into it. Each snapshot goes with the model.
        predicted = recorded(page, "**/predict")
        for _ in range(2):
            pose = enter_segment(page)
            state = play(page)
            sent = json.loads(predicted[-1]["body"])
            assert predicted[-1]["url"].endswith(f"/api/experiments/{GAME}/taught/predict") and sent["model"] == model
            snapshot = base64.b64decode(sent["image"].removeprefix("data:image/jpeg;base64,"), validate=True)
            assert closest(snapshot, segments) == pose, "the snapshot was taken outside the segment"
            assert state == "answered", predicted[-1]["answer"]
            expect(page.get_by_test_id("game-you")).to_have_attribute("data-move", pose)
        assert page.evaluate("[localStorage.length, sessionStorage.length]") == [0, 0]  # held in a variable only

        sent = []
        page.on("request", lambda r: sent.append(r.url))
        page.get_by_test_id("teach-forget").click()
        expect(page.get_by_test_id("teach-status")).to_have_text(
            "Forgotten: the frames and the taught model are gone from this page, and the server kept neither.")
        expect(page.get_by_test_id("game-model")).to_have_value(GAME)
        expect(page.get_by_test_id("game-model").locator("option")).to_have_count(len(FAMILY))
        expect(download).to_be_hidden()
        expect(teach).to_have_attribute("data-state", "empty")
        for pose in POSES:
            expect(page.get_by_test_id(f"teach-count-{pose}")).to_have_attribute("data-count", "0")
        expect(page.get_by_test_id("teach-show-rock")).to_be_focused()
        assert not [url for url in sent if "/api/" in url], "forgetting asked the server for something"


# --- errors ------------------------------------------------------------------------------------------------

def refuse_teaching(page) -> str:
    """Teach, with the request's first label changed on its way to the server; the server's message."""
    answers = []

    def lizard(route):
        body = json.loads(route.request.post_data)
        body["frames"][0]["label"] = "lizard"
        response = route.fetch(post_data=json.dumps(body))
        answers.append((response.status, response.json()))
        route.fulfill(response=response)

    page.route(f"**/api/experiments/{GAME}/teach", lizard)
    page.get_by_test_id("teach-go").click()
    expect(page.get_by_test_id("teach")).to_have_attribute("data-state", "error")
    [(status, answer)] = answers
    assert status == 422
    expect(page.get_by_test_id("teach-error")).to_have_text(answer["detail"])
    expect(page.get_by_test_id("teach-error")).to_contain_text("lizard")
    page.unroute(f"**/api/experiments/{GAME}/teach")
    return answer["detail"]


def refuse_reading(page) -> None:
    """Play with the taught model, its network's sha256 changed on its way to the server (as if the server's
    network had changed since teaching): the page shows the server's message and keeps the model."""
    def another_network(route):
        body = json.loads(route.request.post_data)
        body["model"]["network_sha256"] = "0" * 64
        route.continue_(post_data=json.dumps(body))

    page.route(f"**/api/experiments/{GAME}/taught/predict", another_network)
    assert play(page) == "error"
    expect(page.get_by_test_id("game-error")).to_contain_text("taught on another version of the network")
    expect(page.get_by_test_id("game-error")).to_contain_text("teach it again")
    expect(page.get_by_test_id("game-model")).to_have_value("taught")
    page.unroute(f"**/api/experiments/{GAME}/taught/predict")


def test_a_refused_camera_is_explained(refusing, live_server):
    with opened(refusing, f"{live_server}/experiments/{GAME}") as page:
        page.get_by_test_id("camera-start").click()
        expect(page.locator(".camera")).to_have_attribute("data-state", "error")
        expect(page.get_by_test_id("camera-error")).to_contain_text("The camera is blocked for this page")
        expect(page.get_by_test_id("game-play")).to_be_disabled()
        expect(page.get_by_test_id("teach-show-rock")).to_be_disabled()
        expect(page.get_by_test_id("game-play-note")).to_have_text("Start the camera, then press Play.")


def test_without_models_the_page_says_why_and_cannot_play(segment_camera, server_without_models):
    with opened(segment_camera, f"{server_without_models}/experiments/{GAME}") as page:
        problem = page.get_by_test_id("game-problem")
        expect(problem).to_contain_text("No model is being served")
        for member in FAMILY:
            info = page.request.get(f"{server_without_models}/api/experiments/{member}").json()
            assert not info["trained"]
            expect(problem).to_contain_text(info["problem"])
        assert page.get_by_test_id("game-model").locator("option").all_inner_texts() == [
            f"{title} (not available)" for title in TITLES]
        start_camera(page)
        expect(page.get_by_test_id("game-play")).to_be_disabled()
        expect(page.get_by_test_id("game-play-note")).to_contain_text("none is being served")
        expect(page.get_by_test_id("teach-show-rock")).to_be_disabled()
        expect(page.get_by_test_id("teach-go")).to_be_disabled()


# --- every state on a phone and a desktop ----------------------------------------------------------------------

@pytest.mark.parametrize("width, height", [(390, 844), (1100, 900)])
def test_every_state_fits_and_prints_no_absent_value(segment_camera, refusing, live_server, server_without_models,
                                                     width, height):
    with opened(segment_camera, f"{live_server}/experiments/{GAME}", width, height) as page:
        check_layout(page, width, "empty")
        shot(page, f"game-empty-{width}")
        start_camera(page)
        assert play(page) in ("answered", "unclear")
        check_layout(page, width, "answered")
        shot(page, f"game-answered-{width}")
        page.get_by_test_id("teach-show-rock").click()
        expect(page.get_by_test_id("teach")).to_have_attribute("data-state", "capturing")
        check_layout(page, width, "capturing")
        shot(page, f"game-capturing-{width}")
        expect(page.get_by_test_id("teach-count-rock")).to_have_attribute("data-count", str(FRAMES_PER_SHOW),
                                                                          timeout=10_000)
        for pose in POSES[1:]:
            show(page, pose)
        page.get_by_test_id("teach-go").click()
        expect(page.get_by_test_id("teach")).to_have_attribute("data-state", "taught", timeout=30_000)
        assert play(page) in ("answered", "unclear")
        check_layout(page, width, "taught")
        shot(page, f"game-taught-{width}")
        refuse_teaching(page)
        expect(page.get_by_test_id("teach-status")).to_have_text("Your earlier taught model is still in this page.")
        expect(page.get_by_test_id("game-model")).to_have_value("taught")
        check_layout(page, width, "teach refused")
        shot(page, f"game-error-{width}")
        refuse_reading(page)
        check_layout(page, width, "taught model refused")
        shot(page, f"game-taught-refused-{width}")

    with opened(refusing, f"{live_server}/experiments/{GAME}", width, height) as page:
        page.get_by_test_id("camera-start").click()
        expect(page.locator(".camera")).to_have_attribute("data-state", "error")
        check_layout(page, width, "camera refused")
        shot(page, f"game-camera-refused-{width}")

    with opened(segment_camera, f"{server_without_models}/experiments/{GAME}", width, height) as page:
        check_layout(page, width, "no models")
        shot(page, f"game-no-models-{width}")
