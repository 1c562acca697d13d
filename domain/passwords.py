"""What a password must be before Aries stores its hash: NIST SP 800-63B (revision 4, 2025),
section 3.1.1.2 "Password Verifiers".

What we implement of it, and where:
- Length: at least 15 characters when the password is the only factor, at least 8 when the
  account has a second factor (TOTP) or its tenant requires one ("SHALL require passwords used
  as a single-factor authentication mechanism to be a minimum of 15 characters in length"; "MAY
  allow passwords that are only used as part of multi-factor authentication to be shorter but
  SHALL require them to be at least 8 characters"). At most 256: the guidance is "SHOULD permit
  a maximum password length of at least 64 characters".
- No composition rules ("SHALL NOT impose other composition rules"): any printable character,
  spaces and Unicode included.
- A blocklist ("SHALL compare the prospective secret against a blocklist that contains known
  commonly used, expected, or compromised passwords"): `reference/common_passwords.txt`, the
  30,000 most frequent passwords of zxcvbn's list (source in the file's header), compared case-
  insensitively and also with leading and trailing digits and symbols removed, so
  `Password12!` is refused like `password`; context-specific words (the username, the tenant,
  the service's name "aries"); and repetitive or sequential characters (`aaaaaaaaaaaaaaa`,
  `1234abcd...`), the examples the 2017 revision (SP 800-63B section 5.1.1.2) gives.
- No hints, no periodic change, no knowledge-based questions: Aries has none of them.
The limit on failed attempts (section 3.2.2) is `domain/login_throttle.py`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

from domain.errors import InvalidValue
from domain.rules import rule

SINGLE_FACTOR_MIN_LENGTH = 15
MULTI_FACTOR_MIN_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
SERVICE_NAME = "aries"
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")
_REPEATED_UNIT = re.compile(r"(.+?)\1+", re.DOTALL)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = files("domain").joinpath("reference/common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line and not line.startswith("#")
    )


def minimum_length(*, multi_factor: bool) -> int:
    """15 for a password that is the account's only factor, 8 when a second factor guards it."""
    return MULTI_FACTOR_MIN_LENGTH if multi_factor else SINGLE_FACTOR_MIN_LENGTH


@rule(InvalidValue)
def password_is_long_enough(password: str, min_length: int) -> str | None:
    if isinstance(password, str) and len(password) >= min_length and password.strip():
        return None
    return f"a password has at least {min_length} characters"


@rule(InvalidValue)
def password_is_not_too_long(password: str) -> str | None:
    if len(password) <= MAX_PASSWORD_LENGTH:
        return None
    return f"a password has at most {MAX_PASSWORD_LENGTH} characters"


@rule(InvalidValue)
def password_is_not_common(password: str) -> str | None:
    """Neither the password nor its core without leading or trailing digits and symbols is on
    the blocklist (`qwertyuiop`, `password12`, `!Monkey2024`)."""
    lowered = password.lower().strip()
    core = _EDGES.sub("", lowered)
    if lowered in common_passwords() or (core and core in common_passwords()):
        return "this password is on the list of common passwords; choose another"
    return None


@rule(InvalidValue)
def password_is_not_about_the_account(password: str, username: str, tenant_id: str) -> str | None:
    """No username, tenant or service name in it (compared without case or punctuation)."""
    flat = _NOT_ALPHANUMERIC.sub("", password.lower())
    for word in (username, tenant_id, SERVICE_NAME):
        word = _NOT_ALPHANUMERIC.sub("", word.lower())
        if len(word) >= 3 and word in flat:
            return "a password must not contain the username, the tenant or the service's name"
    return None


@rule(InvalidValue)
def password_is_not_repetitive_or_sequential(password: str) -> str | None:
    """Not a repeated unit (`abcabcabc...`) and not one or two runs of repeated or consecutive
    characters (`aaaa...`, `1234567890...`, `1234abcd...`, `zyxw...`)."""
    text = password.lower()
    if _REPEATED_UNIT.fullmatch(text) or _runs(text) <= 2:
        return "a password must not be repeated or sequential characters"
    return None


def _runs(text: str) -> int:
    """How many runs of constant step (-1, 0 or +1 between code points) make up `text`."""
    runs, step, previous = 0, None, None
    for char in text:
        current = ord(char)
        if previous is None:
            runs = 1
        elif step is None and abs(current - previous) <= 1:
            step = current - previous
        elif step is None or current - previous != step:
            runs, step = runs + 1, None
        previous = current
    return runs


def check_password(password: str, *, username: str, tenant_id: str, multi_factor: bool) -> None:
    """Every rule above, in order; the first that refuses raises InvalidValue naming itself."""
    password_is_long_enough(password, minimum_length(multi_factor=multi_factor))
    password_is_not_too_long(password)
    password_is_not_common(password)
    password_is_not_about_the_account(password, username, tenant_id)
    password_is_not_repetitive_or_sequential(password)
