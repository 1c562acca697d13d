"""What login and every authenticated request need beside the event store, in schema `auth`
(migrations/versions/0010_identity_security.py): failed-login counts, refresh tokens and the
revocation list.

These change on every failed login, refresh and logout, and every process reads them, so they
are rows with atomic updates rather than events; the User aggregate records the decisions an
auditor asks about (locked out, unlocked, sessions revoked, password reset) as events.

- `LoginGuards`: the consecutive failures per login name (`domain/login_throttle.py`), counted
  before the password is checked, under a row lock, so concurrent guesses cannot outrun the
  count; and the last TOTP time step accepted, so a code is accepted once only.
- `RefreshTokens`: opaque tokens, stored as SHA-256, in families. Using one rotates it (it is
  spent and a new one of the same family is issued); presenting a spent one again means it
  was stolen or replayed, so its whole family is revoked (OAuth 2.0 Security BCP, RFC 9700
  section 4.14.2, "refresh token rotation").
- `RevocationList`: subjects (an access token's `jti`, a refresh family, a user, an API key)
  whose credentials issued up to a time are void. Every process keeps a copy, reloaded when
  older than `poll_seconds` before a request is accepted: a revocation holds everywhere within
  that bound (1 s by default), at once in the process that made it.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID, uuid4

from psycopg.sql import SQL, Identifier

from domain.login_throttle import LoginGuard

REFRESH_TOKEN_PREFIX = "rt_"  # noqa: S105 (a marker, not a secret)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class LoginGuards:
    """Failed-login counts and accepted TOTP steps, per login name (`tenant/username`)."""

    def __init__(self, datastore: Any) -> None:
        self.datastore = datastore

    def admit(self, login_name: str, now: datetime) -> tuple[LoginGuard, timedelta | None]:
        """Count an attempt as a failure, unless it must wait: (the guard after counting it,
        None) or (the guard as it was, how long to wait)."""
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "INSERT INTO auth.login_guards (login_name) VALUES (%s) ON CONFLICT DO NOTHING",
                (login_name,),
            )
            cursor.execute(
                "SELECT failures, last_failure_at FROM auth.login_guards"
                " WHERE login_name = %s FOR UPDATE",
                (login_name,),
            )
            row = cursor.fetchone()
            guard = LoginGuard(row["failures"], row["last_failure_at"])
            wait = guard.retry_after(now)
            if wait is not None:
                return guard, wait
            counted = guard.attempted(now)
            cursor.execute(
                "UPDATE auth.login_guards SET failures = %s, last_failure_at = %s"
                " WHERE login_name = %s",
                (counted.failures, counted.last_failure_at, login_name),
            )
            return counted, None

    def succeeded(self, login_name: str) -> None:
        self.clear(login_name)

    def clear(self, login_name: str) -> None:
        """Forget the failures (a full success, or an admin's unlock)."""
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "UPDATE auth.login_guards SET failures = 0, last_failure_at = NULL"
                " WHERE login_name = %s",
                (login_name,),
            )

    def accept_totp_step(self, login_name: str, step: int) -> bool:
        """Record `step` as used; False if it (or a later one) was accepted already."""
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "INSERT INTO auth.login_guards (login_name) VALUES (%s) ON CONFLICT DO NOTHING",
                (login_name,),
            )
            cursor.execute(
                "UPDATE auth.login_guards SET last_totp_step = %s WHERE login_name = %s"
                " AND (last_totp_step IS NULL OR last_totp_step < %s) RETURNING login_name",
                (step, login_name, step),
            )
            return cursor.fetchone() is not None


@dataclass(frozen=True)
class RefreshGrant:
    """A refresh token just issued (the only copy of `token`) and whom it is for."""

    token: str
    family_id: UUID
    user_id: UUID
    expires_at: datetime


class RefreshTokenReused(Exception):
    """A spent refresh token was presented again: its family is revoked."""

    def __init__(self, family_id: UUID, user_id: UUID) -> None:
        super().__init__("refresh token reused")
        self.family_id = family_id
        self.user_id = user_id


