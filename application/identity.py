"""Identity use cases: users and their lifecycle, second factors, tenants' login policy and
API keys, and the principal a credential stands for. Logging in is `application/login.py`.

Every lifecycle command (deactivate, change role, reset password, unlock, revoke sessions,
reset MFA) is an event on the User, stamped with the acting admin (decision 003), and logged
without PHI. Those that must end what a user could do (deactivation, a new password or role, a
reset second factor, revoked sessions) also put the user on the revocation list, so their
access and refresh tokens stop working everywhere within the list's poll bound.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import Any, Literal
from uuid import UUID

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from eventsourcing.application import AggregateNotFoundError

from application.eventstore import (
    A,
    AriesApplication,
    CommandResult,
    ConcurrentUpdate,
    StaleVersion,
)
from application.mfa import (
    Enrolment,
    SecretBox,
    matching_step,
    new_enrolment,
    new_recovery_codes,
)
from application.sessions import LoginGuards, RefreshTokens, RevocationList
from domain.context import bound_context
from domain.errors import NotFound, RuleViolated
from domain.identity import (
    API_KEY_PREFIX_INDEX,
    API_KEY_SCHEME,
    LEGACY_USERNAME_INDEX,
    LOGIN_NAME_INDEX,
    ApiKey,
    IdentityIndex,
    Role,
    SecurityPolicy,
    User,
    api_key_prefix,
    checked_role,
    checked_tenant,
    login_name,
    normalized_username,
)
from domain.passwords import check_password

DEV_MFA_KEY = "aries-development-mfa-key-change-me"  # noqa: S105 (refused in production)
log = structlog.get_logger("aries.identity")


@dataclass(frozen=True)
class Principal:
    """Who presented a credential: a user or an API key, acting in one role for one tenant.
    `mfa_enrolment_required`: a user of a tenant that requires a second factor who has none
    yet may do nothing but enrol one."""

    id: UUID
    kind: Literal["user", "api_key"]
    name: str
    role: Role
    tenant_id: str
    mfa_enrolment_required: bool = False


@dataclass(frozen=True)
class IssuedApiKey:
    result: CommandResult
    key: str  # the secret, shown to the caller once and never stored
    prefix: str


@dataclass(frozen=True)
class SessionPolicy:
    """How long credentials live, how fast revocations spread, and the key TOTP secrets are
    sealed with (from settings; the defaults are for tests and development)."""

    access_ttl: timedelta = timedelta(minutes=60)
    refresh_ttl: timedelta = timedelta(hours=12)
    revocation_poll_seconds: float = 1.0
    mfa_key: str = DEV_MFA_KEY


@dataclass(frozen=True)
class MfaConfirmed:
    result: CommandResult
    recovery_codes: list[str]  # shown once, stored only as hashes


class IdentityApplication(AriesApplication):
    name = "Identity"
    aggregate_kind = "user"

    def __init__(
        self,
        env: dict[str, Any] | None = None,
        *,
        password_hasher: PasswordHasher | None = None,
        policy: SessionPolicy | None = None,
    ) -> None:
        super().__init__(env)
        self.password_hasher = password_hasher or PasswordHasher()
        self.policy = policy or SessionPolicy()
        self.secret_box = SecretBox(self.policy.mfa_key)
        datastore = self.recorder.datastore  # type: ignore[attr-defined]
        self.guards = LoginGuards(datastore)
        self.refresh_tokens = RefreshTokens(datastore, self.policy.refresh_ttl)
        self.revocations = RevocationList(
            datastore,
            # An entry must outlive every access token issued before it (plus leeway).
            hold=self.policy.access_ttl + timedelta(minutes=5),
            poll_seconds=self.policy.revocation_poll_seconds,
        )

    # --- users ----------------------------------------------------------------------------

    def create_user(
        self, username: str, password: str, role: Role | str, tenant_id: str
    ) -> CommandResult:
        """Register a user of `tenant_id`; the username must be free in that tenant."""
        username = normalized_username(username)
        role = checked_role(role)
        tenant_id = checked_tenant(tenant_id)
        check_password(
            password, username=username, tenant_id=tenant_id,
            multi_factor=self.mfa_required(tenant_id),
        )
        name = login_name(tenant_id, username)
        if self.find_user(tenant_id, username) is not None:
            raise _username_taken(username)
        password_hash = self.password_hasher.hash(password)
        with bound_context(tenant_id=tenant_id):
            user = User.register(username=username, role=role, password_hash=password_hash)
            index = IdentityIndex.reserve(LOGIN_NAME_INDEX, name, user.id)
        try:
            result = self.commit(user, index)
        except ConcurrentUpdate:  # a concurrent registration took the name first
            raise _username_taken(username) from None
        log.info("user created", user_id=str(result.id), role=role.value)
        return result

    def get_user(self, user_id: UUID, expected_version: int | None = None) -> User:
        return self._load(user_id, User, "user", expected_version)

    def find_user(self, tenant_id: str, username: str) -> User | None:
        """The user called `username` in `tenant_id` (active or not), or None."""
        user_id = self._indexed(LOGIN_NAME_INDEX, login_name(tenant_id, username))
        if user_id is None:  # registered while usernames were global
            user_id = self._indexed(LEGACY_USERNAME_INDEX, username)
        user = self._get_any(user_id, User) if user_id is not None else None
        return user if user is not None and user.tenant_id == tenant_id else None

    def change_own_password(self, user_id: UUID, current: str, new: str) -> CommandResult:
        """A user's new password, given the one in force (RuleViolated if it is wrong)."""
        user = self.get_user(user_id)
        if not self.verify_password(user.password_hash, current):
            raise RuleViolated("current_password_is_given", "the current password is wrong")
        return self._set_password(user, new, "password changed")

    def reset_password(
        self, user_id: UUID, password: str, expected_version: int | None = None
    ) -> CommandResult:
        """An admin sets a user's password (a forgotten one, a compromised one)."""
        return self._set_password(self.get_user(user_id, expected_version), password,
                                  "password reset")

    def change_role(
        self,
        user_id: UUID,
        role: Role | str,
        expected_version: int | None = None,
        *,
        by: UUID | None = None,
    ) -> CommandResult:
        """`by`: the user who asks. Nobody changes their own role: an admin who demoted
        themselves could leave the tenant with no admin (another admin, or an operator with
        `aries users role`, does it)."""
        if by == user_id:
            raise RuleViolated("users_do_not_change_their_own_role",
                               "another admin changes your role")
        return self._change(user_id, expected_version, lambda u: u.change_role(role),
                            ends_sessions="role changed")

    def deactivate_user(
        self, user_id: UUID, expected_version: int | None = None, *, by: UUID | None = None
    ) -> CommandResult:
        """`by`: the user who asks. Nobody deactivates themselves, for the same reason as
        `change_role`: the last admin would lock the tenant out of its administration."""
        if by == user_id:
            raise RuleViolated("users_do_not_deactivate_themselves",
                               "another admin deactivates your account")
        return self._change(user_id, expected_version, User.deactivate,
                            ends_sessions="deactivated")

    def revoke_sessions(self, user_id: UUID, expected_version: int | None = None) -> CommandResult:
        """End every session of the user: access and refresh tokens stop working."""
        return self._change(user_id, expected_version, User.revoke_sessions,
                            ends_sessions="sessions revoked")

    def unlock(self, user_id: UUID, expected_version: int | None = None) -> CommandResult:
        """Forget the user's failed logins, so a locked account may log in again at once."""
        result = self._change(user_id, expected_version, User.unlock)
        user = self.get_user(user_id)
        self.guards.clear(login_name(user.tenant_id, user.username))
        log.info("user unlocked", user_id=str(user.id))
        return result

    def _set_password(self, user: User, password: str, reason: str) -> CommandResult:
        check_password(
            password, username=user.username, tenant_id=user.tenant_id,
            multi_factor=user.has_mfa or self.mfa_required(user.tenant_id),
        )
        password_hash = self.password_hasher.hash(password)
        return self._change(user.id, user.version, lambda u: u.change_password(password_hash),
                            ends_sessions=reason)

    def _change(
        self,
        user_id: UUID,
        expected_version: int | None,
        act: Callable[[User], None],
        *,
        ends_sessions: str | None = None,
    ) -> CommandResult:
        """Load the user (at `expected_version`, when given), act, record; where the act
        recorded something and `ends_sessions` names why, end the user's sessions."""
        user = self.get_user(user_id, expected_version)
        before = user.version
        act(user)
        result = self.commit(user)
        if ends_sessions is not None and result.version != before:
            self._end_sessions(user, ends_sessions)
        return result

    def _end_sessions(self, user: User, reason: str) -> None:
        now = self.clock.now()
        self.refresh_tokens.revoke_user(user.id, now, reason)
        self.revocations.revoke(user.id, now, reason)
        log.info("user sessions ended", user_id=str(user.id), reason=reason)

    def verify_password(self, password_hash: str, password: str) -> bool:
        try:
            return self.password_hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    @cached_property
    def dummy_hash(self) -> str:
        """Checked for an unknown login name, so it costs the time a real one does."""
        return self.password_hasher.hash(secrets.token_urlsafe(16))

    # --- second factor --------------------------------------------------------------------

    def start_mfa_enrolment(self, user_id: UUID) -> Enrolment:
        """A new TOTP secret for the user (recorded sealed), to be confirmed with a code."""
        user = self.get_user(user_id)
        enrolment = new_enrolment(login_name(user.tenant_id, user.username))
        user.start_mfa_enrolment(self.secret_box.seal(enrolment.secret))
        self.commit(user)
        return enrolment

    def confirm_mfa_enrolment(self, user_id: UUID, code: str) -> MfaConfirmed:
        """Enrol the pending secret once `code` comes from it; answers the recovery codes."""
        user = self.get_user(user_id)
        pending = user.pending_totp_secret
        if pending is None:
            raise RuleViolated("mfa_enrolment_is_started", "start the enrolment first")
        step = matching_step(self.secret_box.open(pending), code, self.clock.now())
        if step is None or not self.guards.accept_totp_step(
            login_name(user.tenant_id, user.username), step
        ):
            raise RuleViolated("mfa_code_is_right", "the code does not match; try the next one")
        codes = new_recovery_codes()
        user.confirm_mfa_enrolment([self.password_hasher.hash(code) for code in codes])
        result = self.commit(user)
        # Sessions opened with the password alone end: from now on a session took both factors.
        self._end_sessions(user, "second factor enrolled")
        return MfaConfirmed(result, codes)

    def reset_mfa(self, user_id: UUID, expected_version: int | None = None) -> CommandResult:
        """Forget a user's second factor (a lost device); they enrol again at next login."""
        return self._change(user_id, expected_version, User.reset_mfa,
                            ends_sessions="second factor reset")

    def totp_secret(self, user: User) -> str | None:
        return self.secret_box.open(user.totp_secret) if user.totp_secret else None

    # --- tenants' login policy ------------------------------------------------------------

    def mfa_required(self, tenant_id: str) -> bool:
        policy = self._get_any(SecurityPolicy.id_for(tenant_id), SecurityPolicy)
        return policy is not None and policy.mfa_required

    def security_policy(self, tenant_id: str) -> SecurityPolicy | None:
        return self._get_any(SecurityPolicy.id_for(tenant_id), SecurityPolicy)

    def require_mfa(
        self, tenant_id: str, required: bool, expected_version: int | None = None
    ) -> CommandResult:
        """Whether the tenant's people must log in with a second factor."""
        tenant_id = checked_tenant(tenant_id)
        policy = self.security_policy(tenant_id)
        if policy is None:
            if expected_version not in (None, 0):
                raise StaleVersion("security policy", expected_version, 0)
            with bound_context(tenant_id=tenant_id):
                policy = SecurityPolicy.create(tenant_id, mfa_required=required)
        else:
            policy = self._load(policy.id, SecurityPolicy, "security policy", expected_version)
            policy.require_mfa(required)
        result = self.commit(policy)
        log.info("mfa requirement set", tenant_id=tenant_id, required=required)
        return result

    # --- principals -----------------------------------------------------------------------

    def user_principal(self, user_id: UUID) -> Principal | None:
        """The user as they act now (current role), or None once deactivated or unknown."""
        user = self._get_any(user_id, User)
        if user is None or not user.is_active:
            return None
        return self.principal_of(user)

    def principal_of(self, user: User) -> Principal:
        return Principal(
            id=user.id, kind="user", name=user.username, role=user.role,
            tenant_id=user.tenant_id,
            mfa_enrolment_required=not user.has_mfa and self.mfa_required(user.tenant_id),
        )

    # --- API keys -------------------------------------------------------------------------

    def issue_api_key(self, name: str, role: Role | str, tenant_id: str) -> IssuedApiKey:
        """A new key for `tenant_id`. The returned `key` is the only copy there will ever be."""
        tenant_id = checked_tenant(tenant_id)
        for _ in range(3):  # 48-bit prefixes: a collision is rare, three in a row impossible
            key = f"{API_KEY_SCHEME}_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
            with bound_context(tenant_id=tenant_id):
                api_key = ApiKey.issue(name=name, role=role, key=key)
                index = IdentityIndex.reserve(API_KEY_PREFIX_INDEX, api_key.key_prefix, api_key.id)
            try:
                result = self.commit(api_key, index)
            except ConcurrentUpdate:  # the prefix is taken: draw another
                continue
            return IssuedApiKey(result=result, key=key, prefix=api_key.key_prefix)
        raise RuntimeError("could not reserve an API key prefix")

    def revoke_api_key(self, key_id: UUID, expected_version: int | None = None) -> CommandResult:
        """Revoke the key (StaleVersion if it is not at `expected_version`, when given)."""
        api_key = self._load(key_id, ApiKey, "api key", expected_version)
        api_key.revoke()
        result = self.commit(api_key)
        self.revocations.revoke(key_id, self.clock.now(), "api key revoked")
        return result

    def find_api_key(self, prefix: str) -> ApiKey | None:
        """The key with this lookup prefix (any tenant, revoked or not), or None."""
        key_id = self._indexed(API_KEY_PREFIX_INDEX, prefix)
        return self._get_any(key_id, ApiKey) if key_id is not None else None

    def verify_api_key(self, key: str) -> Principal | None:
        """The principal a presented key acts as, or None if it is unknown, wrong or revoked."""
        prefix = api_key_prefix(key)
        api_key = self.find_api_key(prefix) if prefix is not None else None
        if api_key is None or api_key.is_revoked or not api_key.matches(key):
            return None
        return Principal(
            id=api_key.id,
            kind="api_key",
            name=api_key.name,
            role=api_key.role,
            tenant_id=api_key.tenant_id,
        )

    # --- helpers --------------------------------------------------------------------------

    def _load(
        self, aggregate_id: UUID, kind: type[A], label: str, expected_version: int | None = None
    ) -> A:
        """Tenant-scoped load (another tenant's user is not found) naming the right kind."""
        try:
            return self.load(aggregate_id, kind, expected_version=expected_version)
        except NotFound:
            raise NotFound(label, aggregate_id) from None

    def _get_any(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        """Unscoped read, for checking credentials before any tenant is known."""
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, kind) else None

    def _indexed(self, kind: str, value: str) -> UUID | None:
        index = self._get_any(IdentityIndex.id_for(kind, value), IdentityIndex)
        return index.owner_id if index is not None else None


def _username_taken(username: str) -> RuleViolated:
    return RuleViolated("username_is_unique", f"username {username!r} is taken in this tenant")

