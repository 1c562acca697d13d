"""Logging in: the OAuth2 password flow that issues bearer tokens (JWT)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from interfaces.http.deps import AriesDep
from interfaces.http.idempotency import redact_on_replay
from interfaces.http.schemas.auth import Token
from interfaces.http.security import AUTH_ERRORS, TokenService, unauthenticated

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.post(
    "/token",
    operation_id="issue_token",
    response_model=Token,
    responses=AUTH_ERRORS(401, 429),
)
def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], aries: AriesDep, request: Request
) -> Token:
    """Log in with username and password; answers a bearer token."""
    principal = aries.identity.authenticate(form.username, form.password)
    if principal is None:
        raise unauthenticated("the username or password is wrong")
    tokens: TokenService = request.app.state.tokens
    redact_on_replay(request)  # a token is a secret: never kept for Idempotency-Key replays
    return Token(
        access_token=tokens.issue(principal), expires_in=int(tokens.ttl.total_seconds())
    )