class RefreshTokens:
    def __init__(self, datastore: Any, ttl: timedelta) -> None:
        self.datastore = datastore
        self.ttl = ttl

    def start_family(self, user_id: UUID, tenant_id: str, now: datetime) -> RefreshGrant:
        """A new session's first refresh token."""
        family_id = uuid4()
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "INSERT INTO auth.refresh_families (family_id, user_id, tenant_id, created_at)"
                " VALUES (%s, %s, %s, %s)",
                (family_id, user_id, tenant_id, now),
            )
            return self._issue(cursor, family_id, user_id, now)

    def rotate(self, token: str, now: datetime) -> RefreshGrant | None:
        """Spend `token` for a new one of its family; None if it is unknown, expired or its
        family revoked; RefreshTokenReused (family revoked) if it was spent before."""
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "SELECT t.family_id, t.user_id, t.expires_at, t.used_at, f.revoked_at"
                " FROM auth.refresh_tokens t JOIN auth.refresh_families f USING (family_id)"
                " WHERE t.token_hash = %s FOR UPDATE OF t, f",
                (token_digest(token),),
            )
            row = cursor.fetchone()
            if row is None or row["revoked_at"] is not None or row["expires_at"] <= now:
                return None
            if row["used_at"] is not None:
                cursor.execute(
                    "UPDATE auth.refresh_families SET revoked_at = %s, revoked_reason = %s"
                    " WHERE family_id = %s",
                    (now, "refresh token reused", row["family_id"]),
                )
                reused = RefreshTokenReused(row["family_id"], row["user_id"])
            else:
                cursor.execute(
                    "UPDATE auth.refresh_tokens SET used_at = %s WHERE token_hash = %s",
                    (now, token_digest(token)),
                )
                return self._issue(cursor, row["family_id"], row["user_id"], now)
        raise reused

    def revoke_family(self, family_id: UUID, now: datetime, reason: str) -> None:
        self._revoke("family_id", family_id, now, reason)

    def revoke_user(self, user_id: UUID, now: datetime, reason: str) -> None:
        """End every session of the user."""
        self._revoke("user_id", user_id, now, reason)

    def _revoke(
        self, column: Literal["family_id", "user_id"], value: UUID, now: datetime, reason: str
    ) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                SQL(
                    "UPDATE auth.refresh_families SET revoked_at = %s, revoked_reason = %s"
                    " WHERE {column} = %s AND revoked_at IS NULL"
                ).format(column=Identifier(column)),
                (now, reason, value),
            )

    def _issue(self, cursor: Any, family_id: UUID, user_id: UUID, now: datetime) -> RefreshGrant:
        token = f"{REFRESH_TOKEN_PREFIX}{secrets.token_urlsafe(32)}"
        expires_at = now + self.ttl
        cursor.execute(
            "INSERT INTO auth.refresh_tokens"
            " (token_hash, family_id, user_id, issued_at, expires_at) VALUES (%s, %s, %s, %s, %s)",
            (token_digest(token), family_id, user_id, now, expires_at),
        )
        return RefreshGrant(token, family_id, user_id, expires_at)


class RevocationList:
    """Subjects whose credentials issued up to a time are void, as this process knows them."""

    def __init__(self, datastore: Any, *, hold: timedelta, poll_seconds: float = 1.0) -> None:
        self.datastore = datastore
        self.hold = hold  # how long an entry matters: the longest an access token lives, and more
        self.poll_seconds = poll_seconds
        self._revoked: dict[UUID, float] = {}
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def revoke(self, subject: UUID, now: datetime, reason: str) -> None:
        """Void `subject`'s credentials issued up to `now`: here at once, elsewhere within
        `poll_seconds`."""
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "INSERT INTO auth.revocations (subject, revoked_at, expires_at, reason)"
                " VALUES (%s, %s, %s, %s)",
                (subject, now, now + self.hold, reason),
            )
            cursor.execute("DELETE FROM auth.revocations WHERE expires_at < %s", (now,))
        self._note(subject, now.timestamp())

    def is_stale(self) -> bool:
        return time.monotonic() - self._loaded_at >= self.poll_seconds

    def reload(self) -> None:
        """Load every unexpired entry (the whole list: ids are not in commit order, so reading
        only the newer ones could miss a late commit)."""
        with self._lock:
            if not self.is_stale():
                return
            started = time.monotonic()
            with self.datastore.transaction(commit=False) as cursor:
                cursor.execute(
                    "SELECT subject, max(revoked_at) AS revoked_at FROM auth.revocations"
                    " WHERE expires_at > now() GROUP BY subject"
                )
                rows = cursor.fetchall()
            revoked = {row["subject"]: row["revoked_at"].timestamp() for row in rows}
            # Keep what this process revoked meanwhile (committed, maybe after the SELECT).
            for subject, at in self._revoked.items():
                if at > revoked.get(subject, float("-inf")):
                    revoked[subject] = at
            self._revoked = revoked
            self._loaded_at = started

    def revoked_since(self, issued_at: float, *subjects: UUID | None) -> bool:
        """Whether any of `subjects` was revoked at or after `issued_at` (a POSIX time)."""
        for subject in subjects:
            if subject is not None and self._revoked.get(subject, float("-inf")) >= issued_at:
                return True
        return False

    def _note(self, subject: UUID, at: float) -> None:
        with self._lock:
            if at > self._revoked.get(subject, float("-inf")):
                self._revoked = {**self._revoked, subject: at}
