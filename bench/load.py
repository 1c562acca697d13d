"""A bounded load generator: N connections on loopback, a fixed number of requests.

`connections` coroutines share one httpx.AsyncClient whose pool holds exactly that many
connections; each sends its next request when its previous one has answered (closed loop), so
the load is bounded by the connection count and a slow server slows the generator instead of
queueing unbounded work. The generator runs in the bench process, which shares the machine's
cores with the server it measures: it caps what any server can show (the baseline too).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

Send = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: tuple[float, ...]
    statuses: dict[int, int]

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


async def _run(base_url: str, send: Send, connections: int, total: int) -> LoadResult:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    counter = iter(range(total))
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0) as client:

        async def worker() -> None:
            for index in counter:
                started = time.perf_counter()
                response = await send(client, index)
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[response.status_code] += 1

        # Open every connection before the clock starts.
        await asyncio.gather(*(client.get("/health") for _ in range(connections)))
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        seconds = time.perf_counter() - started
    return LoadResult(total, seconds, tuple(latencies), dict(statuses))


def run_load(base_url: str, send: Send, *, connections: int, total: int) -> LoadResult:
    return asyncio.run(_run(base_url, send, connections, total))
