"""Authentication: bearer JWTs for people (OAuth2 password flow) and `X-API-Key` for integrations.

`CurrentUser` is the dependency every endpoint takes (through `permissions.Allowed`).
It is an `async def` on purpose: it sets the EventContext (tenant, actor, role; the middleware's
correlation id is kept) in the request's own context, and a sync endpoint then runs in the
threadpool with a copy of that context, so every event the endpoint records carries it. A sync
dependency would set it in a worker thread's copy, where it would be lost.

Tokens carry `sub` (user id), `role`, `tenant`, `iat`, `exp`, `jti` and `iss`. The role and
tenant in force are the user's current ones, looked up (and cached for `auth_cache_seconds`):
a deactivated user or a revoked key stops working within that time, at once in the process
that revoked it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

import jwt
import structlog
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from starlette.concurrency import run_in_threadpool

from application.identity import IdentityApplication, Principal
from domain.context import bind_context
from domain.identity import api_key_hash
from interfaces.http.problems import ProblemError, ProblemResponses
from interfaces.http.ratelimit import limit_principal
from interfaces.settings import Settings

__all__ = ["AUTH_ERRORS", "AUTH_RESPONSES", "CurrentUser", "Principal", "current_principal"]

TOKEN_URL = "/v1/auth/token"  # noqa: S105 (a path, not a secret)
ISSUER = "aries"
log = structlog.get_logger("aries.http.security")

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl=TOKEN_URL, scheme_name="OAuth2Password", auto_error=False,
    description="people: log in at /v1/auth/token, send `Authorization: Bearer <token>`",
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key", scheme_name="ApiKey", auto_error=False,
    description="integrations: an API key issued by an admin",
)

AUTH_ERRORS = ProblemResponses({
    401: "missing or invalid credentials",
    403: "the caller's role may not do this",
    429: "rate limit reached (see Retry-After)",
})
AUTH_RESPONSES = AUTH_ERRORS(401, 403, 429)


def unauthenticated(detail: str, *, invalid: bool = False) -> ProblemError:
    challenge = 'Bearer realm="aries"' + (', error="invalid_token"' if invalid else "")
    return ProblemError(
        401, "Not authenticated", detail,
        type_="https://aries.dev/problems/not-authenticated",
        headers={"WWW-Authenticate": challenge},
    )


@dataclass(frozen=True)
class TokenService:
    """Issues and checks access tokens: HS256 with the shared secret, or RS256 with a key pair
    (a process holding only the public key can check tokens but not issue them)."""

    algorithm: str
    signing_key: Any
    verifying_key: Any
    ttl: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenService:
        ttl = timedelta(minutes=settings.jwt_ttl_minutes)
        if settings.jwt_private_key is not None or settings.jwt_public_key:
            private = (
                load_pem_private_key(settings.jwt_private_key.get_secret_value().encode(), None)
                if settings.jwt_private_key is not None
                else None
            )
            public = (
                load_pem_public_key(settings.jwt_public_key.encode())
                if settings.jwt_public_key
                else private.public_key()  # type: ignore[union-attr]
            )
            return cls("RS256", private, public, ttl)
        secret = settings.jwt_secret.get_secret_value()
        return cls("HS256", secret, secret, ttl)

    def issue(self, principal: Principal) -> str:
        if self.signing_key is None:
            raise RuntimeError("this process has no JWT private key: it cannot issue tokens")
        now = datetime.now(UTC)
        claims = {
            "sub": str(principal.id),
            "role": principal.role.value,
            "tenant": principal.tenant_id,
            "iat": now,
            "exp": now + self.ttl,
            "jti": uuid.uuid4().hex,
            "iss": ISSUER,
        }
        return jwt.encode(claims, self.signing_key, algorithm=self.algorithm)

    def decode(self, token: str) -> dict[str, Any]:
        """The token's claims; `jwt.InvalidTokenError` if forged, expired or incomplete."""
        return jwt.decode(
            token,
            self.verifying_key,
            algorithms=[self.algorithm],
            issuer=ISSUER,
            leeway=10,
            options={"require": ["sub", "role", "tenant", "iat", "exp", "jti", "iss"]},
        )


class Authenticator:
    """Turns a presented credential into a Principal. Looked-up principals are cached per
    process for `cache_seconds` (keyed by user id, or by the key's hash: a wrong key is never
    served from the cache)."""

    MAX_ENTRIES = 10_000

    def __init__(
        self, identity: IdentityApplication, tokens: TokenService, cache_seconds: float
    ) -> None:
        self.identity = identity
        self.tokens = tokens
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Principal]] = {}

    async def from_token(self, token: str) -> Principal:
        try:
            claims = self.tokens.decode(token)
            user_id = UUID(claims["sub"])
        except (jwt.InvalidTokenError, ValueError, TypeError):
            raise unauthenticated("the bearer token is invalid or expired", invalid=True) from None
        principal = await self._cached(
            f"user:{user_id}", lambda: self.identity.user_principal(user_id)
        )
        if principal is None:
            raise unauthenticated("the user no longer exists or is deactivated", invalid=True)
        return principal

    async def from_api_key(self, key: str) -> Principal:
        principal = await self._cached(
            f"key:{api_key_hash(key)}", lambda: self.identity.verify_api_key(key)
        )
        if principal is None:
            raise unauthenticated("the API key is invalid or revoked")
        return principal

    def forget(self, principal_id: UUID) -> None:
        """Drop a principal from this process's cache (after revoking or deactivating it)."""
        for cache_key, (_, principal) in list(self._cache.items()):
            if principal.id == principal_id:
                self._cache.pop(cache_key, None)

    async def _cached(
        self, cache_key: str, look_up: Callable[[], Principal | None]
    ) -> Principal | None:
        now = time.monotonic()
        hit = self._cache.get(cache_key)
        if hit is not None and hit[0] > now:
            return hit[1]
        principal = await run_in_threadpool(look_up)
        if principal is not None and self.cache_seconds > 0:
            if len(self._cache) >= self.MAX_ENTRIES:
                self._cache.clear()
            self._cache[cache_key] = (now + self.cache_seconds, principal)
        else:
            self._cache.pop(cache_key, None)
        return principal


async def authenticate(request: Request) -> Principal:
    """The request's principal (resolved once per request), or a 401 problem.

    A bearer token wins when both credentials are sent.
    """
    known = getattr(request.state, "principal", None)
    if known is not None:
        return known
    authenticator: Authenticator = request.app.state.authenticator
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    api_key = request.headers.get("x-api-key")
    if scheme:
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthenticated("send `Authorization: Bearer <token>`", invalid=True)
        principal = await authenticator.from_token(token.strip())
    elif api_key:
        principal = await authenticator.from_api_key(api_key.strip())
    else:
        raise unauthenticated("credentials are missing")
    request.state.principal = principal
    return principal


async def current_principal(
    request: Request,
    _token: Annotated[str | None, Depends(oauth2_scheme)],
    _api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """Authenticate, apply the caller's rate limit and bind the EventContext for the request.

    (`_token` and `_api_key` declare the two security schemes in OpenAPI.)
    """
    principal = await authenticate(request)
    await limit_principal(request, principal)
    bind_context(
        tenant_id=principal.tenant_id, actor_id=str(principal.id), actor_role=principal.role.value
    )
    structlog.contextvars.bind_contextvars(actor_id=str(principal.id))
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]
