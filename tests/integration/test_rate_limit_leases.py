"""Rate limits leased from a budget shared in Redis (interfaces/http/ratelimit.py): two
RateLimiter instances stand for two API processes on the real Redis. Together they never
admit more than the limit in a window, and they refuse no more than the documented slack
(`lease_size - 1` per process) early."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from interfaces.http.ratelimit import RateLimiter
from tests.conftest import free_port

pytestmark = pytest.mark.integration


def _run(redis_url: str, prefix: str, play) -> object:
    """Run `play(first, second, redis)` with two limiters sharing `prefix` on one loop."""

    async def main() -> object:
        redis = Redis.from_url(redis_url)
        try:
            first = RateLimiter(redis, prefix, lease=10)
            second = RateLimiter(redis, prefix, lease=10)
            return await play(first, second, redis)
        finally:
            await redis.aclose()

    return asyncio.run(main())


def test_two_processes_share_one_budget_within_the_documented_slack(redis_url, redis_prefix):
    limit = 400

    async def play(first: RateLimiter, second: RateLimiter, redis: Redis) -> None:
        assert first.lease_size(limit) == 10
        answers = [
            await (first if n % 3 else second).retry_after("principal:t:u", limit)
            for n in range(2 * limit)
        ]
        admitted = sum(answer is None for answer in answers)
        assert limit - 2 * (10 - 1) <= admitted <= limit
        refused = [answer for answer in answers if answer is not None]
        assert all(1 <= wait <= 60 for wait in refused)
        # Redis counted each lease, never a request: far fewer round trips than requests.
        assert int(await redis.get(f"{redis_prefix}rl:principal:t:u")) <= limit + 3 * 10

    _run(redis_url, redis_prefix, play)


def test_concurrent_requests_of_two_processes_never_exceed_the_limit(redis_url, redis_prefix):
    limit = 300

    async def play(first: RateLimiter, second: RateLimiter, redis: Redis) -> int:
        answers = await asyncio.gather(*(
            (first if n % 2 else second).retry_after("ip:10.0.0.1", limit)
            for n in range(3 * limit)
        ))
        return sum(answer is None for answer in answers)

    admitted = _run(redis_url, redis_prefix, play)
    assert 0 < admitted <= limit  # type: ignore[operator]


def test_a_spent_window_is_refused_without_asking_redis_again(redis_url, redis_prefix):
    limit = 40
    key = f"{redis_prefix}rl:principal:t:spent"

    async def play(first: RateLimiter, second: RateLimiter, redis: Redis) -> None:
        while await first.retry_after("principal:t:spent", limit) is None:
            pass
        counted = await redis.get(key)
        waits = [await first.retry_after("principal:t:spent", limit) for _ in range(50)]
        assert all(wait is not None and 1 <= wait <= 60 for wait in waits)
        assert await redis.get(key) == counted
        assert await second.retry_after("principal:t:spent", limit) is not None

    _run(redis_url, redis_prefix, play)


def test_small_limits_are_leased_one_request_at_a_time(redis_url, redis_prefix):
    async def play(first: RateLimiter, second: RateLimiter, redis: Redis) -> list[bool]:
        assert first.lease_size(20) == 1
        return [
            await limiter.retry_after("principal:t:small", 5) is None
            for limiter in (first, second) * 4
        ]

    assert _run(redis_url, redis_prefix, play) == [True] * 5 + [False] * 3


def test_requests_waiting_on_a_lease_are_let_through_when_redis_fails(redis_prefix):
    async def main() -> list[int | None]:
        redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
        try:
            limiter = RateLimiter(redis, redis_prefix, lease=10)
            return await asyncio.gather(
                *(limiter.retry_after("ip:10.0.0.2", 400) for _ in range(20))
            )
        finally:
            await redis.aclose()

    assert asyncio.run(main()) == [None] * 20
