"""Interchange control numbers from Redis, without a migration.

ISA13 must be unique per sender and receiver and should increase. One atomic Lua step takes
max(stored value, seconds since 2020-01-01 UTC) + 1, so:
- every process and thread gets a different, increasing number (Redis runs the step alone);
- if Redis loses the key (a flush, a restart without persistence), numbering resumes above the
  clock instead of at 1, so numbers already sent are not reused, as long as Aries has sent
  fewer than one interchange per second on average (batches go out per minute and tenant).
Nine digits of seconds last until 2051; `next_interchange` refuses to wrap before then.
A PostgreSQL sequence would be stricter still; it needs a migration.
"""

from __future__ import annotations

from datetime import UTC, datetime

import redis

from application.ports import Clock, SystemClock, TransientFailure
from application.x12.envelope import MAX_CONTROL_NUMBER

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
_NEXT = """
local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[1])
local value = math.max(stored, floor) + 1
redis.call('SET', KEYS[1], value)
return value
"""


class ControlNumbersUnavailable(TransientFailure):
    """Redis did not answer: no interchange goes out without its control number."""


class RedisControlNumbers:
    def __init__(self, client: redis.Redis, key_prefix: str, clock: Clock | None = None) -> None:
        self.client = client
        self.key = f"{key_prefix}x12:interchange-control-number"
        self.clock = clock or SystemClock()
        self._next = client.register_script(_NEXT)

    def next_interchange(self) -> int:
        floor = int((self.clock.now() - EPOCH).total_seconds())
        try:
            number = int(self._next(keys=[self.key], args=[floor]))
        except redis.RedisError as failed:
            raise ControlNumbersUnavailable("Redis did not give a control number") from failed
        if number > MAX_CONTROL_NUMBER:
            raise RuntimeError("interchange control numbers are exhausted (nine digits)")
        return number
