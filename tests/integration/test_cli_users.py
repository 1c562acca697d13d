"""`aries users create` against real PostgreSQL and Redis."""

from __future__ import annotations

import uuid

import pytest
from typer.testing import CliRunner

from domain.identity import Role
from interfaces.bootstrap import bootstrap
from interfaces.cli.main import app
from interfaces.settings import Settings

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"


@pytest.fixture
def environment(monkeypatch, database_url, redis_url):
    monkeypatch.setenv("ARIES_DATABASE_URL", database_url)
    monkeypatch.setenv("ARIES_REDIS_URL", redis_url)
    monkeypatch.setenv("ARIES_DB_POOL_SIZE", "1")


@pytest.fixture
def aries(environment):
    aries = bootstrap(Settings())
    yield aries
    aries.close()


def test_a_created_user_can_log_in_in_their_role_and_tenant(aries):
    username = f"ops-{uuid.uuid4().hex[:8]}"
    result = CliRunner().invoke(
        app,
        ["users", "create", username, "--password", PASSWORD, "--role", "admin",
         "--tenant", "acme"],
    )
    assert result.exit_code == 0, result.output
    principal = aries.identity.authenticate(username, PASSWORD)
    assert principal is not None
    assert (principal.role, principal.tenant_id) == (Role.ADMIN, "acme")


def test_the_operator_is_recorded_as_the_actor(aries):
    username = f"ops-{uuid.uuid4().hex[:8]}"
    arguments = ["users", "create", username, "--password", PASSWORD, "--role", "biller"]
    CliRunner().invoke(app, arguments)
    principal = aries.identity.authenticate(username, PASSWORD)
    (event,) = aries.identity.repository.event_store.get(principal.id)
    assert event.actor_id.startswith("cli:")
    assert principal.tenant_id == "default"


def test_a_taken_username_exits_1_naming_the_rule(aries):
    username = f"ops-{uuid.uuid4().hex[:8]}"
    arguments = ["users", "create", username, "--password", PASSWORD, "--role", "intake"]
    CliRunner().invoke(app, arguments)
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 1
    assert "username_is_unique" in result.output
