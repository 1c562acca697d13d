"""IdentityApplication against real PostgreSQL (the `identity_events` table)."""

from __future__ import annotations

import threading
import uuid

import psycopg
import pytest
from argon2 import PasswordHasher

from application.eventstore import postgres_env
from application.identity import IdentityApplication
from application.login import LoginFailed, Logins
from domain.context import bound_context
from domain.errors import InvalidValue, NotFound, RuleViolated
from domain.identity import LEGACY_USERNAME_INDEX, IdentityIndex, Role, User

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"


@pytest.fixture
def identity(database_url):
    env = postgres_env(database_url, pool_size=4, max_overflow=2, connect_timeout=5)
    app = IdentityApplication(
        env=env, password_hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    yield app
    app.close()


def username() -> str:
    return f"user-{uuid.uuid4().hex[:10]}"


def log_in(identity, name: str, password: str = PASSWORD, tenant: str = "acme"):
    """The principal of a login as tenant/name, or None if it is refused."""
    try:
        return Logins(identity).log_in(f"{tenant}/{name}", password).principal
    except LoginFailed:
        return None


def test_a_created_user_is_recorded_in_the_identity_events_table(identity, database_url):
    result = identity.create_user(username(), PASSWORD, Role.INTAKE, "acme")
    with psycopg.connect(database_url) as conn:
        topics = {
            row[0]
            for row in conn.execute(
                "SELECT topic FROM identity_events WHERE originator_id = %s", (result.id,)
            )
        }
    assert topics == {"aries.user.Registered"}
    assert result.version == 1 and result.position is not None


def test_the_password_is_stored_only_as_an_argon2_hash(identity, database_url):
    result = identity.create_user(username(), PASSWORD, Role.INTAKE, "acme")
    with psycopg.connect(database_url) as conn:
        (state,) = conn.execute(
            "SELECT state FROM identity_events WHERE originator_id = %s", (result.id,)
        ).fetchone()
    assert PASSWORD.encode() not in state
    assert identity.get_user(result.id).password_hash.startswith("$argon2id$")


def test_the_user_belongs_to_the_given_tenant_and_records_the_acting_admin(identity):
    with bound_context(actor_id="admin-7", actor_role="admin", correlation_id="req-1"):
        result = identity.create_user(username(), PASSWORD, Role.BILLER, "acme")
    user = identity.get_user(result.id)
    (event,) = identity.repository.event_store.get(result.id)
    assert user.tenant_id == "acme"
    assert (event.actor_id, event.correlation_id) == ("admin-7", "req-1")


def test_a_username_is_unique_in_its_tenant_whatever_its_case(identity):
    name = username()
    identity.create_user(name, PASSWORD, Role.INTAKE, "acme")
    with pytest.raises(RuleViolated) as error:
        identity.create_user(name.upper(), PASSWORD, Role.INTAKE, "acme")
    assert error.value.rule == "username_is_unique"


def test_two_tenants_may_each_have_a_user_of_the_same_name(identity):
    name = username()
    acme = identity.create_user(name, PASSWORD, Role.INTAKE, "acme")
    other = identity.create_user(name, PASSWORD, Role.BILLER, "other")
    assert log_in(identity, name, tenant="acme").id == acme.id
    assert log_in(identity, name, tenant="other").id == other.id


def test_a_user_registered_while_usernames_were_global_logs_in_in_their_tenant_only(identity):
    name = username()
    with bound_context(tenant_id="acme"):  # what create_user recorded before login names
        user = User.register(username=name, role=Role.INTAKE,
                             password_hash=identity.password_hasher.hash(PASSWORD))
        index = IdentityIndex.reserve(LEGACY_USERNAME_INDEX, name, user.id)
    identity.commit(user, index)
    assert log_in(identity, name, tenant="acme").id == user.id
    assert log_in(identity, name, tenant="other") is None
    with pytest.raises(RuleViolated):
        identity.create_user(name, PASSWORD, Role.INTAKE, "acme")


def test_concurrent_registrations_of_one_username_record_one_user(identity):
    name = username()
    outcomes: list[object] = []
    barrier = threading.Barrier(4)

    def register() -> None:
        barrier.wait()
        try:
            outcomes.append(identity.create_user(name, PASSWORD, Role.INTAKE, "acme"))
        except RuleViolated as error:
            outcomes.append(error.rule)

    threads = [threading.Thread(target=register) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, outcomes)).count("username_is_unique") == 3


