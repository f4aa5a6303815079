"""Shared fixtures: MNIST test digits, the Quick, Draw! split, a real server on a free loopback port and a
real browser."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
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


LOGS = Path(tempfile.mkdtemp(prefix="mlsandbox-test-servers-"))  # each test server's output, kept for a look after
WATCH_EVERY, WATCH_TIMEOUT, WATCH_MISSES = 1.0, 5.0, 3  # seconds, seconds, health checks missed in a row


class ServerProcess(subprocess.Popen):
    """`mlsandbox serve` in a process of its own. Its output goes to a log file: a pipe that nothing reads fills
    after 64 KB of tracebacks and then blocks the server. Once up, a watchdog asks /api/health every WATCH_EVERY
    seconds; a server that misses WATCH_MISSES answers in a row is killed, so that a request waiting on it fails
    within seconds instead of at its timeout, and the test's report shows why (pytest_runtest_makereport)."""

    def __init__(self, port: int, env: dict | None = None, workers: int = 1):
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = LOGS / f"server-{port}.log"
        command = [sys.executable, "-m", "mlsandbox", "serve", "--port", str(port), "--log-level", "warning",
                   "--workers", str(workers)]
        with open(self.log_path, "wb") as log:
            super().__init__(command, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
        SERVERS.append(self)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def watch(self) -> None:
        threading.Thread(target=self._watchdog, daemon=True, name=f"watchdog {self.url}").start()

    def _watchdog(self) -> None:
        missed = 0
        while self.poll() is None:
            time.sleep(WATCH_EVERY)
            try:
                missed = 0 if httpx.get(f"{self.url}/api/health", timeout=WATCH_TIMEOUT).status_code == 200 else missed + 1
            except httpx.HTTPError:
                missed += 1
            if missed >= WATCH_MISSES and self.poll() is None:
                with open(self.log_path, "a") as log:
                    log.write(f"\n[tests] no answer to /api/health {missed} times in a row: the server is killed\n")
                self.kill()


SERVERS: list[ServerProcess] = []  # every test server started in this session
LOG_SIZES = pytest.StashKey[dict]()


def start_server(port: int, env: dict | None = None, workers: int = 1) -> ServerProcess:
    return ServerProcess(port, env, workers)


def wait_until_up(url: str, process: ServerProcess, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode}:\n{process.tail()}")
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                process.watch()
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"server at {url} did not answer within {seconds} s:\n{process.tail()}")


@contextmanager
def running_server(env: dict | None = None, workers: int = 1):
    """The real server (uvicorn, `mlsandbox serve`) in its own process, for the block; yields its base URL."""
    port = free_port()
    process = start_server(port, env, workers)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def pytest_runtest_setup(item):
    item.stash[LOG_SIZES] = {server: server.log_path.stat().st_size for server in SERVERS}


def pytest_sessionfinish(session, exitstatus):
    if exitstatus == 0:  # the logs are kept for a look only after a failure
        shutil.rmtree(LOGS, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test's report ends with the last lines each test server logged while it ran."""
    report = yield
    if report.failed:
        before = item.stash.get(LOG_SIZES, {})
        for server in SERVERS:
            if server.log_path.stat().st_size > before.get(server, 0):
                report.sections.append((f"server {server.url} (log {server.log_path}, last lines)", server.tail()))
    return report


@pytest.fixture(scope="session")
def live_server():
    with running_server() as url:
        yield url


@pytest.fixture(scope="session")
def two_process_server():
    """The server as `mlsandbox serve --workers 2`: whichever process takes a request must answer it alike."""
    with running_server(workers=2) as url:
        yield url


def pytest_generate_tests(metafunc):
    """A module that sets EACH_SERVER = True runs its tests of `api` against one process and against two."""
    if "api" in metafunc.fixturenames and getattr(metafunc.module, "EACH_SERVER", False):
        metafunc.parametrize("processes", [1, 2], ids=["1 process", "2 processes"], indirect=True, scope="module")


@pytest.fixture(scope="module")
def processes(request) -> int:
    return getattr(request, "param", 1)


@pytest.fixture(scope="module")
def api(request, processes):
    """An HTTP client of the live server (of the one with two processes, where the module asks for each)."""
    url = request.getfixturevalue("live_server" if processes == 1 else "two_process_server")
    with httpx.Client(base_url=url, timeout=60) as client:
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
