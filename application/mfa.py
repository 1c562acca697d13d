"""The second factor: TOTP (RFC 6238, via pyotp) and single-use recovery codes.

- A TOTP secret is 160 random bits (RFC 4226 section 4 recommends 160). It is recorded in the
  User's events encrypted with AES-256-GCM under `ARIES_MFA_ENCRYPTION_KEY` (`SecretBox`), so
  the event store alone does not give away anyone's second factor (NIST SP 800-63B rev. 4,
  section 3.1.4.1: OTP secrets "SHALL be protected").
- Codes are 6 digits, 30-second steps, accepted one step either side for clock drift; a step is
  accepted once only (`LoginGuards.accept_totp_step`; SP 800-63B section 3.1.4.2: "SHALL accept
  a given time-based OTP only once during the validity period").
- Recovery codes: 10 codes of 80 random bits each (16 base32 characters), shown once, stored as
  argon2 hashes (SP 800-63B section 3.1.2.1: look-up secrets of fewer than 112 bits "SHALL be
  hashed" with a salted, costly function), each usable once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ISSUER = "Aries"
RECOVERY_CODES = 10
DRIFT_STEPS = 1
_NONCE_BYTES = 12


class SecretBox:
    """AES-256-GCM under a key derived from the configured secret (SHA-256 of it)."""

    def __init__(self, key: str) -> None:
        self._aead = AESGCM(hashlib.sha256(key.encode("utf-8")).digest())

    def seal(self, plaintext: str) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, plaintext.encode("utf-8"), None)
        return "v1:" + base64.urlsafe_b64encode(sealed).decode("ascii")

    def open(self, sealed: str) -> str:
        version, _, body = sealed.partition(":")
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
        if version != "v1":
            raise ValueError("unknown sealed-secret version")
        try:
            return self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None).decode()
        except InvalidTag:
            raise ValueError("the secret was sealed with another key") from None


@dataclass(frozen=True)
class Enrolment:
    secret: str
    provisioning_uri: str


def new_enrolment(account: str) -> Enrolment:
    """A fresh TOTP secret and the otpauth:// URI an authenticator app scans as a QR code."""
    secret = pyotp.random_base32(32)
    uri = pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)
    return Enrolment(secret, uri)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code is `code` (within the allowed drift), or None."""
    code = code.strip()
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: read aloud, typed by hand
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes


def normalized_recovery_code(code: str) -> str:
    raw = "".join(code.lower().split()).replace("-", "")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def matching_recovery_code(
    hasher: PasswordHasher, hashes: list[str | None], code: str
) -> int | None:
    """The index of the unused recovery code `code` is, or None."""
    code = normalized_recovery_code(code)
    for index, code_hash in enumerate(hashes):
        if code_hash is None:
            continue
        try:
            if hasher.verify(code_hash, code):
                return index
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            continue
    return None
