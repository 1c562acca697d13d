"""Logging in against real PostgreSQL: throttle and lockout, the second factor, refresh-token
rotation and the revocation list (application/login.py, sessions.py, mfa.py)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pyotp
import pytest
from argon2 import PasswordHasher

from application.eventstore import postgres_env
from application.identity import IdentityApplication, SessionPolicy
from application.login import LoginFailed, Logins, LoginThrottled
from domain.identity import Role
from domain.login_throttle import LOCKOUT
from tests.conftest import FixedClock

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
# Now, to the second: revocations expire by the database's clock.
T0 = datetime.now(UTC).replace(microsecond=0)


def new_identity(database_url: str, poll_seconds: float = 1.0) -> IdentityApplication:
    env = postgres_env(database_url, pool_size=4, max_overflow=2, connect_timeout=5)
    app = IdentityApplication(
        env=env,
        password_hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
        policy=SessionPolicy(revocation_poll_seconds=poll_seconds),
    )
    app.clock = FixedClock(T0)
    return app


@pytest.fixture
def identity(database_url):
    app = new_identity(database_url)
    yield app
    app.close()


@pytest.fixture
def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def user(identity, tenant):
    """(login name, user id) of a new intake user."""
    name = f"user-{uuid.uuid4().hex[:8]}"
    result = identity.create_user(name, PASSWORD, Role.INTAKE, tenant)
    return f"{tenant}/{name}", result.id


def attempt(identity, name: str, password: str, otp: str | None = None) -> str:
    """What a login attempt came to: ok, failed (wrong credentials), mfa_* or throttled."""
    try:
        Logins(identity).log_in(name, password, otp)
    except LoginThrottled as throttled:
        return "locked" if throttled.locked else "throttled"
    except LoginFailed as failed:
        return "failed" if failed.reason == "credentials" else failed.reason
    return "ok"


def fail_ten_times(identity, name: str) -> None:
    """Ten wrong passwords, each after the previous one's wait (at most 60 s)."""
    for _ in range(10):
        assert attempt(identity, name, "wrong horse battery") == "failed"
        identity.clock.at += timedelta(seconds=61)


# --- throttle and lockout -----------------------------------------------------------------


def test_the_eleventh_wrong_password_is_refused_and_so_is_the_right_one_after_it(identity, user):
    name, _ = user
    fail_ten_times(identity, name)
    assert attempt(identity, name, "wrong horse battery") == "locked"
    assert attempt(identity, name, PASSWORD) == "locked"


def test_forty_rapid_guesses_are_throttled_after_the_third_and_the_right_one_too(identity, user):
    name, _ = user
    outcomes = [attempt(identity, name, f"guess number {n:02d} x") for n in range(40)]
    assert outcomes[:3] == ["failed"] * 3 and set(outcomes[3:]) == {"throttled"}
    assert attempt(identity, name, PASSWORD) == "throttled"


def test_concurrent_guesses_cannot_outrun_the_count(identity, user):
    name, _ = user
    outcomes: list[str] = []
    barrier = threading.Barrier(12)

    def guess() -> None:
        barrier.wait()
        outcomes.append(attempt(identity, name, "wrong horse battery"))

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("failed") == 3 and outcomes.count("throttled") == 9


def test_an_unknown_login_name_is_throttled_like_a_known_one(identity, tenant):
    name = f"{tenant}/nobody-{uuid.uuid4().hex[:6]}"
    outcomes = [attempt(identity, name, PASSWORD) for _ in range(5)]
    assert outcomes == ["failed", "failed", "failed", "throttled", "throttled"]


def test_a_success_clears_the_count(identity, user):
    name, _ = user
    for _ in range(3):
        attempt(identity, name, "wrong horse battery")
    identity.clock.at += timedelta(seconds=2)
    assert attempt(identity, name, PASSWORD) == "ok"
    assert [attempt(identity, name, "wrong horse battery") for _ in range(3)] == ["failed"] * 3


def test_a_lock_ends_by_itself_after_fifteen_minutes(identity, user):
    name, _ = user
    fail_ten_times(identity, name)
    identity.clock.at += LOCKOUT - timedelta(seconds=61)
    assert attempt(identity, name, PASSWORD) == "ok"


def test_the_lock_and_an_admins_unlock_are_recorded_and_the_unlock_lets_the_user_in(
    identity, user
):
    name, user_id = user
    fail_ten_times(identity, name)
    identity.unlock(user_id)
    assert attempt(identity, name, PASSWORD) == "ok"
    topics = [type(e).__name__ for e in identity.repository.event_store.get(user_id)]
    assert topics[-2:] == ["LockedOut", "Unlocked"]


# --- the second factor --------------------------------------------------------------------


