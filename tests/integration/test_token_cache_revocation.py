"""The per-process caches of authentication (interfaces/http/security.py) against revocation:
two Authenticators on the real database stand for two API processes. A token verified and
cached in one process is refused there once another process deactivates its user or ends its
sessions, as soon as the first process's revocation list is older than
`ARIES_REVOCATION_POLL_SECONDS` (the documented delay)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from argon2 import PasswordHasher

from application.eventstore import postgres_env
from application.identity import IdentityApplication, SessionPolicy
from domain.identity import Role
from interfaces.http.problems import ProblemError
from interfaces.http.security import Authenticator, TokenService
from interfaces.settings import Settings
from tests.conftest import eventually

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
POLL_SECONDS = 0.5


def _process(database_url: str) -> tuple[IdentityApplication, Authenticator]:
    env = postgres_env(database_url, pool_size=2, max_overflow=2, connect_timeout=5)
    identity = IdentityApplication(
        env=env,
        password_hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
        policy=SessionPolicy(revocation_poll_seconds=POLL_SECONDS),
    )
    tokens = TokenService.from_settings(Settings(environment="test"))
    return identity, Authenticator(identity, tokens, cache_seconds=30)


@pytest.fixture
def processes(database_url):
    first, second = _process(database_url), _process(database_url)
    yield first, second
    first[0].close()
    second[0].close()


def _status(authenticator: Authenticator, token: str) -> int:
    try:
        asyncio.run(authenticator.from_token(token))
    except ProblemError as problem:
        return problem.status
    return 200


@pytest.mark.parametrize("revoke", ["deactivate_user", "revoke_sessions"])
def test_a_cached_token_is_refused_once_the_revocation_list_is_reloaded(processes, revoke):
    (identity, authenticator), (other_identity, _) = processes
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    created = identity.create_user(f"u-{uuid.uuid4().hex[:8]}", PASSWORD, Role.BILLER, tenant)
    principal = identity.user_principal(created.id)
    assert principal is not None
    token = authenticator.tokens.issue(principal, uuid.uuid4())
    assert _status(authenticator, token) == 200  # verified, and the principal cached
    assert _status(authenticator, token) == 200  # from both caches

    getattr(other_identity, revoke)(created.id)  # in the other process

    eventually(authenticator.revocations.is_stale, what="the revocation list's poll bound")
    assert _status(authenticator, token) == 401


def test_the_token_cache_is_bounded_and_drops_the_least_recently_used(processes):
    (identity, authenticator), _ = processes
    authenticator.MAX_ENTRIES = 3  # type: ignore[misc]
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    created = identity.create_user(f"u-{uuid.uuid4().hex[:8]}", PASSWORD, Role.BILLER, tenant)
    principal = identity.user_principal(created.id)
    assert principal is not None
    tokens = [authenticator.tokens.issue(principal, uuid.uuid4()) for _ in range(4)]
    for token in tokens[:3]:
        assert _status(authenticator, token) == 200
    assert _status(authenticator, tokens[0]) == 200  # used again: now the most recent
    assert _status(authenticator, tokens[3]) == 200  # evicts tokens[1]

    cached = set(authenticator._tokens.values())
    assert len(cached) == 3
    assert {v.token_id for v in cached} == {
        uuid.UUID(hex=authenticator.tokens.decode(t)["jti"]) for t in (tokens[0], *tokens[2:])
    }
