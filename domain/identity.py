"""Who may act: users (people who log in) and API keys (integrations), recorded as events.

Decisions a newcomer may question:
- The domain never sees a password it would store: `User` records an argon2 hash string (the
  application hashes), and `ApiKey` records the SHA-256 of the key it handed out once. The
  password rules are pure (`domain/passwords.py`); the application applies them to the
  plaintext before hashing. Likewise a TOTP secret is recorded encrypted and recovery codes as
  argon2 hashes: the application encrypts and hashes.
- A user's or key's tenant is the `tenant_id` of its creation event, like every aggregate's
  (decision 003): the application binds the new user's tenant while creating it, so the domain
  never takes tenant, actor or correlation as arguments.
- Usernames are case-insensitive, stored lowercased and unique per tenant: a person logs in
  as `tenant/username` (docs/decisions/006-logins.md). Uniqueness (of login names, of
  API key prefixes) is an `IdentityIndex` aggregate whose id is a uuid5 of the value, saved in
  the same `save()` as its owner: a second reservation of the same value fails at the event
  store. Users registered while usernames were global hold a reservation of the bare username
  (`LEGACY_USERNAME_INDEX`); the application still finds them by it, in their own tenant only.
  A deactivated user keeps its username reserved, so audit trails never name two people.
- Locking out, unlocking and revoking sessions are recorded for the audit trail; what is
  enforced lives beside the event store (the failed-login count and the revocation list,
  `application/sessions.py`), because it changes on every failed attempt and must be read by
  every process on every login and request.
- Repeating a command that changes nothing (revoking a revoked key, deactivating an inactive
  user, giving a user the role they have) records nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime
from enum import Enum, nonmember
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.base import AriesAggregate, pin_topics
from domain.errors import InvalidValue, require

# Never change these: index ids derived from them are stored.
IDENTITY_NAMESPACE = uuid5(NAMESPACE_URL, "https://aries.dev/identity")
LOGIN_NAME_INDEX = "login_name"
LEGACY_USERNAME_INDEX = "username"  # global usernames, before login names named the tenant
API_KEY_PREFIX_INDEX = "api_key_prefix"
SECURITY_POLICY_INDEX = "security_policy"

API_KEY_SCHEME = "aries"  # keys read `aries_<prefix>_<secret>`
LOGIN_NAME_SEPARATOR = "/"  # `acme/jdoe`: neither tenant ids nor usernames hold a '/'

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{2,63}")
_TENANT = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_KEY_PREFIX = re.compile(r"[0-9a-f]{12}")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class Role(Enum):
    ADMIN = "admin"
    INTAKE = "intake"
    CLINICIAN = "clinician"
    BILLER = "biller"
    AUDITOR = "auditor"
    ANALYST = "analyst"

    TRANSCODING = nonmember("identity.Role")


# --- Rules (pure; each raises InvalidValue naming itself) ----------------------------------


def normalized_username(username: str) -> str:
    """The username as stored and indexed: trimmed, lower case, 3-64 of `a-z 0-9 . _ @ -`."""
    text = username.strip().lower() if isinstance(username, str) else ""
    if not _USERNAME.fullmatch(text):
        raise InvalidValue(
            "username_is_well_formed",
            "a username is 3-64 characters of letters, digits, '.', '_', '@' or '-'",
        )
    return text


def checked_tenant(tenant_id: str) -> str:
    """A tenant id: 1-63 of lower-case letters, digits, '_' or '-'."""
    if not isinstance(tenant_id, str) or not _TENANT.fullmatch(tenant_id):
        raise InvalidValue(
            "tenant_is_well_formed", "a tenant id is 1-63 lower-case letters, digits, '_' or '-'"
        )
    return tenant_id


def checked_role(role: Role | str) -> Role:
    try:
        return role if isinstance(role, Role) else Role(role)
    except ValueError:
        raise InvalidValue("role_is_a_known_value", f"{role!r} is not a role") from None


def login_name(tenant_id: str, username: str) -> str:
    """What a person types to log in: `tenant/username`."""
    return f"{tenant_id}{LOGIN_NAME_SEPARATOR}{username}"


def parsed_login_name(text: str) -> tuple[str, str]:
    """(tenant, username) of a login name such as `acme/JDoe` (username normalized)."""
    tenant, separator, username = text.strip().partition(LOGIN_NAME_SEPARATOR)
    if not separator:
        raise InvalidValue(
            "login_name_names_the_tenant", "log in as tenant/username, e.g. acme/jdoe"
        )
    return checked_tenant(tenant.lower()), normalized_username(username)


def _checked_password_hash(password_hash: str) -> str:
    if not isinstance(password_hash, str) or not password_hash.startswith("$argon2"):
        raise InvalidValue(
            "password_is_stored_as_an_argon2_hash", "only an argon2 hash of a password is stored"
        )
    return password_hash


def api_key_hash(key: str) -> str:
    """What an API key is stored and compared as: SHA-256 of the whole key, hex."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def api_key_prefix(key: str) -> str | None:
    """The lookup prefix of a presented key (`aries_<prefix>_<secret>`), or None if malformed."""
    scheme, _, rest = key.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != API_KEY_SCHEME or not _KEY_PREFIX.fullmatch(prefix) or len(secret) < 32:
        return None
    return prefix


