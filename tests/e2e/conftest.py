"""The running product for API tests: its own migrated database, the projector and the worker
running in background threads (as `aries dev` runs them), and one TestClient on it.

Tests isolate themselves by tenant (`tenant` fixture: a fresh one per test) rather than by
database, so the API, projector and worker start once per session. Rate limits are raised out
of reach here; `test_http_platform.py` tests them with its own settings.

    def test_something(api, tenant):
        intake = headers_for(api, "intake", tenant)
        created = api.post("/v1/patients", json=..., headers=intake)
        got = api.get(f"/v1/patients/{created.json()['id']}",
                      params={"min_position": created.json()["position"]}, headers=intake)
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient

from application.audit.access_log import AccessEntry, entries
from domain.identity import Role
from interfaces.bootstrap import Aries
from interfaces.http.app import create_app
from interfaces.settings import Settings
from interfaces.workers.main import run_workers
from projections.runner import run_projectors
from tests.conftest import aries_on
from tests.servers import fresh_database

PASSWORD = "correct horse battery"  # noqa: S105


# Package scope: the API, projector and worker stop (and give back their connections) when
# the e2e tests are done, before the integration tests start.
@pytest.fixture(scope="package")
def api_aries(server_database_url, redis_url) -> Iterator[Aries]:
    """Aries on its own database, with the projector and the worker following it."""
    with fresh_database(server_database_url) as url, aries_on(
        url,
        redis_url,
        rate_limit_per_minute=1_000_000,
        rate_limit_ip_per_minute=1_000_000,
        read_wait_seconds=10.0,
        # Claims requested in the same window go in one interchange; a short window keeps a
        # submission test from waiting a minute.
        submission_batch_seconds=1,
    ) as aries:
        stop = threading.Event()
        threads = [
            threading.Thread(target=run_projectors, args=(aries, None, stop), daemon=True),
            threading.Thread(target=run_workers, args=(aries, stop), daemon=True),
        ]
        for thread in threads:
            thread.start()
        try:
            yield aries
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)


@pytest.fixture(scope="package")
def api(api_aries) -> Iterator[TestClient]:
    with TestClient(create_app(api_aries)) as client:
        yield client


@pytest.fixture
def tenant() -> str:
    """A tenant of this test alone."""
    return f"t-{uuid.uuid4().hex[:10]}"


# The apps here run with the default supplier zone, and their tenants' locations in it.
SUPPLIER_ZONE = ZoneInfo(Settings.model_fields["supplier_timezone"].default)


def supplier_today() -> date:
    """Today as Aries counts it for these tests' claims (aging, closing): the supplier's
    calendar date. UTC's runs a day ahead of it from UTC midnight to the supplier's."""
    return datetime.now(SUPPLIER_ZONE).date()


def aries_of(api: TestClient) -> Aries:
    """The composition root behind a test client."""
    return api.app.state.aries


def new_user(api: TestClient, role: Role | str, tenant: str) -> tuple[str, str]:
    """A user with `role` in `tenant`, recorded through the Identity application:
    (login name `tenant/username`, user id). Its password is PASSWORD."""
    role = Role(role)
    username = f"{role.value}-{uuid.uuid4().hex[:10]}"
    created = aries_of(api).identity.create_user(username, PASSWORD, role, tenant)
    return f"{tenant}/{username}", str(created.id)


def login(api: TestClient, name: str, password: str = PASSWORD, **form: str) -> httpx.Response:
    """Log in as `name` (`tenant/username`); `form` adds fields such as `otp`."""
    return api.post(
        "/v1/auth/token", data={"username": name, "password": password, **form}
    )


def headers_for(api: TestClient, role: Role | str, tenant: str) -> dict[str, str]:
    """Bearer headers of a new user with `role` in `tenant`, logged in over HTTP."""
    name, _ = new_user(api, role, tenant)
    response = login(api, name)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def access_entries(api: TestClient, response: httpx.Response) -> list[AccessEntry]:
    """The access-log entries the request behind `response` left (by its X-Request-ID): a PHI
    read leaves exactly one."""
    request_id = response.headers["X-Request-ID"]
    return entries(aries_of(api).read_engine, tenant_id=None, request_id=request_id)
