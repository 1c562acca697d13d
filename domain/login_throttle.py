"""How many wrong logins an account may take, and how fast: NIST SP 800-63B (revision 4)
section 3.2.2 "Rate Limiting (Throttling)": verifiers "SHALL implement a rate-limiting
mechanism that effectively limits the number of consecutive failed authentication attempts
that can be made on the subscriber's account" (to no more than 100), and "MAY" make the
claimant wait between attempts, increasing the wait as failures accumulate.

Aries' policy, per login name (known or not, so the answers do not tell an attacker which
names exist):
- The first 3 consecutive failures cost nothing; after the 3rd, the next attempt must wait 1 s,
  then 2, 4, 8, 16, 32 and at most 60 s (an attempt sooner is refused unchecked).
- The 10th consecutive failure locks the login name for 15 minutes: every attempt is refused,
  the right password too. An admin may unlock it sooner (`aries users unlock`,
  `POST /v1/users/{id}/unlock`).
- Failures are consecutive within a 15-minute window: one older than that starts the count
  again, which is also how a lock ends by itself.
- An attempt counts as a failure until it has succeeded (counted before the password is
  checked, so concurrent guesses are throttled too); a full success, password and any second
  factor, clears the count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

THROTTLE_AFTER = 3
LOCKOUT_THRESHOLD = 10
LONGEST_THROTTLE = timedelta(seconds=60)
LOCKOUT = timedelta(minutes=15)
WINDOW = LOCKOUT


def wait_after(failures: int) -> timedelta:
    """How long after the last of `failures` consecutive failures the next attempt may come."""
    if failures >= LOCKOUT_THRESHOLD:
        return LOCKOUT
    if failures < THROTTLE_AFTER:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - THROTTLE_AFTER)), LONGEST_THROTTLE)


@dataclass(frozen=True)
class LoginGuard:
    """The consecutive failed logins of one login name."""

    failures: int = 0
    last_failure_at: datetime | None = None

    def current(self, now: datetime) -> LoginGuard:
        """The guard as it counts at `now`: failures older than the window are forgotten."""
        if self.last_failure_at is None or now - self.last_failure_at >= WINDOW:
            return LoginGuard()
        return self

    def retry_after(self, now: datetime) -> timedelta | None:
        """How long until an attempt is accepted, or None if one is accepted now."""
        guard = self.current(now)
        if guard.last_failure_at is None:
            return None
        wait = guard.last_failure_at + wait_after(guard.failures) - now
        return wait if wait > timedelta(0) else None

    def is_locked(self, now: datetime) -> bool:
        return self.current(now).failures >= LOCKOUT_THRESHOLD

    def attempted(self, now: datetime) -> LoginGuard:
        """The guard once an attempt at `now` is counted as a failure."""
        return LoginGuard(self.current(now).failures + 1, now)

    def locks_now(self) -> bool:
        """Whether this count is the failure that locks the login name."""
        return self.failures == LOCKOUT_THRESHOLD