def enrol(identity, user_id) -> tuple[pyotp.TOTP, list[str]]:
    enrolment = identity.start_mfa_enrolment(user_id)
    totp = pyotp.TOTP(enrolment.secret)
    confirmed = identity.confirm_mfa_enrolment(user_id, totp.at(identity.clock.now()))
    identity.clock.at += timedelta(seconds=30)  # the next code
    return totp, confirmed.recovery_codes


def test_once_enrolled_a_login_needs_the_current_code(identity, user):
    name, user_id = user
    totp, _ = enrol(identity, user_id)
    assert attempt(identity, name, PASSWORD) == "mfa_required"
    an_hour_off = totp.at(identity.clock.now() + timedelta(hours=1))
    assert attempt(identity, name, PASSWORD, an_hour_off) == "mfa_wrong"
    assert attempt(identity, name, PASSWORD, totp.at(identity.clock.now())) == "ok"


def test_a_code_is_accepted_once_only(identity, user):
    name, user_id = user
    totp, _ = enrol(identity, user_id)
    code = totp.at(identity.clock.now())
    assert attempt(identity, name, PASSWORD, code) == "ok"
    assert attempt(identity, name, PASSWORD, code) == "mfa_wrong"


def test_a_recovery_code_opens_one_session_only(identity, user):
    name, user_id = user
    _, codes = enrol(identity, user_id)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert attempt(identity, name, PASSWORD, codes[3].upper()) == "ok"
    assert attempt(identity, name, PASSWORD, codes[3]) == "mfa_wrong"


def test_the_totp_secret_and_recovery_codes_are_not_stored_in_clear(identity, user, database_url):
    _, user_id = user
    enrolment = identity.start_mfa_enrolment(user_id)
    confirmed = identity.confirm_mfa_enrolment(
        user_id, pyotp.TOTP(enrolment.secret).at(identity.clock.now())
    )
    with psycopg.connect(database_url) as conn:
        states = b"".join(
            row[0] for row in conn.execute(
                "SELECT state FROM identity_events WHERE originator_id = %s", (user_id,)
            )
        )
    assert enrolment.secret.encode() not in states
    assert not any(code.encode() in states for code in confirmed.recovery_codes)


def test_a_tenant_that_requires_mfa_holds_unenrolled_users_to_enrolment(identity, user, tenant):
    _, user_id = user
    identity.require_mfa(tenant, True)
    assert identity.user_principal(user_id).mfa_enrolment_required
    enrol(identity, user_id)
    assert not identity.user_principal(user_id).mfa_enrolment_required


def test_an_admin_reset_forgets_the_second_factor(identity, user):
    name, user_id = user
    enrol(identity, user_id)
    identity.reset_mfa(user_id)
    assert attempt(identity, name, PASSWORD) == "ok"


# --- refresh tokens and revocation --------------------------------------------------------


def test_a_refresh_token_is_rotated_on_use(identity, user):
    name, _ = user
    logins = Logins(identity)
    first = logins.log_in(name, PASSWORD)
    second = logins.refresh(first.refresh.token)
    assert second.refresh.token != first.refresh.token
    assert second.refresh.family_id == first.refresh.family_id
    assert logins.refresh(second.refresh.token).principal.id == first.principal.id


def test_reusing_a_spent_refresh_token_revokes_its_whole_session(identity, user):
    name, _ = user
    logins = Logins(identity)
    first = logins.log_in(name, PASSWORD)
    second = logins.refresh(first.refresh.token)
    with pytest.raises(LoginFailed):
        logins.refresh(first.refresh.token)  # stolen and replayed
    with pytest.raises(LoginFailed):
        logins.refresh(second.refresh.token)  # the legitimate holder's is void too
    assert identity.revocations.revoked_since(T0.timestamp(), first.refresh.family_id)


def test_deactivating_a_user_voids_their_refresh_tokens(identity, user):
    name, user_id = user
    session = Logins(identity).log_in(name, PASSWORD)
    identity.deactivate_user(user_id)
    with pytest.raises(LoginFailed):
        Logins(identity).refresh(session.refresh.token)


def test_a_revocation_reaches_another_process_within_its_poll_bound(identity, user, database_url):
    name, user_id = user
    other = new_identity(database_url, poll_seconds=0.2)
    try:
        other.revocations.reload()
        issued_at = T0.timestamp() - 1
        assert not other.revocations.revoked_since(issued_at, user_id)
        identity.deactivate_user(user_id)
        assert identity.revocations.revoked_since(issued_at, user_id)  # here at once
        threading.Event().wait(0.2)
        assert other.revocations.is_stale()
        other.revocations.reload()
        assert other.revocations.revoked_since(issued_at, user_id)
    finally:
        other.close()


def test_the_code_that_confirmed_the_enrolment_cannot_log_in(identity, user):
    name, user_id = user
    enrolment = identity.start_mfa_enrolment(user_id)
    code = pyotp.TOTP(enrolment.secret).at(identity.clock.now())
    identity.confirm_mfa_enrolment(user_id, code)
    assert attempt(identity, name, PASSWORD, code) == "mfa_wrong"
