"""Users: people who log in. Admins create them and manage their lifecycle (deactivate, change
role, reset password or second factor, unlock, end sessions); everyone manages their own
password and second factor."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from application.identity import Principal
from interfaces.http.bounds import position
from interfaces.http.commands import CommandAccepted, ExpectedVersion, command_response, etag
from interfaces.http.deps import AriesDep
from interfaces.http.idempotency import redact_on_replay
from interfaces.http.permissions import Allowed, tenant_for
from interfaces.http.problems import ProblemError, ProblemResponses
from interfaces.http.reads import (
    Cursor,
    MinPosition,
    Page,
    PageSize,
    decode_cursor,
    next_cursor,
    one_hop,
    wait_for_read_model,
)
from interfaces.http.schemas.users import (
    MfaConfirmation,
    MfaConfirmed,
    MfaEnrolmentView,
    NewUser,
    OwnPasswordChange,
    PasswordReset,
    RoleChange,
    UserView,
)
from interfaces.http.security import AUTH_RESPONSES
from projections.queries.users import registered_users

router = APIRouter(prefix="/v1/users", tags=["users"], responses=AUTH_RESPONSES)

_errors = ProblemResponses({
    400: "malformed If-Match or cursor",
    404: "no such user in your tenant",
    409: "a rule refused it (a weak password, a taken username, a deactivated user, a wrong "
         "code, your own account; see `rule`)",
    412: "If-Match names another version",
})


def _acting_user(principal: Principal) -> UUID | None:
    return principal.id if principal.kind == "user" else None


def _people_only(principal: Principal) -> None:
    if principal.kind != "user":
        raise ProblemError(
            409, "Conflict", "API keys have no password or second factor",
            type_="https://aries.dev/problems/not-a-user",
        )


@router.post(
    "", status_code=201, operation_id="create_user", response_model=CommandAccepted,
    responses=_errors(409),
)
def create_user(
    body: NewUser,
    principal: Allowed("create_user"),
    aries: AriesDep,
) -> JSONResponse:
    """Create a user (admins); the password is stored only as an argon2 hash."""
    result = aries.identity.create_user(
        body.username, body.password.get_secret_value(), body.role,
        tenant_for(principal, body.tenant_id),
    )
    return command_response(result, 201, location=f"/v1/users/{result.id}")


@router.get("", operation_id="list_users", response_model=Page[UserView], responses=_errors(400))
@one_hop
def list_users(
    principal: Allowed("list_users"),
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Page[UserView]:
    """The users of your tenant, deactivated ones too, oldest first."""
    wait_for_read_model(aries, response, "event_index", "identity", min_position)
    after = decode_cursor(cursor, (position,))
    with aries.read_engine.connect() as conn:
        found = registered_users(conn, principal.tenant_id, after=after, limit=limit)
    return Page[UserView](
        items=[UserView.of_user(aries.identity.get_user(row.originator_id))
               for row in found.rows],
        next_cursor=next_cursor(found.next_key),
    )


@router.get("/me", operation_id="read_current_user", response_model=UserView)
async def read_current_user(
    principal: Allowed("read_current_user"),
) -> UserView:
    """Who the credentials belong to (a user or an API key), with role and tenant."""
    return UserView.of_principal(principal)


@router.post(
    "/me/password", operation_id="change_own_password", response_model=CommandAccepted,
    responses=_errors(409),
)
def change_own_password(
    body: OwnPasswordChange, principal: Allowed("change_own_password"), aries: AriesDep
) -> JSONResponse:
    """Change your password, giving the current one; your sessions end (log in again)."""
    _people_only(principal)
    result = aries.identity.change_own_password(
        principal.id, body.current_password.get_secret_value(),
        body.new_password.get_secret_value(),
    )
    return command_response(result)


@router.post(
    "/me/mfa", operation_id="start_mfa_enrolment", response_model=MfaEnrolmentView,
    responses=_errors(409),
)
def start_mfa_enrolment(
    principal: Allowed("start_mfa_enrolment"), aries: AriesDep, request: Request
) -> MfaEnrolmentView:
    """Start enrolling a TOTP second factor: scan the URI into an authenticator app, then
    confirm with a code."""
    _people_only(principal)
    enrolment = aries.identity.start_mfa_enrolment(principal.id)
    redact_on_replay(request)
    return MfaEnrolmentView(secret=enrolment.secret, provisioning_uri=enrolment.provisioning_uri)


@router.post(
    "/me/mfa/confirmation", operation_id="confirm_mfa_enrolment", response_model=MfaConfirmed,
    responses=_errors(409),
)
def confirm_mfa_enrolment(
    body: MfaConfirmation,
    principal: Allowed("confirm_mfa_enrolment"),
    aries: AriesDep,
    request: Request,
) -> JSONResponse:
    """Confirm the enrolment with the app's current code; answers recovery codes, once. Your
    sessions end: log in again, with a code from now on."""
    _people_only(principal)
    confirmed = aries.identity.confirm_mfa_enrolment(principal.id, body.code)
    redact_on_replay(request)
    return command_response(confirmed.result, extra={"recovery_codes": confirmed.recovery_codes})


@router.get("/{user_id}", operation_id="read_user", response_model=UserView,
            responses=_errors(404))
@one_hop
def read_user(
    user_id: UUID,
    principal: Allowed("read_user"),
    aries: AriesDep,
) -> JSONResponse:
    """One user of the caller's tenant."""
    user = aries.identity.get_user(user_id)
    view = UserView.of_user(user)
    return JSONResponse(view.model_dump(mode="json"), headers={"ETag": etag(user.version)})


