"""Identity over HTTP (issue 19's findings, each shown fixed): login throttling and lockout,
password rules, the user lifecycle, TOTP, token revocation reaching every process, refresh-token
rotation, and usernames unique per tenant."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient

from domain.identity import Role
from interfaces.http.app import create_app
from tests.conftest import FixedClock, aries_on
from tests.e2e.conftest import PASSWORD, aries_of, headers_for, login, new_user

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"


def bearer_of(response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def me(api: TestClient, headers: dict[str, str]):
    return api.get("/v1/users/me", headers=headers)


# --- finding: no lockout or throttle per account ------------------------------------------


@contextmanager
def stepping_clock(api: TestClient) -> Iterator[FixedClock]:
    """The Identity application on a clock the test moves (put back afterwards)."""
    identity = aries_of(api).identity
    running, identity.clock = identity.clock, FixedClock(datetime.now(UTC))
    try:
        yield identity.clock
    finally:
        identity.clock = running


def test_forty_wrong_passwords_then_the_right_one_does_not_log_in(api, tenant):
    name, _ = new_user(api, Role.ADMIN, tenant)
    with stepping_clock(api) as clock:
        statuses = []
        for n in range(40):  # the first ten after each wait (at most 60 s), so each counts
            statuses.append(login(api, name, f"wrong guess {n:02d} x").status_code)
            clock.at += timedelta(seconds=61 if n < 9 else 1)
        right = login(api, name)
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    assert right.status_code == 429
    assert right.headers["content-type"] == PROBLEM and int(right.headers["retry-after"]) >= 1
    assert "locked" in right.json()["detail"]


def test_rapid_guesses_are_throttled_after_the_third(api, tenant):
    name, _ = new_user(api, Role.ADMIN, tenant)
    with stepping_clock(api):
        statuses = [login(api, name, f"wrong guess {n:02d} x").status_code for n in range(10)]
        right = login(api, name)
    assert statuses == [401] * 3 + [429] * 7 and right.status_code == 429
    assert right.json()["type"] == "https://aries.dev/problems/login-throttled"


def test_an_admin_unlocks_a_throttled_user_over_http(api, tenant):
    name, user_id = new_user(api, Role.INTAKE, tenant)
    for _ in range(4):
        login(api, name, "wrong horse battery")
    admin = headers_for(api, Role.ADMIN, tenant)
    assert api.post(f"/v1/users/{user_id}/unlock", headers=admin).status_code == 200
    assert login(api, name).status_code == 200


# --- finding: weak passwords accepted ------------------------------------------------------


@pytest.mark.parametrize("password", ["password12", "qwertyuiop", "{username}"])
def test_common_and_account_passwords_are_refused_with_the_rule(api, tenant, password):
    admin = headers_for(api, Role.ADMIN, tenant)
    username = f"weak-{uuid.uuid4().hex[:8]}"
    body = {"username": username, "password": password.format(username=username),
            "role": "intake"}
    response = api.post("/v1/users", json=body, headers=admin)
    assert response.status_code == 409
    assert response.json()["rule"] in (
        "password_is_long_enough", "password_is_not_common", "password_is_not_about_the_account",
    )


def test_even_where_eight_characters_do_password12_is_refused_as_common(api, tenant):
    admin = headers_for(api, Role.ADMIN, tenant)
    assert api.put("/v1/auth/policy", json={"mfa_required": True},
                   headers=admin).status_code == 200
    body = {"username": f"weak-{uuid.uuid4().hex[:8]}", "password": "password12", "role": "intake"}
    response = api.post("/v1/users", json=body, headers=admin)
    assert response.json()["rule"] == "password_is_not_common"


# --- finding: no lifecycle over the API ----------------------------------------------------


def test_an_admin_lists_the_users_of_their_tenant_only(api, tenant):
    admin = headers_for(api, Role.ADMIN, tenant)
    _, intake_id = new_user(api, Role.INTAKE, tenant)
    new_user(api, Role.INTAKE, f"{tenant}-other")
    position = aries_of(api).identity.recorder.max_notification_id()
    response = api.get("/v1/users", params={"min_position": position}, headers=admin)
    assert response.status_code == 200
    items = response.json()["items"]
    assert intake_id in {item["id"] for item in items}
    assert {item["tenant_id"] for item in items} == {tenant}


def test_deactivation_ends_the_users_sessions_at_once(api, tenant):
    name, user_id = new_user(api, Role.INTAKE, tenant)
    user = bearer_of(login(api, name))
    admin = headers_for(api, Role.ADMIN, tenant)
    assert api.post(f"/v1/users/{user_id}/deactivation", headers=admin).status_code == 200
    assert me(api, user).status_code == 401
    assert login(api, name).status_code == 401


def test_a_role_change_needs_the_current_version_and_takes_effect_at_next_login(api, tenant):
    name, user_id = new_user(api, Role.INTAKE, tenant)
    admin = headers_for(api, Role.ADMIN, tenant)
    stale = api.put(f"/v1/users/{user_id}/role", json={"role": "biller"},
                    headers={**admin, "If-Match": '"7"'})
    assert stale.status_code == 412
    version = api.get(f"/v1/users/{user_id}", headers=admin).headers["etag"]
    changed = api.put(f"/v1/users/{user_id}/role", json={"role": "biller"},
                      headers={**admin, "If-Match": version})
    assert changed.status_code == 200
    assert me(api, bearer_of(login(api, name))).json()["role"] == "biller"


def test_an_admin_resets_a_password(api, tenant):
    name, user_id = new_user(api, Role.INTAKE, tenant)
    admin = headers_for(api, Role.ADMIN, tenant)
    response = api.post(f"/v1/users/{user_id}/password",
                        json={"password": "violet kettle marathon"}, headers=admin)
    assert response.status_code == 200
    assert login(api, name).status_code == 401
    assert login(api, name, "violet kettle marathon").status_code == 200


def test_a_user_changes_their_own_password_given_the_current_one(api, tenant):
    name, _ = new_user(api, Role.CLINICIAN, tenant)
    user = bearer_of(login(api, name))
    wrong = api.post("/v1/users/me/password", headers=user,
                     json={"current_password": "not it at all", "new_password": "violet kettle 9"})
    assert wrong.status_code == 409
    right = api.post("/v1/users/me/password", headers=user,
                     json={"current_password": PASSWORD, "new_password": "violet kettle marathon"})
    assert right.status_code == 200
    assert login(api, name, "violet kettle marathon").status_code == 200


def test_lifecycle_changes_are_events_naming_the_admin(api, tenant):
    _, user_id = new_user(api, Role.INTAKE, tenant)
    admin_name, admin_id = new_user(api, Role.ADMIN, tenant)
    admin = bearer_of(login(api, admin_name))
    api.delete(f"/v1/users/{user_id}/sessions", headers=admin)
    api.post(f"/v1/users/{user_id}/deactivation", headers=admin)
    events = list(aries_of(api).identity.repository.event_store.get(uuid.UUID(user_id)))
    assert [(type(e).__name__, e.actor_id) for e in events[1:]] == [
        ("SessionsRevoked", admin_id), ("Deactivated", admin_id),
    ]


def test_another_tenants_user_is_not_found(api, tenant):
    _, user_id = new_user(api, Role.INTAKE, f"{tenant}-other")
    admin = headers_for(api, Role.ADMIN, tenant)
    response = api.post(f"/v1/users/{user_id}/deactivation", headers=admin)
    assert response.status_code == 404


def test_an_admin_neither_deactivates_nor_demotes_themselves(api, tenant):
    """A tenant whose only admin did either would have nobody left to manage its users."""
    name, admin_id = new_user(api, Role.ADMIN, tenant)
    admin = bearer_of(login(api, name))
    version = api.get(f"/v1/users/{admin_id}", headers=admin).headers["etag"]

    demoted = api.put(f"/v1/users/{admin_id}/role", json={"role": "biller"}, headers=admin)
    deactivated = api.post(f"/v1/users/{admin_id}/deactivation", headers=admin)

    assert (demoted.status_code, demoted.headers["content-type"]) == (409, PROBLEM)
    assert demoted.json()["rule"] == "users_do_not_change_their_own_role"
    assert (deactivated.status_code, deactivated.headers["content-type"]) == (409, PROBLEM)
    assert deactivated.json()["rule"] == "users_do_not_deactivate_themselves"
    assert api.get(f"/v1/users/{admin_id}", headers=admin).headers["etag"] == version
    assert me(api, admin).json()["role"] == "admin"
    other = headers_for(api, Role.ADMIN, tenant)  # another admin still may
    assert api.post(f"/v1/users/{admin_id}/deactivation", headers=other).status_code == 200


# --- finding: no MFA ---------------------------------------------------------------------


def enrol(api: TestClient, headers: dict[str, str]) -> tuple[pyotp.TOTP, list[str]]:
    started = api.post("/v1/users/me/mfa", headers=headers)
    assert started.status_code == 200, started.text
    assert started.json()["provisioning_uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(started.json()["secret"])
    confirmed = api.post("/v1/users/me/mfa/confirmation", json={"code": totp.now()},
                         headers=headers)
    assert confirmed.status_code == 200, confirmed.text
    return totp, confirmed.json()["recovery_codes"]


def test_once_enrolled_logging_in_takes_a_totp_code(api, tenant):
    name, _ = new_user(api, Role.CLINICIAN, tenant)
    user = bearer_of(login(api, name))
    totp, codes = enrol(api, user)
    assert me(api, user).status_code == 401  # the password-only session has ended
    without = login(api, name)
    assert without.status_code == 401 and without.json()["mfa_required"] is True
    assert len(codes) == 10
    assert login(api, name, otp=codes[0]).status_code == 200
    assert login(api, name, otp=codes[0]).status_code == 401  # a recovery code works once


def test_a_tenant_requiring_mfa_holds_users_to_enrolment_first(api, tenant):
    admin_name, _ = new_user(api, Role.ADMIN, tenant)
    admin = bearer_of(login(api, admin_name))
    assert api.put("/v1/auth/policy", json={"mfa_required": True},
                   headers=admin).status_code == 200
    name, _ = new_user(api, Role.INTAKE, tenant)
    user = bearer_of(login(api, name))
    refused = api.get("/v1/patients", headers=user)
    assert refused.status_code == 403
    assert refused.json()["type"] == "https://aries.dev/problems/mfa-enrolment-required"
    assert me(api, user).json()["mfa_enrolment_required"] is True
    _, recovery_codes = enrol(api, user)  # (its code is spent: a code is accepted once)
    user = bearer_of(login(api, name, otp=recovery_codes[0]))
    assert api.get("/v1/patients", headers=user).status_code == 200


def test_an_admin_resets_a_lost_second_factor(api, tenant):
    name, user_id = new_user(api, Role.CLINICIAN, tenant)
    enrol(api, bearer_of(login(api, name)))
    admin = headers_for(api, Role.ADMIN, tenant)
    assert api.delete(f"/v1/users/{user_id}/mfa", headers=admin).status_code == 200
    assert login(api, name).status_code == 200


# --- finding: tokens cannot be revoked before they expire ----------------------------------


def test_logging_out_ends_the_access_and_refresh_tokens(api, tenant):
    name, _ = new_user(api, Role.BILLER, tenant)
    issued = login(api, name).json()
    user = {"Authorization": f"Bearer {issued['access_token']}"}
    assert me(api, user).status_code == 200  # verified and cached
    assert api.post("/v1/auth/logout", json={"all_sessions": False},
                    headers=user).status_code == 204
    assert me(api, user).status_code == 401  # the cache does not skip the revocation list
    refreshed = api.post("/v1/auth/token", data={
        "grant_type": "refresh_token", "refresh_token": issued["refresh_token"]})
    assert refreshed.status_code == 401


def test_a_logout_reaches_another_api_process_within_the_poll_bound(api, api_aries, tenant):
    name, _ = new_user(api, Role.BILLER, tenant)
    user = bearer_of(login(api, name))
    with aries_on(api_aries.settings.database_url, api_aries.settings.redis_url,
                  revocation_poll_seconds=1.0) as other_aries, \
            TestClient(create_app(other_aries)) as other:
        assert me(other, user).status_code == 200
        api.post("/v1/auth/logout", json={"all_sessions": True}, headers=user)
        logged_out = time.monotonic()
        while me(other, user).status_code == 200:
            assert time.monotonic() - logged_out < 1.5, "still accepted after the poll bound"
            time.sleep(0.05)


def test_a_refresh_token_works_once_and_its_reuse_ends_the_session(api, tenant):
    name, _ = new_user(api, Role.BILLER, tenant)
    first = login(api, name).json()

    def refresh(token: str):
        return api.post("/v1/auth/token",
                        data={"grant_type": "refresh_token", "refresh_token": token})

    second = refresh(first["refresh_token"])
    assert second.status_code == 200
    assert refresh(first["refresh_token"]).status_code == 401  # replayed: the family is revoked
    assert refresh(second.json()["refresh_token"]).status_code == 401
    assert me(api, bearer_of(second)).status_code == 401


# --- finding: usernames are global -------------------------------------------------------


def test_a_username_taken_in_another_tenant_is_free_in_yours(api, tenant):
    username = f"shared-{uuid.uuid4().hex[:8]}"
    aries_of(api).identity.create_user(username, PASSWORD, Role.INTAKE, f"{tenant}-other")
    admin = headers_for(api, Role.ADMIN, tenant)
    body = {"username": username, "password": PASSWORD, "role": "clinician"}
    assert api.post("/v1/users", json=body, headers=admin).status_code == 201
    assert me(api, bearer_of(login(api, f"{tenant}/{username}"))).json()["role"] == "clinician"
    assert me(api, bearer_of(login(api, f"{tenant}-other/{username}"))).json()["role"] == "intake"


def test_a_login_without_a_tenant_is_answered_like_a_wrong_password(api, tenant):
    name, _ = new_user(api, Role.INTAKE, tenant)
    response = login(api, name.split("/")[1])
    assert response.status_code == 401
    assert response.json()["detail"] == "the username or password is wrong"


# --- issue 18: a token is verified once per process --------------------------------------


def test_a_token_is_verified_once_and_the_cache_never_skips_the_revocation_list(api, tenant):
    name, _ = new_user(api, Role.BILLER, tenant)
    user = bearer_of(login(api, name))
    authenticator = api.app.state.authenticator
    real, decoded = authenticator.tokens, []

    class Counting:
        def decode(self, token: str):
            decoded.append(token)
            return real.decode(token)

    authenticator.tokens = Counting()
    try:
        assert [me(api, user).status_code for _ in range(5)] == [200] * 5
        api.post("/v1/auth/logout", json={"all_sessions": False}, headers=user)
        assert me(api, user).status_code == 401
    finally:
        authenticator.tokens = real
    assert len(decoded) == 1
