"""Request and response bodies of the user routes (interfaces/http/routes/users.py)."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field, SecretStr

from domain.identity import Role


class NewUser(BaseModel):
    username: str = Field(..., min_length=3, max_length=64, examples=["jdoe"])
    password: SecretStr = Field(..., min_length=10, max_length=256)
    role: Role
    tenant_id: str | None = Field(None, description="default: the caller's tenant")


class UserView(BaseModel):
    id: UUID
    kind: str = "user"
    name: str
    role: Role
    tenant_id: str
    is_active: bool = True