def _present(value: str, rule: str, what: str, longest: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > longest or not text.isprintable():
        raise InvalidValue(rule, f"{what} is 1-{longest} printable characters")
    return text


# --- Aggregates ---------------------------------------------------------------------------


class User(AriesAggregate):
    """A person who logs in with a username and password (and, once enrolled, a TOTP code) and
    acts in one role."""

    class Registered(AriesAggregate.Created):
        username: str
        role: Role
        password_hash: str

    @event(Registered)
    def __init__(self, username: str, role: Role, password_hash: str) -> None:
        self.username = username
        self.role = role
        self.password_hash = password_hash
        self.is_active = True
        self.pending_totp_secret: str | None = None
        self.totp_secret: str | None = None
        self.recovery_code_hashes: list[str | None] = []

    @classmethod
    def register(
        cls, *, username: str, role: Role | str, password_hash: str, user_id: UUID | None = None
    ) -> User:
        return cls._create(
            cls.Registered,
            id=user_id,
            username=normalized_username(username),
            role=checked_role(role),
            password_hash=_checked_password_hash(password_hash),
        )

    @property
    def has_mfa(self) -> bool:
        """Whether logging in takes a second factor (enrolment confirmed)."""
        return self.totp_secret is not None

    def _require_active(self) -> None:
        require(self.is_active, "user_is_active", f"user {self.id} is deactivated")

    def change_password(self, password_hash: str) -> None:
        self._require_active()
        self._password_changed(password_hash=_checked_password_hash(password_hash))

    @event("PasswordChanged")
    def _password_changed(self, password_hash: str) -> None:
        self.password_hash = password_hash

    def change_role(self, role: Role | str) -> None:
        self._require_active()
        role = checked_role(role)
        if role != self.role:
            self._role_changed(role=role)

    @event("RoleChanged")
    def _role_changed(self, role: Role) -> None:
        self.role = role

    def deactivate(self) -> None:
        if self.is_active:
            self._deactivated()

    @event("Deactivated")
    def _deactivated(self) -> None:
        self.is_active = False

    # --- second factor (TOTP, RFC 6238) ---------------------------------------------------

    def start_mfa_enrolment(self, totp_secret: str) -> None:
        """Hold `totp_secret` (encrypted) until a code from it confirms the enrolment."""
        self._require_active()
        require(not self.has_mfa, "mfa_is_not_enrolled_yet", "a second factor is enrolled already")
        self._mfa_enrolment_started(totp_secret=_present(totp_secret, "totp_secret_is_present",
                                                         "a TOTP secret", 512))

    @event("MfaEnrolmentStarted")
    def _mfa_enrolment_started(self, totp_secret: str) -> None:
        self.pending_totp_secret = totp_secret

    def confirm_mfa_enrolment(self, recovery_code_hashes: list[str]) -> None:
        """Make the pending secret the second factor, with these (hashed) recovery codes."""
        self._require_active()
        require(
            self.pending_totp_secret is not None, "mfa_enrolment_is_started",
            "start the enrolment first",
        )
        self._mfa_enrolled(
            recovery_code_hashes=[_checked_password_hash(h) for h in recovery_code_hashes]
        )

    @event("MfaEnrolled")
    def _mfa_enrolled(self, recovery_code_hashes: list[str]) -> None:
        self.totp_secret = self.pending_totp_secret
        self.pending_totp_secret = None
        self.recovery_code_hashes = list(recovery_code_hashes)

    def use_recovery_code(self, index: int) -> None:
        require(
            0 <= index < len(self.recovery_code_hashes)
            and self.recovery_code_hashes[index] is not None,
            "recovery_code_is_unused", "this recovery code is used or unknown",
        )
        self._recovery_code_used(index=index)

    @event("RecoveryCodeUsed")
    def _recovery_code_used(self, index: int) -> None:
        self.recovery_code_hashes[index] = None

    def reset_mfa(self) -> None:
        """Forget the second factor (a lost device); the user enrols again."""
        if self.has_mfa or self.pending_totp_secret is not None:
            self._mfa_reset()

    @event("MfaReset")
    def _mfa_reset(self) -> None:
        self.totp_secret = None
        self.pending_totp_secret = None
        self.recovery_code_hashes = []

    # --- recorded for the audit trail (enforced in application/sessions.py) ---------------

    def record_lockout(self, until: datetime) -> None:
        self._locked_out(until=until)

    @event("LockedOut")
    def _locked_out(self, until: datetime) -> None:
        pass

    def unlock(self) -> None:
        self._unlocked()

    @event("Unlocked")
    def _unlocked(self) -> None:
        pass

    def revoke_sessions(self) -> None:
        self._sessions_revoked()

    @event("SessionsRevoked")
    def _sessions_revoked(self) -> None:
        pass


class ApiKey(AriesAggregate):
    """A key an integration sends as `X-API-Key`; acts in one role for its tenant until revoked."""

    class Issued(AriesAggregate.Created):
        name: str
        role: Role
        key_prefix: str
        key_hash: str

    @event(Issued)
    def __init__(self, name: str, role: Role, key_prefix: str, key_hash: str) -> None:
        self.name = name
        self.role = role
        self.key_prefix = key_prefix
        self.key_hash = key_hash
        self.is_revoked = False

    @classmethod
    def issue(cls, *, name: str, role: Role | str, key: str) -> ApiKey:
        """Record `key` (handed to the caller once, never stored) by its prefix and hash."""
        prefix = api_key_prefix(key)
        if prefix is None:
            raise InvalidValue("api_key_is_well_formed", "an API key reads aries_<prefix>_<secret>")
        return cls._create(
            cls.Issued,
            name=_present(name, "api_key_name_is_present", "an API key name", 100),
            role=checked_role(role),
            key_prefix=prefix,
            key_hash=api_key_hash(key),
        )

    def matches(self, key: str) -> bool:
        """Whether `key` is this key (constant-time comparison of the hashes)."""
        return hmac.compare_digest(api_key_hash(key), self.key_hash)

    def revoke(self) -> None:
        if not self.is_revoked:
            self._revoked()

    @event("Revoked")
    def _revoked(self) -> None:
        self.is_revoked = True


class SecurityPolicy(AriesAggregate):
    """A tenant's login policy: whether its people must use a second factor.

    One per tenant, created by the first change; its id is `id_for(tenant)`. Without one, a
    tenant does not require MFA.
    """

    class Created(AriesAggregate.Created):
        mfa_required: bool

    @event(Created)
    def __init__(self, mfa_required: bool) -> None:
        self.mfa_required = mfa_required

    @staticmethod
    def id_for(tenant_id: str) -> UUID:
        return uuid5(IDENTITY_NAMESPACE, f"{SECURITY_POLICY_INDEX}:{tenant_id}")

    @classmethod
    def create(cls, tenant_id: str, *, mfa_required: bool) -> SecurityPolicy:
        """The tenant's policy (the tenant comes from the bound context, as for every aggregate)."""
        return cls._create(cls.Created, id=cls.id_for(tenant_id), mfa_required=bool(mfa_required))

    def require_mfa(self, required: bool) -> None:
        if bool(required) != self.mfa_required:
            self._mfa_requirement_changed(mfa_required=bool(required))

    @event("MfaRequirementChanged")
    def _mfa_requirement_changed(self, mfa_required: bool) -> None:
        self.mfa_required = mfa_required


class IdentityIndex(AriesAggregate):
    """Reserves a unique value (a username, an API key prefix) for the aggregate that owns it.

    Its id is `id_for(kind, value)`: creating a second one for the same value conflicts in the
    event store, in the same `save()` as the owner, so neither is recorded.
    """

    class Reserved(AriesAggregate.Created):
        kind: str
        value: str
        owner_id: UUID

    @event(Reserved)
    def __init__(self, kind: str, value: str, owner_id: UUID) -> None:
        self.kind = kind
        self.value = value
        self.owner_id = owner_id

    @staticmethod
    def id_for(kind: str, value: str) -> UUID:
        return uuid5(IDENTITY_NAMESPACE, f"{kind}:{value}")

    @classmethod
    def reserve(cls, kind: str, value: str, owner_id: UUID) -> IdentityIndex:
        return cls._create(
            cls.Reserved, id=cls.id_for(kind, value), kind=kind, value=value, owner_id=owner_id
        )


pin_topics(User, "aries.user")
pin_topics(ApiKey, "aries.api_key")
pin_topics(IdentityIndex, "aries.identity_index")
pin_topics(SecurityPolicy, "aries.security_policy")

AGGREGATES = (User, ApiKey, IdentityIndex, SecurityPolicy)

VALUE_TYPES = (Role,)
