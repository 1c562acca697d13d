"""Request and response bodies of the API key routes (interfaces/http/routes/api_keys.py)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from domain.identity import Role
from interfaces.http.commands import CommandAccepted
from interfaces.http.schemas.values import ONE_LINE_NOT_BLANK


class NewApiKey(BaseModel):
    name: str = Field(..., min_length=1, max_length=100, pattern=ONE_LINE_NOT_BLANK,
                      examples=["clearinghouse sync"])
    role: Role
    tenant_id: str | None = Field(None, description="default: the caller's tenant")


class IssuedApiKeyView(CommandAccepted):
    key: str = Field(..., description="send as X-API-Key; shown this once, never again")
    prefix: str
