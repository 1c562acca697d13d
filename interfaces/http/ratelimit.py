"""Rate limits shared through Redis: per client IP (middleware, before authentication, so
password guessing is limited too) and per principal (in `current_principal`, once the caller
is known).

A fixed window per key in Redis counts the requests the whole cluster may answer: the first
lease creates the counter with a 60 s expiry, in one Lua call (INCRBY + PEXPIRE are atomic
together, so a crash cannot leave a counter that never expires). A process does not ask Redis
for every request: it leases a few of the window's requests at once (`lease_size`, at most
`rate_limit_lease`, at most a twentieth of the limit) and answers from its lease until it is
used up, so most requests take no round trip. Once Redis reports the window's budget spent,
the process refuses that key until the window ends without asking again.

What this guarantees: the cluster never answers more than the limit in a window (a lease is
only ever granted from what is left: the part of a lease past the limit is not granted, and a
lease lapses locally no later than its window does in Redis). What it costs: requests leased by
one process and not used there are refused elsewhere, so a key may be refused up to
`lease_size - 1` requests early per process that holds a lease for it. A process asks Redis
for one lease per key at a time (requests of that key arriving meanwhile wait for its answer).
Limits under 40 per minute lease one request at a time, exactly as before.

Over the limit the answer is a 429 problem whose Retry-After is the window's remaining time.
If Redis fails, requests are let through and a warning is logged: a broken limiter must not
take the API down.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from dataclasses import dataclass

import structlog
from fastapi import Request
from redis.asyncio import Redis
from redis.exceptions import RedisError

from application.identity import Principal
from interfaces.http.problems import ProblemError

WINDOW_SECONDS = 60
DEFAULT_LEASE = 50  # ARIES_RATE_LIMIT_LEASE's default
UNLIMITED_PATHS = frozenset({"/health", "/ready", "/metrics"})
log = structlog.get_logger("aries.http.ratelimit")

_LEASE = """
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


@dataclass
class _Lease:
    """What this process may still answer for one key in the current window."""

    tokens: int
    deadline: float  # time.monotonic() at which the window may have ended in Redis
    spent: bool  # Redis has no more for this window: refuse without asking


class RateLimiter:
    MAX_KEYS = 10_000  # leases kept per process (least recently used dropped first)

    def __init__(self, redis: Redis, key_prefix: str, *, lease: int = DEFAULT_LEASE) -> None:
        self._lease = redis.register_script(_LEASE)
        self._prefix = f"{key_prefix}rl:"
        self.lease = lease
        self._leases: OrderedDict[str, _Lease] = OrderedDict()
        self._asking: dict[str, asyncio.Future[bool]] = {}

    def lease_size(self, limit: int) -> int:
        """How many requests of a window this process takes from Redis at once."""
        return max(1, min(self.lease, limit // 20))

    async def retry_after(self, bucket: str, limit: int) -> int | None:
        """Count a hit on `bucket`: None while within `limit` per window, else the seconds
        until the window ends."""
        loop = asyncio.get_running_loop()
        while True:
            now = time.monotonic()
            held = self._leases.get(bucket)
            if held is not None and held.deadline > now:
                self._leases.move_to_end(bucket)
                if held.tokens > 0:
                    held.tokens -= 1
                    return None
                if held.spent:
                    return max(math.ceil(held.deadline - now), 1)
            asking = self._asking.get(bucket)
            if asking is None or asking.get_loop() is not loop:
                break
            # One lease request per key at a time: the others wait for its answer.
            if not await asyncio.shield(asking):
                return None  # Redis failed for the request they waited on: let them through
        asking = self._asking[bucket] = loop.create_future()
        # Cancelled (the client left) counts as answered: the waiters then ask for themselves.
        answered = True
        try:
            answered, wait = await self._ask(bucket, limit, now)
            return wait
        finally:
            if self._asking.get(bucket) is asking:
                del self._asking[bucket]
            if not asking.done():
                asking.set_result(answered)

    async def _ask(self, bucket: str, limit: int, now: float) -> tuple[bool, int | None]:
        """Lease from Redis: (whether Redis answered, what `retry_after` answers)."""
        size = self.lease_size(limit)
        try:
            count, ttl_ms = await self._lease(
                keys=[self._prefix + bucket], args=[WINDOW_SECONDS * 1000, size]
            )
        except RedisError as error:
            log.warning("rate limiter unavailable", error=type(error).__name__)
            return False, None
        count, ttl_ms = int(count), int(ttl_ms)
        # `now` was taken before Redis read the expiry, so the lease lapses here first.
        lease = self._add(bucket, _Lease(
            tokens=max(0, min(size, limit - (count - size))),
            deadline=now + ttl_ms / 1000,
            spent=count >= limit,
        ))
        if lease.tokens > 0:
            lease.tokens -= 1
            return True, None
        return True, max(math.ceil(ttl_ms / 1000), 1)

    def _add(self, bucket: str, granted: _Lease) -> _Lease:
        """Keep `granted`, or add it to a lease another request of this process took
        meanwhile (it ends with the earlier deadline: never later than either window)."""
        held = self._leases.get(bucket)
        if held is None or held.deadline <= time.monotonic():
            self._leases[bucket] = held = granted
            if len(self._leases) > self.MAX_KEYS:
                self._leases.popitem(last=False)
        else:
            held.tokens += granted.tokens
            held.deadline = min(held.deadline, granted.deadline)
            held.spent = held.spent or granted.spent
        self._leases.move_to_end(bucket)
        return held


def too_many_requests(retry_after: int) -> ProblemError:
    return ProblemError(
        429, "Too many requests", f"try again in {retry_after} s",
        type_="https://aries.dev/problems/rate-limited",
        headers={"Retry-After": str(retry_after)},
    )


async def limit_principal(request: Request, principal: Principal) -> None:
    """429 once the principal has used its requests for this minute."""
    limiter: RateLimiter = request.app.state.rate_limiter
    limit = request.app.state.aries.settings.rate_limit_per_minute
    wait = await limiter.retry_after(f"principal:{principal.tenant_id}:{principal.id}", limit)
    if wait is not None:
        raise too_many_requests(wait)
