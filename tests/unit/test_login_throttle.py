"""The failed-login policy (domain/login_throttle.py), on a clock of our own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.login_throttle import LOCKOUT, LOCKOUT_THRESHOLD, LoginGuard, wait_after

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def after_failures(count: int, *, gap: timedelta = timedelta(minutes=2)) -> LoginGuard:
    guard, now = LoginGuard(), T0
    for _ in range(count):
        guard = guard.attempted(now)
        now += gap
    return guard


def test_three_failures_cost_nothing_then_each_wait_doubles_up_to_a_minute():
    assert [wait_after(n).total_seconds() for n in range(0, 10)] == [
        0, 0, 0, 1, 2, 4, 8, 16, 32, 60,
    ]


def test_an_attempt_within_the_wait_is_refused_with_what_is_left():
    guard = LoginGuard(5, T0)
    assert guard.retry_after(T0 + timedelta(seconds=1)) == timedelta(seconds=3)
    assert guard.retry_after(T0 + timedelta(seconds=4)) is None


def test_the_tenth_consecutive_failure_locks_the_login_for_fifteen_minutes():
    guard = LoginGuard(LOCKOUT_THRESHOLD - 1, T0).attempted(T0 + timedelta(minutes=1))
    assert guard.locks_now()
    assert guard.is_locked(guard.last_failure_at + LOCKOUT - timedelta(seconds=1))
    assert guard.retry_after(guard.last_failure_at + timedelta(minutes=14)) == timedelta(minutes=1)


def test_a_lock_ends_by_itself_and_the_count_starts_again():
    guard = after_failures(LOCKOUT_THRESHOLD, gap=timedelta(minutes=1))
    later = guard.last_failure_at + LOCKOUT
    assert not guard.is_locked(later) and guard.retry_after(later) is None
    assert guard.attempted(later).failures == 1


def test_failures_further_apart_than_the_window_are_not_consecutive():
    guard = after_failures(12, gap=LOCKOUT)
    assert guard.failures == 1 and not guard.is_locked(guard.last_failure_at)
