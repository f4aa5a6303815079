"""Shared fixtures: MNIST test digits, the Quick, Draw! split, a real server on a free loopback port and a
real browser."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import sync_playwright

from mlsandbox.data import mnist, quickdraw


@pytest.fixture(scope="session")
def mnist_split():
    return mnist.load()


@pytest.fixture(scope="session")
def sketch_split():
    return quickdraw.load()


@pytest.fixture(scope="session")
def test_digits(mnist_split):
    """The first 200 held-out test digits as (images 0..1 light-on-dark, labels)."""
    return mnist_split.x_test[:200], mnist_split.y_test[:200]


@pytest.fixture(scope="session")
def bomb() -> bytes:
    """A real 20000x20000 PNG: about 90 KB on the wire, 400 million pixels once decoded."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (20000, 20000), 1).save(buffer, format="PNG")
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mlsandbox", "serve", "--port", str(port), "--log-level", "warning"],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read().decode()}")
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"server at {url} did not answer within {seconds} s")


@contextmanager
def running_server(env: dict | None = None):
    """The real server (uvicorn, `mlsandbox serve`) in its own process, for the block; yields its base URL."""
    port = free_port()
    process = start_server(port, env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server():
    with running_server() as url:
        yield url


@pytest.fixture(scope="module")
def api(live_server):
    """An HTTP client of the live server."""
    with httpx.Client(base_url=live_server, timeout=30) as client:
        yield client


# --- A real browser: Debian's Chromium driven by Playwright --------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def pw():
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def refusing(pw):
    """A Chromium with a camera that the page is not allowed to use."""
    from fake_camera import camera_browser  # it reads this module's Chromium settings

    with camera_browser(pw, None, allowed=False) as browser:
        yield browser


@pytest.fixture(scope="module")
def server_without_models(tmp_path_factory):
    """A server whose artifacts folder is empty: every model answers 503 with what to do."""
    from mlsandbox.experiments import ARTIFACTS_ENV

    with running_server({ARTIFACTS_ENV: str(tmp_path_factory.mktemp("no-artifacts"))}) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@contextmanager
def sized_page(browser, width: int):
    """A page in a fresh context as wide as width: under 640 px a touch phone, else a desktop."""
    phone = width < 640
    context = browser.new_context(viewport={"width": width, "height": 844 if phone else 900}, has_touch=phone,
                                  is_mobile=phone)
    try:
        yield context.new_page()
    finally:
        context.close()


WORDS_OF_ABSENT_VALUES = {"null", "undefined", "NaN", "[object", "false"}


def check_layout(page, width: int, state: str, models_write: str | None = None) -> None:
    """Nothing scrolls sideways, and no absent value is printed as the word JavaScript gives it. The text of
    elements matching models_write is what a model wrote (a generated "false" is Shakespeare's word), not
    checked for those words."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{state}: overflows"
    text = page.evaluate("""(skip) => {
        const body = document.body.cloneNode(true);
        if (skip) body.querySelectorAll(skip).forEach((e) => e.remove());
        document.documentElement.append(body);  // inner text needs a rendered element
        const text = body.innerText;
        body.remove();
        return text;
    }""", models_write)
    printed = set(text.split()) & WORDS_OF_ABSENT_VALUES
    assert not printed, f"{state}: {printed}"
