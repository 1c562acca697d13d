"""`aries users ...` against real PostgreSQL and Redis."""

from __future__ import annotations

import uuid

import pytest
from typer.testing import CliRunner

from application.login import LoginFailed, Logins, LoginThrottled
from domain.identity import Role
from interfaces.bootstrap import bootstrap
from interfaces.cli.main import app
from interfaces.settings import Settings
from projections.runner import catch_up

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"


@pytest.fixture
def environment(monkeypatch, redis_prefix, database_url, redis_url):
    monkeypatch.setenv("ARIES_DATABASE_URL", database_url)
    monkeypatch.setenv("ARIES_REDIS_URL", redis_url)
    monkeypatch.setenv("ARIES_REDIS_KEY_PREFIX", redis_prefix)
    monkeypatch.setenv("ARIES_DB_POOL_SIZE", "1")


@pytest.fixture
def aries(environment):
    aries = bootstrap(Settings())
    yield aries
    aries.close()


def users(*arguments: str):
    return CliRunner().invoke(app, ["users", *arguments])


def log_in(aries, name: str, password: str = PASSWORD):
    """The principal of a login as `name`, or None if it is refused."""
    try:
        return Logins(aries.identity).log_in(name, password).principal
    except (LoginFailed, LoginThrottled):
        return None


@pytest.fixture
def created(aries):
    """The login name of a new intake user of a tenant of its own, created with the CLI."""
    tenant, username = f"t-{uuid.uuid4().hex[:8]}", f"ops-{uuid.uuid4().hex[:8]}"
    result = users("create", username, "--password", PASSWORD, "--role", "intake",
                   "--tenant", tenant)
    assert result.exit_code == 0, result.output
    return f"{tenant}/{username}"


def test_a_created_user_can_log_in_as_tenant_slash_username_in_their_role(aries):
    username = f"ops-{uuid.uuid4().hex[:8]}"
    result = users("create", username, "--password", PASSWORD, "--role", "admin",
                   "--tenant", "acme")
    assert result.exit_code == 0, result.output
    principal = log_in(aries, f"acme/{username}")
    assert principal is not None
    assert (principal.role, principal.tenant_id) == (Role.ADMIN, "acme")


def test_the_operator_is_recorded_as_the_actor(aries):
    username = f"ops-{uuid.uuid4().hex[:8]}"
    users("create", username, "--password", PASSWORD, "--role", "biller")
    principal = log_in(aries, f"default/{username}")
    (event,) = aries.identity.repository.event_store.get(principal.id)
    assert event.actor_id.startswith("cli:")
    assert principal.tenant_id == "default"


def test_a_taken_username_exits_1_naming_the_rule(aries, created):
    tenant, username = created.split("/")
    result = users("create", username, "--password", PASSWORD, "--role", "intake",
                   "--tenant", tenant)
    assert result.exit_code == 1
    assert "username_is_unique" in result.output


def test_a_weak_password_exits_1_naming_the_rule(aries):
    result = users("create", f"ops-{uuid.uuid4().hex[:8]}", "--password", "qwertyuiop1234567",
                   "--role", "intake")
    assert result.exit_code == 1
    assert "password_is_not_common" in result.output


def test_a_deactivated_user_cannot_log_in(aries, created):
    result = users("deactivate", created)
    assert result.exit_code == 0, result.output
    assert log_in(aries, created) is None
    (*_, event) = aries.identity.repository.event_store.get(
        aries.identity.find_user(*created.split("/")).id
    )
    assert (type(event).__name__, event.actor_id[:4]) == ("Deactivated", "cli:")


def test_set_role_gives_the_user_another_role(aries, created):
    assert users("set-role", created, "--role", "biller").exit_code == 0
    assert log_in(aries, created).role == Role.BILLER


def test_reset_password_replaces_the_password(aries, created):
    assert users("reset-password", created, "--password", "a brand new passphrase").exit_code == 0
    assert log_in(aries, created) is None
    assert log_in(aries, created, "a brand new passphrase") is not None


def test_unlock_lets_a_locked_out_user_in(aries, created):
    for _ in range(3):
        log_in(aries, created, "wrong horse battery")
    assert log_in(aries, created) is None  # throttled
    assert users("unlock", created).exit_code == 0
    assert log_in(aries, created) is not None


def test_an_unknown_user_exits_1(aries):
    result = users("deactivate", f"acme/nobody-{uuid.uuid4().hex[:6]}")
    assert result.exit_code == 1 and "no user" in result.output


def test_list_shows_the_tenants_users_from_the_event_index(
    isolated_aries, monkeypatch, redis_prefix, redis_url
):
    monkeypatch.setenv("ARIES_DATABASE_URL", isolated_aries.settings.database_url)
    monkeypatch.setenv("ARIES_REDIS_URL", redis_url)
    monkeypatch.setenv("ARIES_REDIS_KEY_PREFIX", redis_prefix)
    isolated_aries.identity.create_user("listed-one", PASSWORD, Role.AUDITOR, "listing")
    isolated_aries.identity.create_user("elsewhere", PASSWORD, Role.AUDITOR, "other-tenant")
    catch_up(isolated_aries, "event_index")
    result = users("list", "--tenant", "listing")
    assert result.exit_code == 0, result.output
    assert "listing/listed-one" in result.output and "auditor" in result.output
    assert "elsewhere" not in result.output
