"""Logging in and out (the OAuth2 password and refresh-token grants, issuing bearer JWTs) and
the tenant's login policy."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from application.login import LoginFailed, Logins, LoginThrottled, Session
from interfaces.http.commands import CommandAccepted, ExpectedVersion, command_response, etag
from interfaces.http.deps import AriesDep
from interfaces.http.idempotency import redact_on_replay
from interfaces.http.permissions import Allowed
from interfaces.http.problems import ProblemError, ProblemResponses
from interfaces.http.reads import one_hop
from interfaces.http.schemas.auth import LoginPolicyChange, LoginPolicyView, LogOut, Token
from interfaces.http.security import AUTH_ERRORS, AUTH_RESPONSES, TokenService, unauthenticated

router = APIRouter(prefix="/v1/auth", tags=["auth"])

_errors = ProblemResponses({
    400: "a grant's field is missing, or the grant type is not supported",
    409: "an API key has no session to end (revoke the key instead)",
    412: "If-Match names another version",
})


class TokenRequest:
    """The token endpoint's form (RFC 6749 sections 4.3 and 6)."""

    def __init__(
        self,
        grant_type: Annotated[str, Form(
            pattern="^(password|refresh_token)$",
            description="`password` (log in) or `refresh_token` (a new pair for a refresh token)",
        )] = "password",
        username: Annotated[str | None, Form(
            max_length=200, description="`tenant/username`, e.g. `acme/jdoe`",
            examples=["acme/jdoe"],
        )] = None,
        password: Annotated[
            str | None, Form(max_length=256, examples=["correct horse battery staple"])
        ] = None,
        otp: Annotated[str | None, Form(
            max_length=40,
            description="once MFA is enrolled: the 6-digit TOTP code, or a recovery code",
        )] = None,
        refresh_token: Annotated[str | None, Form(max_length=200)] = None,
        scope: Annotated[str, Form(max_length=200, description="not used")] = "",
        client_id: Annotated[str | None, Form(max_length=200, description="not used")] = None,
    ) -> None:
        self.grant_type = grant_type
        self.username = username
        self.password = password
        self.otp = otp
        self.refresh_token = refresh_token


def _missing(field: str) -> ProblemError:
    return ProblemError(
        400, "Bad request", f"this grant needs `{field}`",
        type_="https://aries.dev/problems/invalid-grant-request",
    )


@router.post(
    "/token",
    operation_id="issue_token",
    response_model=Token,
    responses={**AUTH_ERRORS(401, 429), **_errors(400)},
)
def issue_token(
    form: Annotated[TokenRequest, Depends()], aries: AriesDep, request: Request
) -> Token:
    """Log in (`tenant/username`, password and, once enrolled, a TOTP code) or refresh; answers
    a bearer token and a refresh token. Ten failures in a row lock the login for 15 minutes."""
    logins = Logins(aries.identity)
    try:
        if form.grant_type == "refresh_token":
            if not form.refresh_token:
                raise _missing("refresh_token")
            session = logins.refresh(form.refresh_token)
        else:
            if not form.username or form.password is None:
                raise _missing("username" if not form.username else "password")
            session = logins.log_in(form.username, form.password, form.otp)
    except LoginThrottled as throttled:
        raise _throttled(throttled) from None
    except LoginFailed as failed:
        raise _login_failed(failed) from None
    redact_on_replay(request)  # a token is a secret: never kept for Idempotency-Key replays
    return _token(request.app.state.tokens, session)


def _throttled(throttled: LoginThrottled) -> ProblemError:
    seconds = max(math.ceil(throttled.retry_after.total_seconds()), 1)
    what = "locked after too many failed logins" if throttled.locked else "throttled"
    return ProblemError(
        429, "Too many requests", f"this login is {what}; try again in {seconds} s",
        type_="https://aries.dev/problems/login-throttled",
        headers={"Retry-After": str(seconds)},
    )


def _login_failed(failed: LoginFailed) -> ProblemError:
    if failed.reason == "mfa_required":
        return ProblemError(
            401, "Not authenticated", "send the TOTP code (or a recovery code) as `otp`",
            type_="https://aries.dev/problems/mfa-required",
            headers={"WWW-Authenticate": 'Bearer realm="aries"'}, mfa_required=True,
        )
    if failed.reason == "refresh":
        return unauthenticated("the refresh token is invalid, spent or revoked; log in again")
    if failed.reason == "mfa_wrong":
        return unauthenticated("the code is wrong or was used already")
    return unauthenticated("the username or password is wrong")


def _token(tokens: TokenService, session: Session) -> Token:
    return Token(
        access_token=tokens.issue(session.principal, session.refresh.family_id),
        expires_in=int(tokens.ttl.total_seconds()),
        refresh_token=session.refresh.token,
    )


@router.post(
    "/logout",
    status_code=204,
    operation_id="log_out",
    response_class=Response,
    responses={**AUTH_RESPONSES, **_errors(409)},
)
async def log_out(body: LogOut, principal: Allowed("log_out"), aries: AriesDep,
                  request: Request) -> Response:
    """End this session (its access and refresh tokens stop working), or all of yours."""
    token = getattr(request.state, "token", None)
    if token is None:
        raise ProblemError(
            409, "Conflict", "an API key has no session; an admin revokes the key",
            type_="https://aries.dev/problems/no-session",
        )
    if body.all_sessions:
        await run_in_threadpool(aries.identity.revoke_sessions, principal.id)
    else:
        await run_in_threadpool(Logins(aries.identity).end_session, token.session_id)
    return Response(status_code=204)


@router.get(
    "/policy",
    operation_id="read_login_policy",
    response_model=LoginPolicyView,
    responses=AUTH_RESPONSES,
)
@one_hop
def read_login_policy(principal: Allowed("read_login_policy"), aries: AriesDep) -> JSONResponse:
    """Your tenant's login policy: whether a second factor is required."""
    policy = aries.identity.security_policy(principal.tenant_id)
    view = LoginPolicyView(
        mfa_required=policy is not None and policy.mfa_required,
        version=policy.version if policy is not None else 0,
    )
    return JSONResponse(view.model_dump(mode="json"), headers={"ETag": etag(view.version)})


@router.put(
    "/policy",
    operation_id="set_login_policy",
    response_model=CommandAccepted,
    responses={**AUTH_RESPONSES, **_errors(412)},
)
def set_login_policy(
    body: LoginPolicyChange,
    principal: Allowed("set_login_policy"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Require (or stop requiring) a second factor for your tenant's people: once required, a
    user without one may only enrol one."""
    result = aries.identity.require_mfa(principal.tenant_id, body.mfa_required, expected)
    return command_response(result)
