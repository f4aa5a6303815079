"""Shared fixtures: MNIST test digits and a real server on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest

from mlsandbox.data import mnist


@pytest.fixture(scope="session")
def mnist_split():
    return mnist.load()


@pytest.fixture(scope="session")
def test_digits(mnist_split):
    """The first 200 held-out test digits as (images 0..1 light-on-dark, labels)."""
    return mnist_split.x_test[:200], mnist_split.y_test[:200]


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


@pytest.fixture(scope="session")
def live_server():
    """The real server (uvicorn, `mlsandbox serve`) in its own process; yields its base URL."""
    port = free_port()
    process = start_server(port)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def canvas_png(digit: np.ndarray, size: int = 280, scale: float = 10.0, offset=(0, 0)) -> bytes:
    """A 28x28 MNIST digit drawn dark-on-white on a size x size canvas, scaled and shifted, as PNG bytes."""
    from PIL import Image

    from mlsandbox import imaging

    side = max(1, round(28 * scale))
    ink = Image.fromarray(np.uint8(digit * 255)).resize((side, side), Image.Resampling.BILINEAR)
    canvas = Image.new("L", (size, size), 0)
    canvas.paste(ink, (size // 2 - side // 2 + offset[0], size // 2 - side // 2 + offset[1]))
    return imaging.to_png(np.asarray(canvas, dtype=np.float32) / 255.0)
