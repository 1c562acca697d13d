"""Values and deciding checks shared by the supplier's setup aggregates: the Company (the
tenant), its Locations and its Payers (`domain.company`, `domain.location`, `domain.payer`).

Addresses are the patient module's `Address` (same shape, same checks: `checked_address`), so
one transcoding serves both. Value objects do not validate themselves: a stored event must
always load after a rule tightens; the aggregates check a command's values once, when deciding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import ClassVar
from zoneinfo import available_timezones

from domain.errors import InvalidValue
from domain.patient_rules import optional_text
from domain.rules import present_text, rule


@dataclass(frozen=True)
class Contact:
    """Who the payer or clearinghouse calls about a claim (837P PER segment: name, phone)."""

    TRANSCODING: ClassVar[str] = "supplier.Contact"

    name: str
    phone: str  # ten bare digits
    email: str | None = None


_TAX_ID = re.compile(r"^\d{9}$")
_PTAN = re.compile(r"^[A-Z0-9]{1,10}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _digits(value: object) -> str:
    return "".join(ch for ch in value if ch.isdigit()) if isinstance(value, str) else ""


@rule(InvalidValue)
def tax_id_is_nine_digits(tax_id: str) -> str | None:
    """The billing provider's tax id is an EIN (or SSN) of nine digits: the 837P carries it
    bare in 2010AA REF*EI (X12 005010X222A1, loop 2010AA REF02)."""
    return None if _TAX_ID.match(tax_id) else "a tax id is nine digits (EIN, with or without dash)"


def checked_tax_id(value: object) -> str:
    digits = _digits(value)
    tax_id_is_nine_digits(digits)
    return digits


@rule(InvalidValue)
def ptan_is_alphanumeric(ptan: str) -> str | None:
    """A PTAN (Medicare's Provider Transaction Access Number; for a DMEPOS supplier, the NSC
    number of the location) is up to ten letters or digits, given per enrolled location."""
    return None if _PTAN.match(ptan) else "a PTAN is 1 to 10 letters or digits"


def checked_ptan(value: object) -> str:
    text = value.strip().upper() if isinstance(value, str) else ""
    ptan_is_alphanumeric(text)
    return text


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


@rule(InvalidValue)
def time_zone_is_an_iana_name(name: str) -> str | None:
    """A location's time zone is an IANA name (America/Chicago): its calendar date is the
    location's "today" for billing, aging and timely filing."""
    return None if name in _zones() else f"{name!r} is not an IANA time zone name"


def checked_time_zone(value: object) -> str:
    name = value.strip() if isinstance(value, str) else ""
    time_zone_is_an_iana_name(name)
    return name


@rule(InvalidValue)
def phone_is_ten_digits(phone: str) -> str | None:
    """A US phone number of ten digits, as the 837P PER segment carries it (no punctuation)."""
    return None if len(phone) == 10 else "a phone number is ten digits"


@rule(InvalidValue)
def email_is_an_address(email: str) -> str | None:
    return None if _EMAIL.match(email) else f"{email!r} is not an e-mail address"


def checked_contact(contact: Contact) -> Contact:
    """The contact normalised (trimmed, bare phone digits), or InvalidValue."""
    digits = _digits(contact.phone)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    phone_is_ten_digits(digits)
    email = optional_text(contact.email)
    if email is not None:
        email_is_an_address(email)
    return Contact(present_text(contact.name, "contact name"), digits, email)


VALUE_TYPES: tuple[type, ...] = (Contact,)
