"""A light HTTP/1.1 load generator: asyncio keep-alive sockets, pre-built request bytes, and a reply parser
that reads only the status line and Content-Length. It leaves the CPU to the server it measures."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


def post(host: str, port: int, path: str, body: bytes, content_type: str = "image/png") -> bytes:
    """A complete keep-alive POST request, as bytes."""
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)  # seconds, of the requests answered 200
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0  # replies other than 200, and broken connections
    seconds: float = 0.0

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            await reader.readexactly(int(value))
            return status
    raise ConnectionError("a reply without Content-Length")


async def _client(host: str, port: int, requests: list[bytes], first: int, stop_at: float,
                  budget: list[int], stats: Stats) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = first
    try:
        while budget[0] > 0 and time.perf_counter() < stop_at:
            budget[0] -= 1
            started = time.perf_counter()
            try:
                status = await _exchange(reader, writer, requests[i % len(requests)])
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                stats.errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            finally:
                i += 1
            stats.statuses[status] = stats.statuses.get(status, 0) + 1
            if status == 200:
                stats.latencies.append(time.perf_counter() - started)
            else:
                stats.errors += 1
    finally:
        writer.close()


async def _load(host, port, requests, connections, seconds, count) -> Stats:
    stats, budget = Stats(), [count]
    started = time.perf_counter()
    await asyncio.gather(*(_client(host, port, requests, k, started + seconds, budget, stats)
                           for k in range(connections)))
    stats.seconds = time.perf_counter() - started
    return stats


def load(host: str, port: int, requests: list[bytes], connections: int = 1, seconds: float = 3600,
         count: int = 1_000_000) -> Stats:
    """Send requests (cycling through them) over `connections` keep-alive connections, each waiting for
    its reply before the next request, until `count` requests are sent or `seconds` have passed."""
    return asyncio.run(_load(host, port, requests, connections, seconds, count))
