"""API keys: credentials for integrations, issued and revoked by admins."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from interfaces.http.commands import CommandAccepted, ExpectedVersion, command_response
from interfaces.http.deps import AriesDep
from interfaces.http.idempotency import redact_on_replay
from interfaces.http.permissions import Allowed, tenant_for
from interfaces.http.schemas.api_keys import IssuedApiKeyView, NewApiKey
from interfaces.http.security import AUTH_RESPONSES

router = APIRouter(prefix="/v1/api-keys", tags=["api keys"], responses=AUTH_RESPONSES)


@router.post(
    "", status_code=201, operation_id="issue_api_key", response_model=IssuedApiKeyView
)
def issue_api_key(
    body: NewApiKey,
    principal: Allowed("issue_api_key"),
    aries: AriesDep,
    request: Request,
) -> JSONResponse:
    """Issue an API key (admins); the answer holds the key, which is stored only as a hash."""
    issued = aries.identity.issue_api_key(
        body.name, body.role, tenant_for(principal, body.tenant_id)
    )
    redact_on_replay(request)
    return command_response(
        issued.result, 201, extra={"key": issued.key, "prefix": issued.prefix}
    )


@router.delete(
    "/{key_id}",
    operation_id="revoke_api_key",
    response_model=CommandAccepted,
    responses={412: {"description": "If-Match names another version"}},
)
def revoke_api_key(
    key_id: UUID,
    principal: Allowed("revoke_api_key"),
    aries: AriesDep,
    request: Request,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Revoke an API key (admins): it stops working in every process at once (within the
    revocation list's poll bound). Revoking a revoked key changes nothing."""
    return command_response(aries.identity.revoke_api_key(key_id, expected_version=expected))
