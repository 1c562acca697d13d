"""The HTTP platform over real PostgreSQL and Redis: authentication, permissions, rate limits,
idempotency, metrics, security headers, size limit, and the EventContext reaching events.

Each test gets its own Redis key prefix (deleted afterwards, by prefix only) and its own users.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Annotated

import jwt
import pytest
import redis
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from application.identity import Principal
from domain.identity import Role
from interfaces.bootstrap import Aries, bootstrap
from interfaces.http.app import create_app
from interfaces.http.permissions import PERMISSIONS, require
from interfaces.settings import Settings
from tests.e2e.conftest import PASSWORD, aries_of, headers_for, login, new_user

pytestmark = pytest.mark.e2e

TENANT = "acme"
PROBLEM = "application/problem+json"


@pytest.fixture
def start(database_url, redis_url, redis_prefix) -> Iterator[Callable[..., TestClient]]:
    """Start the API with settings changes (and routes a test adds); stopped after the test."""
    started: list[tuple[Aries, TestClient]] = []

    def _start(configure: Callable[[FastAPI], None] | None = None, **changes) -> TestClient:
        settings = Settings(
            database_url=database_url,
            redis_url=redis_url,
            environment="test",
            redis_key_prefix=redis_prefix,
            db_pool_size=1,  # six event stores, beside the e2e product's: within 100 connections
            db_max_overflow=4,
            read_pool_size=1,
            **changes,
        )
        aries = bootstrap(settings)
        app = create_app(aries)
        if configure is not None:
            configure(app)
        client = TestClient(app)
        client.__enter__()
        started.append((aries, client))
        return client

    yield _start
    for aries, client in started:
        client.__exit__(None, None, None)
        aries.close()


@pytest.fixture
def client(start) -> TestClient:
    return start()


def bearer(client: TestClient, role: Role = Role.ADMIN, tenant: str = TENANT) -> dict[str, str]:
    return headers_for(client, role, tenant)


def new_user_body(**changes) -> dict:
    return {
        "username": f"new-{uuid.uuid4().hex[:10]}", "password": PASSWORD, "role": "intake",
        **changes,
    }


# --- authentication -----------------------------------------------------------------------


def test_login_answers_a_bearer_token_with_the_users_claims(client):
    username, user_id = new_user(client, Role.BILLER, TENANT)
    response = login(client, username)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert (claims["sub"], claims["role"], claims["tenant"]) == (user_id, "biller", "acme")
    assert {"exp", "iat", "jti"} <= claims.keys()


def test_a_token_authenticates_requests(client):
    response = client.get("/v1/users/me", headers=bearer(client, Role.CLINICIAN))
    assert response.status_code == 200
    assert (response.json()["role"], response.json()["kind"]) == ("clinician", "user")


def test_a_wrong_password_is_401_problem(client):
    username, _ = new_user(client, Role.ADMIN, TENANT)
    response = login(client, username, PASSWORD + "x")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert PASSWORD not in response.text


def test_an_unknown_user_is_answered_like_a_wrong_password(client):
    response = login(client, f"nobody-{uuid.uuid4().hex[:8]}")
    assert response.status_code == 401
    assert response.json()["detail"] == "the username or password is wrong"


def test_a_request_without_credentials_is_401_with_a_challenge(client):
    response = client.get("/v1/users/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"] == 'Bearer realm="aries"'


def test_a_forged_token_is_401(client):
    forged = jwt.encode(
        {"sub": str(uuid.uuid4()), "role": "admin", "tenant": "acme", "iat": 0,
         "exp": 4_000_000_000, "jti": "x", "iss": "aries"},
        "not-the-secret-not-the-secret-not-the-secret", algorithm="HS256",
    )
    response = client.get("/v1/users/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_a_deactivated_users_token_stops_working(start):
    client = start(auth_cache_seconds=0)
    username, user_id = new_user(client, Role.INTAKE, TENANT)
    headers = {"Authorization": f"Bearer {login(client, username).json()['access_token']}"}
    aries_of(client).identity.deactivate_user(uuid.UUID(user_id))
    assert client.get("/v1/users/me", headers=headers).status_code == 401


# --- API keys -----------------------------------------------------------------------------


def test_an_admin_issues_an_api_key_that_authenticates_requests(client):
    response = client.post(
        "/v1/api-keys", json={"name": "clearinghouse", "role": "biller"}, headers=bearer(client)
    )
    assert response.status_code == 201
    issued = response.json()
    assert response.headers["etag"] == f'"{issued["version"]}"'
    me = client.get("/v1/users/me", headers={"X-API-Key": issued["key"]})
    assert me.status_code == 200
    assert (me.json()["kind"], me.json()["role"], me.json()["id"]) == (
        "api_key", "biller", issued["id"],
    )


def test_a_revoked_api_key_is_401(client):
    admin = bearer(client)
    issued = client.post(
        "/v1/api-keys", json={"name": "lab feed", "role": "intake"}, headers=admin
    ).json()
    key = {"X-API-Key": issued["key"]}
    assert client.get("/v1/users/me", headers=key).status_code == 200

    revoked = client.delete(f"/v1/api-keys/{issued['id']}", headers=admin)

    assert revoked.status_code == 200 and revoked.json()["version"] == 2
    response = client.get("/v1/users/me", headers=key)
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM


def test_revoking_with_a_stale_if_match_is_412_with_the_current_etag(client):
    admin = bearer(client)
    issued = client.post("/v1/api-keys", json={"name": "feed", "role": "intake"}, headers=admin)
    url = f"/v1/api-keys/{issued.json()['id']}"

    stale = client.delete(url, headers={**admin, "If-Match": '"7"'})
    current = client.delete(url, headers={**admin, "If-Match": issued.headers["etag"]})

    assert (stale.status_code, stale.headers["etag"]) == (412, '"1"')
    assert stale.headers["content-type"] == PROBLEM
    assert (current.status_code, current.headers["etag"]) == (200, '"2"')


def test_an_unknown_api_key_is_401(client):
    response = client.get("/v1/users/me", headers={"X-API-Key": "aries_0123456789ab_" + "x" * 43})
    assert response.status_code == 401


def test_an_admin_cannot_revoke_another_tenants_key(client):
    issued = client.post(
        "/v1/api-keys", json={"name": "feed", "role": "intake"}, headers=bearer(client)
    ).json()
    other_admin = bearer(client, Role.ADMIN, tenant="other")
    response = client.delete(f"/v1/api-keys/{issued['id']}", headers=other_admin)
    assert response.status_code == 404


# --- permissions --------------------------------------------------------------------------


def test_a_role_without_the_permission_gets_403_problem(client):
    response = client.post("/v1/users", json=new_user_body(), headers=bearer(client, Role.INTAKE))
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["operation"] == "create_user"


def test_an_api_key_acts_in_its_own_role(client):
    issued = client.post(
        "/v1/api-keys", json={"name": "reports", "role": "analyst"}, headers=bearer(client)
    ).json()
    response = client.post(
        "/v1/users", json=new_user_body(), headers={"X-API-Key": issued["key"]}
    )
    assert response.status_code == 403


def test_a_tenant_admin_cannot_create_users_in_another_tenant(client):
    response = client.post(
        "/v1/users", json=new_user_body(tenant_id="other"), headers=bearer(client)
    )
    assert response.status_code == 403


def test_an_admin_creates_a_user_who_can_log_in(client):
    body = new_user_body(role="clinician")
    response = client.post("/v1/users", json=body, headers=bearer(client))
    assert response.status_code == 201
    assert response.headers["location"] == f"/v1/users/{response.json()['id']}"
    assert login(client, f"{TENANT}/{body['username']}").status_code == 200


def test_a_taken_username_is_a_409_naming_the_rule(client):
    admin = bearer(client)
    body = new_user_body()
    client.post("/v1/users", json=body, headers=admin)
    response = client.post("/v1/users", json=body, headers=admin)
    assert response.status_code == 409
    assert response.json()["rule"] == "username_is_unique"


# --- the EventContext ---------------------------------------------------------------------


def test_events_recorded_by_a_sync_endpoint_carry_the_callers_context(client):
    admin_name, admin_id = new_user(client, Role.ADMIN, TENANT)
    token = login(client, admin_name).json()["access_token"]
    request_id = uuid.uuid4().hex

    response = client.post(
        "/v1/users",
        json=new_user_body(),
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id},
    )

    assert response.status_code == 201
    events = list(aries_of(client).identity.repository.event_store.get(
        uuid.UUID(response.json()["id"])
    ))
    assert [
        (e.tenant_id, e.actor_id, e.actor_role, e.correlation_id) for e in events
    ] == [("acme", admin_id, "admin", request_id)]


# --- rate limits --------------------------------------------------------------------------


def test_the_per_user_rate_limit_answers_429_with_retry_after(start):
    client = start(rate_limit_per_minute=2)
    headers = bearer(client, Role.AUDITOR)
    statuses = [client.get("/v1/users/me", headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = client.get("/v1/users/me", headers=headers)
    assert response.headers["content-type"] == PROBLEM
    assert 1 <= int(response.headers["retry-after"]) <= 60


def test_one_users_limit_leaves_another_user_alone(start):
    client = start(rate_limit_per_minute=1)
    first, second = bearer(client, Role.AUDITOR), bearer(client, Role.AUDITOR)
    client.get("/v1/users/me", headers=first)
    assert client.get("/v1/users/me", headers=first).status_code == 429
    assert client.get("/v1/users/me", headers=second).status_code == 200


def test_the_per_ip_limit_applies_before_authentication(start):
    client = start(rate_limit_ip_per_minute=3)
    statuses = [client.get("/v1/users/me").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert "retry-after" in client.get("/v1/users/me").headers
    assert client.get("/health").status_code == 200  # probes are never limited


# --- idempotency --------------------------------------------------------------------------


def test_a_replayed_post_answers_the_stored_response(client):
    headers = {**bearer(client), "Idempotency-Key": uuid.uuid4().hex}
    body = new_user_body()

    first = client.post("/v1/users", json=body, headers=headers)
    again = client.post("/v1/users", json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert (again.headers["etag"], again.headers["location"]) == (
        first.headers["etag"], first.headers["location"],
    )
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers


def test_an_idempotency_key_with_a_different_body_is_422(client):
    headers = {**bearer(client), "Idempotency-Key": uuid.uuid4().hex}
    client.post("/v1/users", json=new_user_body(), headers=headers)
    response = client.post("/v1/users", json=new_user_body(), headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


def test_the_key_is_scoped_to_the_caller(client):
    key = uuid.uuid4().hex
    first = client.post(
        "/v1/users", json=new_user_body(), headers={**bearer(client), "Idempotency-Key": key}
    )
    second = client.post(
        "/v1/users", json=new_user_body(), headers={**bearer(client), "Idempotency-Key": key}
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


def test_an_error_answer_does_not_use_up_the_key(client):
    headers = {**bearer(client), "Idempotency-Key": uuid.uuid4().hex}
    refused = client.post("/v1/users", json=new_user_body(username="x"), headers=headers)
    accepted = client.post("/v1/users", json=new_user_body(), headers=headers)
    assert (refused.status_code, accepted.status_code) == (422, 201)


def test_a_duplicate_while_the_first_is_in_flight_is_409(start, monkeypatch):
    monkeypatch.setitem(PERMISSIONS, "test_slow_command", frozenset({Role.ADMIN}))
    entered, release = threading.Event(), threading.Event()

    def add_slow_route(app: FastAPI) -> None:
        @app.post("/v1/test-slow", operation_id="test_slow_command")
        def slow(principal: Annotated[Principal, Depends(require("test_slow_command"))]) -> dict:
            entered.set()
            release.wait(10)
            return {"done": True}

    client = start(configure=add_slow_route)
    headers = {**bearer(client), "Idempotency-Key": uuid.uuid4().hex}
    answers: list = []
    first = threading.Thread(
        target=lambda: answers.append(client.post("/v1/test-slow", json={}, headers=headers))
    )
    first.start()
    try:
        assert entered.wait(10)
        duplicate = client.post("/v1/test-slow", json={}, headers=headers)
    finally:
        release.set()
        first.join(10)

    assert duplicate.status_code == 409
    assert duplicate.headers["retry-after"] == "1"
    assert answers[0].status_code == 200
    replay = client.post("/v1/test-slow", json={}, headers=headers)
    assert replay.headers["idempotent-replayed"] == "true"


def test_a_replayed_api_key_issue_does_not_repeat_the_secret(client, redis_url, redis_prefix):
    headers = {**bearer(client), "Idempotency-Key": uuid.uuid4().hex}
    body = {"name": "feed", "role": "intake"}
    first = client.post("/v1/api-keys", json=body, headers=headers)
    again = client.post("/v1/api-keys", json=body, headers=headers)

    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == {k: first.json()[k] for k in ("id", "version", "position")}
    stored = redis.Redis.from_url(redis_url)
    try:
        values = [stored.get(k) for k in stored.scan_iter(match=f"{redis_prefix}idem:*")]
    finally:
        stored.close()
    assert values and not any(first.json()["key"].encode() in v for v in values)


def test_a_malformed_idempotency_key_is_400(client):
    response = client.post(
        "/v1/users", json=new_user_body(), headers={**bearer(client), "Idempotency-Key": "k" * 256}
    )
    assert response.status_code == 400


# --- metrics, headers, limits, problems ---------------------------------------------------


def test_metrics_are_labelled_by_route_template_never_the_raw_path(client):
    _, user_id = new_user(client, Role.ADMIN, TENANT)
    client.get(f"/v1/users/{user_id}", headers=bearer(client))
    client.get(f"/no/such/{user_id}")

    text = client.get("/metrics").text

    assert (
        'http_requests_total{method="GET",route="/v1/users/{user_id}",status="200"}' in text
    )
    assert 'route="unmatched",status="404"' in text
    assert "http_request_duration_seconds_bucket" in text
    assert user_id not in text


def test_metrics_need_the_metrics_token_when_one_is_set(start):
    client = start(metrics_token="m" * 40)
    refused = [
        client.get("/metrics"),
        client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 40}),
        client.get("/metrics", headers={"Authorization": "Basic " + "m" * 40}),
        client.get("/metrics", headers=bearer(client)),  # a person's token is not the one
    ]
    allowed = client.get("/metrics", headers={"Authorization": "Bearer " + "m" * 40})

    assert [r.status_code for r in refused] == [401] * 4
    assert all(r.headers["content-type"] == PROBLEM for r in refused)
    assert refused[0].headers["www-authenticate"].startswith("Bearer")
    assert allowed.status_code == 200
    assert "http_requests_total" in allowed.text


def test_security_headers_are_on_every_answer(client):
    for response in (client.get("/health"), client.get("/v1/users/me"), client.get("/nope")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["strict-transport-security"].startswith("max-age=")
        assert response.headers["x-request-id"]


def test_api_answers_are_not_cached(client):
    assert client.get("/v1/users/me").headers["cache-control"] == "no-store"
    assert "cache-control" not in client.get("/health").headers


def test_a_body_over_the_limit_is_413_problem(start):
    client = start(max_request_bytes=1024)
    response = client.post("/v1/users", content=b"x" * 2048, headers=bearer(client))
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


def test_a_streamed_body_over_the_limit_is_413_problem(start):
    client = start(max_request_bytes=1024)
    headers = {**bearer(client), "Content-Type": "application/json"}
    chunks = (b"x" * 512 for _ in range(4))  # no Content-Length: chunked
    response = client.post("/v1/users", content=chunks, headers=headers)
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


def test_a_streamed_body_over_the_limit_with_an_idempotency_key_is_413(start):
    client = start(max_request_bytes=1024)
    headers = {**bearer(client), "Idempotency-Key": "k1", "Content-Type": "application/json"}
    response = client.post(
        "/v1/users", content=(b"x" * 512 for _ in range(4)), headers=headers
    )
    assert response.status_code == 413


def test_an_unknown_route_is_404_problem(client):
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["instance"] == "/v1/nothing-here"


def test_a_wrong_method_is_405_problem(client):
    response = client.put("/v1/auth/token")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert "POST" in response.headers["allow"]


def test_cors_answers_a_preflight_from_a_configured_origin(start):
    client = start(cors_origins=["https://app.example"])
    response = client.options(
        "/v1/users",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Idempotency-Key",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://app.example"
