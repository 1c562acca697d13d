"""A bounded load generator: N keep-alive connections on loopback, a fixed number of requests.

Each of `connections` coroutines owns one HTTP/1.1 connection and sends its next request when
its previous one has answered (closed loop), so the load is bounded by the connection count
and a slow server slows the generator instead of queueing unbounded work.

The generator runs in the bench process on the machine's cores, beside the server it measures,
so what it costs per request is taken from the server. An httpx client spent about 3.5 ms of
CPU per request here, more than the servers did: the figures measured the client. This one
writes prepared request bytes on a raw asyncio stream (uvloop) and reads the status line and
`Content-Length` body, which costs tens of microseconds. It speaks only what the bench needs:
HTTP/1.1, keep-alive, responses with a Content-Length.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import psutil
import uvloop


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: Any = None  # JSON-serialisable, or None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    closing: bool = False  # the server said `Connection: close`

    def json(self) -> Any:
        return json.loads(self.body)


RequestFor = Callable[[int], Request]
"""The request to send as the `index`-th of a run."""

OnResponse = Callable[[Response], None]


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: tuple[float, ...]
    statuses: dict[int, int]
    server_cpu_seconds: float | None = None  # the CPU time the server process spent meanwhile

    @property
    def server_cpu_ms_per_request(self) -> float | None:
        if self.server_cpu_seconds is None or not self.requests:
            return None
        return self.server_cpu_seconds * 1000 / self.requests

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, fraction: float) -> float:
        return percentile(self.latencies_ms, fraction)

    @property
    def failures(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 400)


def percentile(values: tuple[float, ...] | list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation: a p99 is a latency some request had)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


def encode(request: Request, host: str) -> bytes:
    lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: {host}"]
    lines.extend(f"{name}: {value}" for name, value in request.headers)
    body = b""
    if request.body is not None:
        body = json.dumps(request.body).encode()
        lines.append("Content-Type: application/json")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def send(self, raw: bytes) -> Response:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, _, header_block = head.partition(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length, closing = None, False
        for line in header_block.split(b"\r\n"):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                closing = value.strip().lower() == b"close"
        if length is None:
            raise RuntimeError(f"status {status} without Content-Length: the bench client needs it")
        body = await self.reader.readexactly(length) if length else b""
        return Response(status, body, closing)

    def close(self) -> None:
        self.writer.close()


async def _run(
    base_url: str, request_for: RequestFor, connections: int, total: int, on_response: OnResponse
) -> LoadResult:
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    authority = f"{host}:{port}"
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    counter = iter(range(total))
    # Open every connection before the clock starts.
    pool = [await Connection.open(host, port) for _ in range(connections)]

    async def worker(slot: int) -> None:
        for index in counter:
            raw = encode(request_for(index), authority)
            started = time.perf_counter()
            response = await pool[slot].send(raw)
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[response.status] += 1
            on_response(response)
            if response.closing:  # a real client reconnects; the time to do so counts
                pool[slot].close()
                pool[slot] = await Connection.open(host, port)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker(slot) for slot in range(connections)))
        seconds = time.perf_counter() - started
    finally:
        for connection in pool:
            connection.close()
    return LoadResult(total, seconds, tuple(latencies), dict(statuses))


def run_load(
    base_url: str,
    request_for: RequestFor,
    *,
    connections: int,
    total: int,
    on_response: OnResponse = lambda response: None,
    server_pid: int | None = None,
) -> LoadResult:
    """Run the load; with `server_pid`, also the CPU time that process spent meanwhile (what a
    request costs the server, whatever else shares the cores)."""
    server = psutil.Process(server_pid) if server_pid is not None else None
    before = _cpu_seconds(server) if server else 0.0
    result = uvloop.run(_run(base_url, request_for, connections, total, on_response))
    if server is None:
        return result
    return dataclasses.replace(result, server_cpu_seconds=_cpu_seconds(server) - before)


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system
