"""Request and response bodies of the user routes (interfaces/http/routes/users.py)."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field, SecretStr

from application.identity import Principal
from domain.identity import Role, User
from domain.passwords import MAX_PASSWORD_LENGTH, MULTI_FACTOR_MIN_LENGTH
from interfaces.http.commands import CommandAccepted

STRENGTH_RULES = (
    "NIST SP 800-63B: 15+ characters (8+ where a second factor is required or enrolled), "
    "not a common password, not the username, tenant or 'aries', not repeated or sequential "
    "characters"
)


def _password(description: str = STRENGTH_RULES) -> SecretStr:
    return Field(
        ..., min_length=MULTI_FACTOR_MIN_LENGTH, max_length=MAX_PASSWORD_LENGTH,
        description=description,
    )


class NewUser(BaseModel):
    username: str = Field(..., min_length=3, max_length=64, examples=["jdoe"],
                          description="unique in the tenant; logs in as `tenant/username`")
    password: SecretStr = _password()
    role: Role
    tenant_id: str | None = Field(None, description="default: the caller's tenant")


class UserView(BaseModel):
    id: UUID
    kind: str = "user"
    name: str
    role: Role
    tenant_id: str
    is_active: bool = True
    mfa_enrolled: bool | None = Field(None, description="whether logging in takes a TOTP code")
    mfa_enrolment_required: bool = Field(
        False, description="the tenant requires a second factor and this user has none yet"
    )

    @classmethod
    def of_user(cls, user: User) -> UserView:
        return cls(
            id=user.id, name=user.username, role=user.role, tenant_id=user.tenant_id,
            is_active=user.is_active, mfa_enrolled=user.has_mfa,
        )

    @classmethod
    def of_principal(cls, principal: Principal) -> UserView:
        return cls(
            id=principal.id, kind=principal.kind, name=principal.name, role=principal.role,
            tenant_id=principal.tenant_id,
            mfa_enrolment_required=principal.mfa_enrolment_required,
        )


class RoleChange(BaseModel):
    role: Role


class PasswordReset(BaseModel):
    password: SecretStr = _password()


class OwnPasswordChange(BaseModel):
    current_password: SecretStr = Field(..., min_length=1, max_length=MAX_PASSWORD_LENGTH)
    new_password: SecretStr = _password()


class MfaEnrolmentView(BaseModel):
    secret: str = Field(..., description="base32 TOTP secret, for typing into an app by hand")
    provisioning_uri: str = Field(
        ..., description="otpauth:// URI: show it as a QR code to the authenticator app",
        examples=["otpauth://totp/Aries:acme%2Fjdoe?secret=...&issuer=Aries"],
    )


class MfaConfirmation(BaseModel):
    code: str = Field(..., min_length=6, max_length=6, pattern=r"^[0-9]{6}$",
                      description="the 6-digit code the app shows now", examples=["492039"])


class MfaConfirmed(CommandAccepted):
    recovery_codes: list[str] = Field(
        ..., description="single-use codes for a lost device: shown this once, never again"
    )
