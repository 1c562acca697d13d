"""Identity use cases: users and API keys, and checking the credentials they present.

Authentication is deliberately uniform in time: an unknown username is checked against a dummy
argon2 hash, so a caller cannot tell "no such user" from "wrong password" by the clock. Nothing
here says which of the two it was; the answer is `None` either way.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from eventsourcing.application import AggregateNotFoundError

from application.eventstore import A, AriesApplication, CommandResult, ConcurrentUpdate
from domain.context import bound_context
from domain.errors import InvalidValue, NotFound, RuleViolated
from domain.identity import (
    API_KEY_PREFIX_INDEX,
    API_KEY_SCHEME,
    USERNAME_INDEX,
    ApiKey,
    IdentityIndex,
    Role,
    User,
    api_key_prefix,
    check_password_policy,
    checked_role,
    checked_tenant,
    normalized_username,
)


@dataclass(frozen=True)
class Principal:
    """Who presented a credential: a user or an API key, acting in one role for one tenant."""

    id: UUID
    kind: Literal["user", "api_key"]
    name: str
    role: Role
    tenant_id: str


@dataclass(frozen=True)
class IssuedApiKey:
    result: CommandResult
    key: str  # the secret, shown to the caller once and never stored
    prefix: str


class IdentityApplication(AriesApplication):
    name = "Identity"
    aggregate_kind = "user"

    def __init__(
        self, env: dict[str, Any] | None = None, *, password_hasher: PasswordHasher | None = None
    ) -> None:
        super().__init__(env)
        self.password_hasher = password_hasher or PasswordHasher()

    # --- users ----------------------------------------------------------------------------

    def create_user(
        self, username: str, password: str, role: Role | str, tenant_id: str
    ) -> CommandResult:
        """Register a user of `tenant_id`; the username must not be taken (in any tenant)."""
        username = normalized_username(username)
        role = checked_role(role)
        tenant_id = checked_tenant(tenant_id)
        check_password_policy(password)
        if self._indexed(USERNAME_INDEX, username) is not None:
            raise _username_taken(username)
        password_hash = self.password_hasher.hash(password)
        with bound_context(tenant_id=tenant_id):
            user = User.register(username=username, role=role, password_hash=password_hash)
            index = IdentityIndex.reserve(USERNAME_INDEX, username, user.id)
        try:
            return self.commit(user, index)
        except ConcurrentUpdate:  # a concurrent registration took the name first
            raise _username_taken(username) from None

    def get_user(self, user_id: UUID) -> User:
        return self._load(user_id, User, "user")

    def change_password(self, user_id: UUID, password: str) -> CommandResult:
        check_password_policy(password)
        user = self.get_user(user_id)
        user.change_password(self.password_hasher.hash(password))
        return self.commit(user)

    def change_role(self, user_id: UUID, role: Role | str) -> CommandResult:
        user = self.get_user(user_id)
        user.change_role(role)
        return self.commit(user)

    def deactivate_user(self, user_id: UUID) -> CommandResult:
        user = self.get_user(user_id)
        user.deactivate()
        return self.commit(user)

    def authenticate(self, username: str, password: str) -> Principal | None:
        """The active user with this username and password, else None (in about equal time)."""
        try:
            user_id = self._indexed(USERNAME_INDEX, normalized_username(username))
        except InvalidValue:
            user_id = None
        user = self._get_any(user_id, User) if user_id is not None else None
        password_hash = user.password_hash if user is not None else self._dummy_hash
        try:
            verified = self.password_hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            verified = False
        if not verified or user is None or not user.is_active:
            return None
        return _user_principal(user)

    def user_principal(self, user_id: UUID) -> Principal | None:
        """The user as they act now (current role), or None once deactivated or unknown."""
        user = self._get_any(user_id, User)
        return _user_principal(user) if user is not None and user.is_active else None

    @cached_property
    def _dummy_hash(self) -> str:
        return self.password_hasher.hash(secrets.token_urlsafe(16))

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
        return self.commit(api_key)

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


def _user_principal(user: User) -> Principal:
    return Principal(
        id=user.id, kind="user", name=user.username, role=user.role, tenant_id=user.tenant_id
    )


def _username_taken(username: str) -> RuleViolated:
    return RuleViolated("username_is_unique", f"username {username!r} is taken")
