"""Users, API keys and the identity index: one behaviour per test, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.context import bound_context
from domain.errors import InvalidValue, RuleViolated
from domain.identity import (
    ApiKey,
    IdentityIndex,
    Role,
    SecurityPolicy,
    User,
    api_key_hash,
    api_key_prefix,
    normalized_username,
    parsed_login_name,
)
from tests.unit.replay import mapper, replay, round_trip

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
OTHER_HASH = "$argon2id$v=19$m=65536,t=3,p=4$b3RoZXJzYWx0$b3RoZXJoYXNob3RoZXJoYXNo"
KEY = "aries_0123456789ab_" + "s" * 43


@pytest.fixture(autouse=True)
def _topics_registered():
    mapper()


def new_user(**changes) -> User:
    fields = {"username": "JDoe", "role": Role.INTAKE, "password_hash": HASH, **changes}
    return User.register(**fields)


def test_a_registered_user_is_active_with_a_lowercased_username():
    user = new_user()
    assert (user.username, user.role, user.is_active) == ("jdoe", Role.INTAKE, True)


def test_a_user_belongs_to_the_tenant_bound_when_registered():
    with bound_context(tenant_id="acme-hme", actor_id="admin-1", actor_role="admin"):
        user = new_user()
    event = user.collect_events()[0]
    assert (user.tenant_id, event.tenant_id, event.actor_id) == ("acme-hme", "acme-hme", "admin-1")


def test_a_user_survives_storage_with_its_role_and_hash():
    user = new_user()
    user.change_role(Role.BILLER)
    user.change_password(OTHER_HASH)
    user.deactivate()
    replayed = replay(user.collect_events())
    assert (replayed.username, replayed.role, replayed.password_hash, replayed.is_active) == (
        "jdoe", Role.BILLER, OTHER_HASH, False,
    )
    assert replayed.version == user.version


def test_event_topics_are_pinned():
    user = new_user()
    stored = mapper().to_stored_event(user.collect_events()[0])
    assert stored.topic == "aries.user.Registered"


@pytest.mark.parametrize("password_hash", ["correct horse battery", "", "$2b$12$bcrypt"])
def test_rule_password_is_stored_as_an_argon2_hash(password_hash):
    with pytest.raises(InvalidValue) as error:
        new_user(password_hash=password_hash)
    assert error.value.rule == "password_is_stored_as_an_argon2_hash"


@pytest.mark.parametrize("username", ["ab", "a b c", "-x" * 40, "éclair", "", "_lead"])
def test_rule_username_is_well_formed(username):
    with pytest.raises(InvalidValue) as error:
        normalized_username(username)
    assert error.value.rule == "username_is_well_formed"


def test_rule_role_is_a_known_value():
    with pytest.raises(InvalidValue) as error:
        new_user(role="superuser")
    assert error.value.rule == "role_is_a_known_value"


def test_rule_user_is_active_refuses_changes_after_deactivation():
    user = new_user()
    user.deactivate()
    with pytest.raises(RuleViolated) as error:
        user.change_role(Role.ADMIN)
    assert error.value.rule == "user_is_active"


def test_giving_a_user_the_role_they_have_records_nothing():
    user = new_user()
    user.collect_events()
    user.change_role(Role.INTAKE)
    assert user.collect_events() == []


def test_deactivating_twice_records_one_event():
    user = new_user()
    user.deactivate()
    user.deactivate()
    assert [type(e).__name__ for e in user.collect_events()] == ["Registered", "Deactivated"]


def test_an_api_key_records_its_hash_and_prefix_never_the_key():
    api_key = ApiKey.issue(name="clearinghouse", role=Role.BILLER, key=KEY)
    events = round_trip(api_key.collect_events())
    stored = mapper().to_stored_event(events[0]).state
    assert KEY.encode() not in stored
    assert (api_key.key_prefix, api_key.key_hash) == ("0123456789ab", api_key_hash(KEY))


def test_an_api_key_matches_only_its_own_key():
    api_key = ApiKey.issue(name="clearinghouse", role=Role.BILLER, key=KEY)
    assert api_key.matches(KEY)
    assert not api_key.matches(KEY[:-1] + "t")


def test_a_revoked_api_key_survives_storage_as_revoked():
    api_key = ApiKey.issue(name="clearinghouse", role=Role.BILLER, key=KEY)
    api_key.revoke()
    api_key.revoke()
    assert replay(api_key.collect_events()).is_revoked


@pytest.mark.parametrize(
    "key", ["aries_0123456789ab_short", "other_0123456789ab_" + "s" * 43, "aries_XYZ_" + "s" * 43]
)
def test_a_malformed_key_has_no_prefix(key):
    assert api_key_prefix(key) is None


def test_rule_api_key_is_well_formed():
    with pytest.raises(InvalidValue) as error:
        ApiKey.issue(name="x", role=Role.BILLER, key="not-a-key")
    assert error.value.rule == "api_key_is_well_formed"


def test_an_index_id_is_derived_from_kind_and_value_only():
    owner = uuid4()
    index = IdentityIndex.reserve("username", "jdoe", owner)
    assert index.id == IdentityIndex.id_for("username", "jdoe")
    assert index.id != IdentityIndex.id_for("api_key_prefix", "jdoe")
    assert replay(index.collect_events()).owner_id == owner


def test_a_login_name_names_the_tenant_and_a_normalized_username():
    assert parsed_login_name(" Acme/JDoe ") == ("acme", "jdoe")


@pytest.mark.parametrize("name", ["jdoe", "/jdoe", "acme/", "ac me/jdoe"])
def test_a_login_name_without_a_well_formed_tenant_is_refused(name):
    with pytest.raises(InvalidValue):
        parsed_login_name(name)


def test_a_confirmed_enrolment_makes_the_pending_secret_the_second_factor():
    user = new_user()
    user.start_mfa_enrolment("v1:sealed")
    assert not user.has_mfa
    user.confirm_mfa_enrolment([HASH, OTHER_HASH])
    replayed = replay(user.collect_events())
    assert (replayed.has_mfa, replayed.totp_secret, replayed.pending_totp_secret) == (
        True, "v1:sealed", None,
    )
    assert replayed.recovery_code_hashes == [HASH, OTHER_HASH]


def test_rule_mfa_enrolment_is_started_before_it_is_confirmed():
    with pytest.raises(RuleViolated) as error:
        new_user().confirm_mfa_enrolment([HASH])
    assert error.value.rule == "mfa_enrolment_is_started"


def test_rule_recovery_code_is_unused_refuses_a_second_use():
    user = new_user()
    user.start_mfa_enrolment("v1:sealed")
    user.confirm_mfa_enrolment([HASH, OTHER_HASH])
    user.use_recovery_code(1)
    with pytest.raises(RuleViolated) as error:
        user.use_recovery_code(1)
    assert error.value.rule == "recovery_code_is_unused"
    assert replay(user.collect_events()).recovery_code_hashes == [HASH, None]


def test_a_reset_second_factor_is_forgotten_with_its_recovery_codes():
    user = new_user()
    user.start_mfa_enrolment("v1:sealed")
    user.confirm_mfa_enrolment([HASH])
    user.reset_mfa()
    replayed = replay(user.collect_events())
    assert (replayed.has_mfa, replayed.recovery_code_hashes) == (False, [])


def test_lockouts_unlocks_and_revoked_sessions_are_recorded_under_pinned_topics():
    user = new_user()
    user.record_lockout(datetime(2026, 12, 3, 15, 0, tzinfo=UTC))
    user.unlock()
    user.revoke_sessions()
    topics = [mapper().to_stored_event(e).topic for e in user.collect_events()[1:]]
    assert topics == ["aries.user.LockedOut", "aries.user.Unlocked", "aries.user.SessionsRevoked"]


def test_a_tenants_security_policy_has_one_id_per_tenant_and_records_changes_only():
    with bound_context(tenant_id="acme"):
        policy = SecurityPolicy.create("acme", mfa_required=True)
        policy.require_mfa(True)
        policy.require_mfa(False)
    replayed = replay(policy.collect_events())
    assert policy.id == SecurityPolicy.id_for("acme") != SecurityPolicy.id_for("other")
    assert (replayed.mfa_required, replayed.version, replayed.tenant_id) == (False, 2, "acme")
