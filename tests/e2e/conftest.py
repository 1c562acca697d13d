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

import pytest
from fastapi.testclient import TestClient

from domain.identity import Role
from interfaces.bootstrap import Aries, bootstrap
from interfaces.http.app import create_app
from interfaces.settings import Settings
from interfaces.workers.main import run_workers
from projections.runner import run_projectors
from tests.conftest import SMALL_POOLS
from tests.servers import fresh_database, redis_namespace

PASSWORD = "correct horse battery"  # noqa: S105


# Package scope: the API, projector and worker stop (and give back their connections) when
# the e2e tests are done, before the integration tests start.
@pytest.fixture(scope="package")
def api_aries(server_database_url, redis_url) -> Iterator[Aries]:
    """Aries on its own database, with the projector and the worker following it."""
    with fresh_database(server_database_url) as url, redis_namespace(redis_url) as prefix:
        aries = bootstrap(
            Settings(
                database_url=url,
                redis_url=redis_url,
                environment="test",
                redis_key_prefix=prefix,
                rate_limit_per_minute=1_000_000,
                rate_limit_ip_per_minute=1_000_000,
                read_wait_seconds=10.0,
                # Claims requested in the same window go in one interchange; a short window
                # keeps a submission test from waiting a minute.
                submission_batch_seconds=1,
                **SMALL_POOLS,
            )
        )
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
            aries.close()


@pytest.fixture(scope="package")
def api(api_aries) -> Iterator[TestClient]:
    with TestClient(create_app(api_aries)) as client:
        yield client


@pytest.fixture
def tenant() -> str:
    """A tenant of this test alone."""
    return f"t-{uuid.uuid4().hex[:10]}"


def headers_for(api: TestClient, role: Role | str, tenant: str) -> dict[str, str]:
    """Bearer headers of a new user with `role` in `tenant` (recorded through the Identity
    application, logged in over HTTP)."""
    role = Role(role)
    username = f"{role.value}-{uuid.uuid4().hex[:10]}"
    api.app.state.aries.identity.create_user(username, PASSWORD, role, tenant)
    response = api.post("/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
