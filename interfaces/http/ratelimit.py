"""Rate limits in Redis: per client IP (middleware, before authentication, so password guessing
is limited too) and per principal (in `current_principal`, once the caller is known).

A fixed window per key: the first hit creates the counter with a 60 s expiry, in one Lua call
(INCR + EXPIRE are atomic together, so a crash cannot leave a counter that never expires). Over
the limit the answer is a 429 problem whose Retry-After is the window's remaining time.
If Redis fails, requests are let through and a warning is logged: a broken limiter must not
take the API down.
"""

from __future__ import annotations

import structlog
from fastapi import Request
from redis.asyncio import Redis
from redis.exceptions import RedisError

from application.identity import Principal
from interfaces.http.problems import ProblemError

WINDOW_SECONDS = 60
UNLIMITED_PATHS = frozenset({"/health", "/ready", "/metrics"})
log = structlog.get_logger("aries.http.ratelimit")

_HIT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


class RateLimiter:
    def __init__(self, redis: Redis, key_prefix: str) -> None:
        self._hit = redis.register_script(_HIT)
        self._prefix = f"{key_prefix}rl:"

    async def retry_after(self, bucket: str, limit: int) -> int | None:
        """Count a hit on `bucket`: None while within `limit` per window, else the seconds
        until the window ends."""
        try:
            count, ttl = await self._hit(keys=[self._prefix + bucket], args=[WINDOW_SECONDS])
        except RedisError as error:
            log.warning("rate limiter unavailable", error=type(error).__name__)
            return None
        return None if int(count) <= limit else max(int(ttl), 1)


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
