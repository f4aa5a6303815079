"""The test servers themselves: one that stops answering fails the test waiting on it within seconds, and says so."""

import signal
import time

import httpx
import pytest

from conftest import WATCH_EVERY, WATCH_MISSES, WATCH_TIMEOUT, free_port, start_server, wait_until_up


def test_a_server_that_stops_answering_is_killed_within_seconds_and_its_log_says_why():
    port = free_port()
    process = start_server(port)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        process.send_signal(signal.SIGSTOP)  # hung: the socket still takes connections, nothing answers
        started = time.monotonic()
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{url}/api/experiments", timeout=120)
        waited = time.monotonic() - started
    finally:
        process.kill()
        process.wait(timeout=10)
    assert waited < WATCH_MISSES * (WATCH_EVERY + WATCH_TIMEOUT) + 5, waited
    assert "no answer to /api/health" in process.log()