def test_a_weak_password_is_refused_before_anything_is_hashed(identity):
    with pytest.raises(InvalidValue) as error:
        identity.create_user(username(), "short", Role.INTAKE, "acme")
    assert error.value.rule == "password_is_long_enough"


def test_a_login_answers_the_principal_for_the_right_password(identity):
    name = username()
    result = identity.create_user(name, PASSWORD, Role.CLINICIAN, "acme")
    principal = log_in(identity, name.upper())
    assert principal is not None
    assert (principal.id, principal.role, principal.tenant_id) == (
        result.id, Role.CLINICIAN, "acme",
    )


def test_a_login_with_a_wrong_password_is_refused(identity):
    name = username()
    identity.create_user(name, PASSWORD, Role.CLINICIAN, "acme")
    assert log_in(identity, name, PASSWORD + "!") is None


def test_a_login_checks_a_dummy_hash_for_an_unknown_user(identity):
    verified: list[str] = []

    class SpyHasher(PasswordHasher):
        def verify(self, hash, password) -> bool:  # noqa: A002 (the library's name)
            verified.append(hash)
            return super().verify(hash, password)

    identity.password_hasher = SpyHasher(time_cost=1, memory_cost=1024, parallelism=1)
    assert log_in(identity, username()) is None
    assert verified and verified[0].startswith("$argon2")


def test_a_deactivated_user_cannot_authenticate(identity):
    name = username()
    result = identity.create_user(name, PASSWORD, Role.CLINICIAN, "acme")
    identity.deactivate_user(result.id)
    assert log_in(identity, name) is None
    assert identity.user_principal(result.id) is None


def test_a_changed_password_replaces_the_old_one(identity):
    name = username()
    result = identity.create_user(name, PASSWORD, Role.CLINICIAN, "acme")
    identity.reset_password(result.id, "a brand new passphrase")
    assert log_in(identity, name) is None
    assert log_in(identity, name, "a brand new passphrase") is not None


def test_another_tenants_user_is_not_found(identity):
    result = identity.create_user(username(), PASSWORD, Role.CLINICIAN, "acme")
    with bound_context(tenant_id="other"), pytest.raises(NotFound):
        identity.get_user(result.id)


def test_an_issued_key_is_found_by_its_prefix_and_verifies(identity):
    issued = identity.issue_api_key("clearinghouse", Role.BILLER, "acme")
    assert identity.find_api_key(issued.prefix).id == issued.result.id
    principal = identity.verify_api_key(issued.key)
    assert principal is not None
    assert (principal.kind, principal.role, principal.tenant_id) == ("api_key", Role.BILLER, "acme")


def test_a_wrong_secret_with_a_real_prefix_does_not_verify(identity):
    issued = identity.issue_api_key("clearinghouse", Role.BILLER, "acme")
    forged = issued.key[:-4] + ("AAAA" if not issued.key.endswith("AAAA") else "BBBB")
    assert identity.verify_api_key(forged) is None


def test_a_revoked_key_does_not_verify(identity):
    issued = identity.issue_api_key("clearinghouse", Role.BILLER, "acme")
    identity.revoke_api_key(issued.result.id)
    assert identity.verify_api_key(issued.key) is None


def test_revoking_another_tenants_key_is_not_found(identity):
    issued = identity.issue_api_key("clearinghouse", Role.BILLER, "acme")
    with bound_context(tenant_id="other"), pytest.raises(NotFound) as error:
        identity.revoke_api_key(issued.result.id)
    assert error.value.kind == "api key"


def test_the_key_secret_is_not_stored(identity, database_url):
    issued = identity.issue_api_key("clearinghouse", Role.BILLER, "acme")
    secret = issued.key.split("_", 2)[2]  # aries_<hex prefix>_<secret>; the secret may hold "_"
    with psycopg.connect(database_url) as conn:
        states = [row[0] for row in conn.execute("SELECT state FROM identity_events")]
    assert not any(secret.encode() in state for state in states)


def test_a_user_replayed_from_the_store_equals_the_live_one(identity):
    result = identity.create_user(username(), PASSWORD, Role.CLINICIAN, "acme")
    identity.change_role(result.id, Role.AUDITOR)
    user = identity.get_user(result.id)
    assert isinstance(user, User)
    assert (user.role, user.version) == (Role.AUDITOR, 2)
