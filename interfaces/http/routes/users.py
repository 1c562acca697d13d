"""Users: people who log in. Admins create them; anyone may ask who they are."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from interfaces.http.commands import CommandAccepted, command_response, etag
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import Allowed, tenant_for
from interfaces.http.schemas.users import NewUser, UserView
from interfaces.http.security import AUTH_RESPONSES

router = APIRouter(prefix="/v1/users", tags=["users"], responses=AUTH_RESPONSES)


@router.post(
    "", status_code=201, operation_id="create_user", response_model=CommandAccepted
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


@router.get("/me", operation_id="read_current_user", response_model=UserView)
async def read_current_user(
    principal: Allowed("read_current_user"),
) -> UserView:
    """Who the credentials belong to (a user or an API key), with role and tenant."""
    return UserView(
        id=principal.id, kind=principal.kind, name=principal.name,
        role=principal.role, tenant_id=principal.tenant_id,
    )


@router.get("/{user_id}", operation_id="read_user", response_model=UserView)
def read_user(
    user_id: UUID,
    principal: Allowed("read_user"),
    aries: AriesDep,
) -> JSONResponse:
    """One user of the caller's tenant."""
    user = aries.identity.get_user(user_id)
    view = UserView(
        id=user.id, name=user.username, role=user.role, tenant_id=user.tenant_id,
        is_active=user.is_active,
    )
    return JSONResponse(view.model_dump(mode="json"), headers={"ETag": etag(user.version)})
