"""Authentication: bearer JWTs for people (OAuth2 password flow) and `X-API-Key` for integrations.

`CurrentUser` is the dependency every endpoint takes (through `permissions.Allowed`).
It is an `async def` on purpose: it sets the EventContext (tenant, actor, role; the middleware's
correlation id is kept) in the request's own context, and a sync endpoint then runs in the
threadpool with a copy of that context, so every event the endpoint records carries it. A sync
dependency would set it in a worker thread's copy, where it would be lost.

Tokens carry `sub` (user id), `role`, `tenant`, `iat` (with microseconds), `exp`, `jti`, `iss`
and `fam` (the login session, application/login.py). A token is verified once per process and
its claims cached until it expires (keyed by its SHA-256, at most `Authenticator.MAX_ENTRIES`
tokens, least recently used dropped first); the key is parsed once (`PyJWK`).
The cache never skips the revocation check: every request compares the token's `jti`, `sub`
and `fam` with the revocation list (application/sessions.py), which is reloaded before a
request is accepted whenever it is older than `ARIES_REVOCATION_POLL_SECONDS`. So a logout,
deactivation, password reset or revoked API key holds in every process within that bound, and
at once in the process that made it. The role and tenant in force are the user's current ones,
looked up and cached for `auth_cache_seconds`, a cached principal being dropped as soon as its
subject appears on the list.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

import jwt
import structlog
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from jwt.algorithms import RSAAlgorithm
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
    description="people: log in at /v1/auth/token as `tenant/username`, send "
    "`Authorization: Bearer <token>`",
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
    verifying_key: jwt.PyJWK
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
            jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
            return cls("RS256", private, jwt.PyJWK(jwk, algorithm="RS256"), ttl)
        secret = settings.jwt_secret.get_secret_value().encode()
        jwk = {"kty": "oct", "k": base64.urlsafe_b64encode(secret).rstrip(b"=").decode()}
        return cls("HS256", secret, jwt.PyJWK(jwk, algorithm="HS256"), ttl)

    def issue(self, principal: Principal, session_id: UUID) -> str:
        if self.signing_key is None:
            raise RuntimeError("this process has no JWT private key: it cannot issue tokens")
        now = time.time()
        claims = {
            "sub": str(principal.id),
            "role": principal.role.value,
            "tenant": principal.tenant_id,
            "iat": now,
            "exp": int(now + self.ttl.total_seconds()),
            "jti": uuid.uuid4().hex,
            "iss": ISSUER,
            "fam": str(session_id),
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
            options={"require": ["sub", "role", "tenant", "iat", "exp", "jti", "iss", "fam"]},
        )


@dataclass(frozen=True)
class VerifiedToken:
    user_id: UUID
    session_id: UUID
    token_id: UUID
    issued_at: float
    expires_at: float

    @classmethod
    def of(cls, claims: dict[str, Any]) -> VerifiedToken:
        return cls(
            UUID(claims["sub"]), UUID(claims["fam"]), UUID(hex=claims["jti"]),
            float(claims["iat"]), float(claims["exp"]),
        )


class Authenticator:
    """Turns a presented credential into a Principal.

    Two per-process caches, neither of which skips the revocation list: verified tokens (by the
    token's SHA-256, until the token expires; a bounded LRU) and looked-up principals (by user
    id or by the key's hash: a wrong key is never served from the cache, for `cache_seconds`,
    dropped when their subject is revoked after they were looked up).
    """

    MAX_ENTRIES = 10_000

    def __init__(
        self,
        identity: IdentityApplication,
        tokens: TokenService,
        cache_seconds: float,
    ) -> None:
        self.identity = identity
        self.revocations = identity.revocations
        self.tokens = tokens
        self.cache_seconds = cache_seconds
        self._tokens: OrderedDict[bytes, VerifiedToken] = OrderedDict()
        self._principals: dict[str, tuple[float, float, Principal]] = {}

    async def from_token(self, token: str) -> tuple[Principal, VerifiedToken]:
        verified = self._verified(token)
        await self._fresh_revocations()
        if self.revocations.revoked_since(
            verified.issued_at, verified.token_id, verified.user_id, verified.session_id
        ):
            raise unauthenticated("the session has ended (logged out or revoked)", invalid=True)
        user_id = verified.user_id
        principal = await self._cached(
            f"user:{user_id}", lambda: self.identity.user_principal(user_id)
        )
        if principal is None:
            raise unauthenticated("the user no longer exists or is deactivated", invalid=True)
        return principal, verified

    async def from_api_key(self, key: str) -> Principal:
        await self._fresh_revocations()
        principal = await self._cached(
            f"key:{api_key_hash(key)}", lambda: self.identity.verify_api_key(key)
        )
        if principal is None:
            raise unauthenticated("the API key is invalid or revoked")
        return principal

    def _verified(self, token: str) -> VerifiedToken:
        digest = hashlib.sha256(token.encode("utf-8")).digest()
        verified = self._tokens.get(digest)
        if verified is None:
            try:
                verified = VerifiedToken.of(self.tokens.decode(token))
            except (jwt.InvalidTokenError, ValueError, TypeError, KeyError):
                raise unauthenticated(
                    "the bearer token is invalid or expired", invalid=True
                ) from None
            self._tokens[digest] = verified
            if len(self._tokens) > self.MAX_ENTRIES:
                self._tokens.popitem(last=False)  # the least recently used
        else:
            self._tokens.move_to_end(digest)
        if verified.expires_at <= time.time():
            self._tokens.pop(digest, None)
            raise unauthenticated("the bearer token is invalid or expired", invalid=True)
        return verified

    async def _fresh_revocations(self) -> None:
        if self.revocations.is_stale():
            await run_in_threadpool(self.revocations.reload)

    async def _cached(
        self, cache_key: str, look_up: Callable[[], Principal | None]
    ) -> Principal | None:
        now = time.monotonic()
        hit = self._principals.get(cache_key)
        if hit is not None:
            expires, looked_up_at, principal = hit
            if expires > now and not self.revocations.revoked_since(looked_up_at, principal.id):
                return principal
        looked_up_at = time.time()
        principal = await run_in_threadpool(look_up)
        if principal is not None and self.cache_seconds > 0:
            if len(self._principals) >= self.MAX_ENTRIES:
                self._principals.clear()
            self._principals[cache_key] = (now + self.cache_seconds, looked_up_at, principal)
        else:
            self._principals.pop(cache_key, None)
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
        principal, request.state.token = await authenticator.from_token(token.strip())
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
