"""Logging in, refreshing and logging out: the use cases behind `POST /v1/auth/token` and
`POST /v1/auth/logout`.

A login names its tenant (`acme/jdoe`). It is admitted by the login name's failure count first
(`domain/login_throttle.py`: throttled or locked names are refused without checking anything),
then the password is checked (against a dummy hash for unknown names, so the time and the
answer are the same as for a wrong password), then, for a user enrolled in MFA, the second
factor: a TOTP code or a recovery code. Only a full success clears the count. A success opens
a session: a refresh-token family whose id the access tokens carry, so ending the session
(logout, reuse of a spent refresh token) voids its access tokens too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal
from uuid import UUID

import structlog

from application.eventstore import ConcurrentUpdate
from application.identity import IdentityApplication, Principal
from application.mfa import matching_recovery_code, matching_step
from application.sessions import RefreshGrant, RefreshTokenReused
from domain.context import bound_context
from domain.errors import InvalidValue
from domain.identity import User, parsed_login_name
from domain.login_throttle import LOCKOUT, LoginGuard

log = structlog.get_logger("aries.login")
LONGEST_LOGIN_NAME = 200


class LoginThrottled(Exception):
    """Too many failed logins for this login name: wait `retry_after` (locked: 15 minutes)."""

    def __init__(self, retry_after: timedelta, locked: bool) -> None:
        super().__init__("login throttled")
        self.retry_after = retry_after
        self.locked = locked


class LoginFailed(Exception):
    """The credentials do not open a session. `reason` says which step refused, and is only
    ever `mfa_required` or `mfa_wrong` after the password was right."""

    def __init__(
        self, reason: Literal["credentials", "mfa_required", "mfa_wrong", "refresh"]
    ) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Session:
    principal: Principal
    refresh: RefreshGrant


class Logins:
    def __init__(self, identity: IdentityApplication) -> None:
        self.identity = identity
        self.guards = identity.guards

    def log_in(self, name: str, password: str, second_factor: str | None = None) -> Session:
        now = self.identity.clock.now()
        guard_key = name.strip().lower()[:LONGEST_LOGIN_NAME]
        user = self._find(name)
        guard, wait = self.guards.admit(guard_key, now)
        if wait is not None:
            locked = guard.is_locked(now)
            log.info("login throttled", locked=locked, known=user is not None)
            raise LoginThrottled(wait, locked)
        password_hash = user.password_hash if user is not None else self.identity.dummy_hash
        if not self.identity.verify_password(password_hash, password) or user is None:
            self._failed(user, guard)
            raise LoginFailed("credentials")
        if not user.is_active:
            self._failed(user, guard)
            raise LoginFailed("credentials")
        if user.has_mfa:
            if not second_factor:
                raise LoginFailed("mfa_required")  # the attempt stays counted until it succeeds
            if not self._second_factor_matches(user, guard_key, second_factor):
                self._failed(user, guard)
                raise LoginFailed("mfa_wrong")
        self.guards.succeeded(guard_key)
        grant = self.identity.refresh_tokens.start_family(user.id, user.tenant_id, now)
        log.info("logged in", user_id=str(user.id), mfa=user.has_mfa)
        return Session(self.identity.principal_of(user), grant)

    def refresh(self, token: str) -> Session:
        """A new access and refresh token for a refresh token, which is spent."""
        now = self.identity.clock.now()
        try:
            grant = self.identity.refresh_tokens.rotate(token, now)
        except RefreshTokenReused as reused:
            self.identity.revocations.revoke(reused.family_id, now, "refresh token reused")
            log.warning("refresh token reused: session revoked", user_id=str(reused.user_id))
            raise LoginFailed("refresh") from None
        if grant is None:
            raise LoginFailed("refresh")
        principal = self.identity.user_principal(grant.user_id)
        if principal is None:  # deactivated since
            self.end_session(grant.family_id)
            raise LoginFailed("refresh")
        return Session(principal, grant)

    def end_session(self, family_id: UUID) -> None:
        """Log out: the session's refresh tokens and access tokens stop working."""
        now = self.identity.clock.now()
        self.identity.refresh_tokens.revoke_family(family_id, now, "logged out")
        self.identity.revocations.revoke(family_id, now, "logged out")

    def _find(self, name: str) -> User | None:
        try:
            tenant_id, username = parsed_login_name(name)
        except InvalidValue:
            return None
        return self.identity.find_user(tenant_id, username)

    def _second_factor_matches(self, user: User, guard_key: str, code: str) -> bool:
        secret = self.identity.totp_secret(user)
        step = matching_step(secret, code, self.identity.clock.now()) if secret else None
        if step is not None:
            return self.guards.accept_totp_step(guard_key, step)
        index = matching_recovery_code(
            self.identity.password_hasher, user.recovery_code_hashes, code
        )
        if index is None:
            return False
        with bound_context(tenant_id=user.tenant_id, actor_id=str(user.id), actor_role=None):
            user.use_recovery_code(index)
        try:
            self.identity.commit(user)
        except ConcurrentUpdate:  # used by a concurrent login: once only
            return False
        log.info("recovery code used", user_id=str(user.id))
        return True

    def _failed(self, user: User | None, guard: LoginGuard) -> None:
        """After a failed attempt: the failure that locks a known user is recorded."""
        if user is None or not guard.locks_now():
            return
        until = guard.last_failure_at + LOCKOUT  # type: ignore[operator]
        with bound_context(tenant_id=user.tenant_id, actor_id=None, actor_role=None):
            user.record_lockout(until)
        try:
            self.identity.commit(user)
        except ConcurrentUpdate:
            pass  # another event got there first; the lock itself is in force regardless
        log.warning("account locked out", user_id=str(user.id))
