"""Request and response bodies of logging in and the login policy (routes/auth.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth2 token type)
    expires_in: int
    refresh_token: str = Field(
        ..., description="send with grant_type=refresh_token for a new pair; each works once"
    )


class LogOut(BaseModel):
    all_sessions: bool = Field(
        ..., description="end every session of yours (every device), not only this one"
    )


class LoginPolicyView(BaseModel):
    mfa_required: bool = Field(..., description="whether the tenant's people must use TOTP")
    version: int = Field(..., description="also the ETag; 0 until first set")


class LoginPolicyChange(BaseModel):
    mfa_required: bool
