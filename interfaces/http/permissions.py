"""Who may do what: the role x operation matrix, in code, and the `require` dependency.

Every operation is named by its route's `operation_id`. An operation missing from
`PERMISSIONS` is denied to everyone (a new endpoint is closed until someone decides who may
call it). Denials answer 403 problem+json and are logged with the operation and the caller's
id and role, never with request data.

To add an endpoint: give the route `operation_id="create_order"`, add
`"create_order": frozenset({ADMIN, INTAKE})` here, and take
`principal: Annotated[Principal, Depends(require("create_order"))]` in the endpoint.
`tests/unit/test_permissions.py` fails for a /v1 route without a known `require`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from application.identity import Principal
from domain.identity import Role
from interfaces.http.problems import ProblemError
from interfaces.http.security import CurrentUser

ADMIN, INTAKE, CLINICIAN, BILLER, AUDITOR, ANALYST = (
    Role.ADMIN, Role.INTAKE, Role.CLINICIAN, Role.BILLER, Role.AUDITOR, Role.ANALYST
)
EVERYONE = frozenset(Role)

PERMISSIONS: dict[str, frozenset[Role]] = {
    # identity (interfaces/http/routes/users.py, api_keys.py)
    "read_current_user": EVERYONE,
    "create_user": frozenset({ADMIN}),
    "read_user": frozenset({ADMIN, AUDITOR}),
    "issue_api_key": frozenset({ADMIN}),
    "revoke_api_key": frozenset({ADMIN}),
    # billing (interfaces/http/routes/billing.py)
    "run_billing": frozenset({ADMIN, BILLER}),
    # patients (routes/patients.py)
    # summaries (routes/summaries.py)
    # orders (routes/orders.py)
    # claims (routes/claims.py)
    # remittances (routes/remittances.py)
    # jobs (routes/jobs.py)
    # audit (routes/audit.py)
}

log = structlog.get_logger("aries.http.permissions")


def is_allowed(role: Role, operation: str) -> bool:
    """Whether `role` may perform `operation` (unknown operations: nobody)."""
    return role in PERMISSIONS.get(operation, frozenset())


def require(operation: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency answering the authenticated principal if its role may do `operation`,
    else 403."""

    async def permitted(principal: CurrentUser) -> Principal:
        if not is_allowed(principal.role, operation):
            log.info(
                "permission denied", operation=operation,
                actor_id=str(principal.id), role=principal.role.value,
            )
            raise ProblemError(
                403, "Forbidden", f"role {principal.role.value!r} may not {operation}",
                type_="https://aries.dev/problems/forbidden", operation=operation,
            )
        return principal

    permitted.operation = operation  # type: ignore[attr-defined]  (read by the route audit)
    return permitted