@router.post(
    "/{user_id}/deactivation", operation_id="deactivate_user", response_model=CommandAccepted,
    responses=_errors(400, 404, 409, 412),
)
def deactivate_user(
    user_id: UUID, principal: Allowed("deactivate_user"), aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Deactivate a user: they cannot log in, and their sessions end at once. Not yourself
    (409): so a tenant always keeps an admin."""
    return command_response(
        aries.identity.deactivate_user(user_id, expected, by=_acting_user(principal))
    )


@router.put(
    "/{user_id}/role", operation_id="change_user_role", response_model=CommandAccepted,
    responses=_errors(400, 404, 409, 412),
)
def change_user_role(
    user_id: UUID, body: RoleChange, principal: Allowed("change_user_role"), aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Give a user another role; their sessions end, and they log in again in the new one.
    Not your own (409): so a tenant always keeps an admin."""
    return command_response(
        aries.identity.change_role(user_id, body.role, expected, by=_acting_user(principal))
    )


@router.post(
    "/{user_id}/password", operation_id="reset_user_password", response_model=CommandAccepted,
    responses=_errors(400, 404, 409, 412),
)
def reset_user_password(
    user_id: UUID, body: PasswordReset, principal: Allowed("reset_user_password"),
    aries: AriesDep, expected: ExpectedVersion,
) -> JSONResponse:
    """Set a user's password (forgotten or compromised); their sessions end."""
    result = aries.identity.reset_password(user_id, body.password.get_secret_value(), expected)
    return command_response(result)


@router.post(
    "/{user_id}/unlock", operation_id="unlock_user", response_model=CommandAccepted,
    responses=_errors(400, 404, 412),
)
def unlock_user(
    user_id: UUID, principal: Allowed("unlock_user"), aries: AriesDep, expected: ExpectedVersion,
) -> JSONResponse:
    """Let a user locked out by failed logins log in again now (not after 15 minutes)."""
    return command_response(aries.identity.unlock(user_id, expected))


@router.delete(
    "/{user_id}/sessions", operation_id="revoke_user_sessions", response_model=CommandAccepted,
    responses=_errors(400, 404, 412),
)
def revoke_user_sessions(
    user_id: UUID, principal: Allowed("revoke_user_sessions"), aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """End every session of a user: their access and refresh tokens stop working at once."""
    return command_response(aries.identity.revoke_sessions(user_id, expected))


@router.delete(
    "/{user_id}/mfa", operation_id="reset_user_mfa", response_model=CommandAccepted,
    responses=_errors(400, 404, 412),
)
def reset_user_mfa(
    user_id: UUID, principal: Allowed("reset_user_mfa"), aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Forget a user's second factor (a lost device); they enrol a new one."""
    return command_response(aries.identity.reset_mfa(user_id, expected))
