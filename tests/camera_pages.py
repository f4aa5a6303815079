"""What the tests of the camera pages share: screenshots of their states, and a record of what a page sent."""

from __future__ import annotations

import os
import weakref
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import expect

SHOTS = os.environ.get("MLSANDBOX_SHOTS")  # a folder: keep a screenshot of every state a layout test passes through
RECORDED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@contextmanager
def opened(browser, url: str, width: int = 1100, height: int = 900):
    """url in a fresh context of browser (under 640 px wide, a touch phone), once the page says it is ready."""
    phone = width < 640
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=phone, is_mobile=phone)
    try:
        page = context.new_page()
        page.goto(url)
        expect(page.locator("main")).to_have_attribute("aria-busy", "false")
        yield page
    finally:
        context.close()


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def recorded(page, pattern: str) -> list[dict]:
    """What the page sent to the routes matching pattern (url, content type, body) and the server's answer
    (a route sees the body of a Blob, where a request event does not)."""
    routes = RECORDED.setdefault(page, {})
    if pattern not in routes:
        routes[pattern] = []

        def record(route):
            response = route.fetch()
            routes[pattern].append({"url": route.request.url, "content_type": route.request.headers["content-type"],
                                    "body": route.request.post_data_buffer, "status": response.status,
                                    "answer": response.json()})
            route.fulfill(response=response)

        page.route(pattern, record)
    return routes[pattern]
