"""Medicare Beneficiary Identifier (MBI), in the CMS format.

Eleven characters, by position: 1 digit 1-9; 2 letter; 3 letter or digit; 4 digit; 5 letter;
6 letter or digit; 7 digit; 8 letter; 9 letter; 10 digit; 11 digit. Letters are A-Z without
S, L, O, I, B and Z (easily mistaken for digits). Input is case-insensitive and may carry the
dashes or spaces of the printed form (`1EG4-TE5-MK73`); the stored form is upper case, bare.
"""

from __future__ import annotations

import re

from domain.errors import InvalidValue

MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"

_L = f"[{MBI_LETTERS}]"
_D = "[0-9]"
_LD = f"[{MBI_LETTERS}0-9]"
MBI_FORMAT = re.compile(f"[1-9]{_L}{_LD}{_D}{_L}{_LD}{_D}{_L}{_L}{_D}{_D}")

_SEPARATORS = re.compile(r"[\s-]+")


def normalise_mbi(value: str) -> str:
    """Upper case, without dashes or whitespace (no validation)."""
    return _SEPARATORS.sub("", value).upper()


def is_valid_mbi(value: str) -> bool:
    return isinstance(value, str) and MBI_FORMAT.fullmatch(normalise_mbi(value)) is not None


def valid_mbi(value: str) -> str:
    """The normalised MBI, or InvalidValue (rule `mbi_is_well_formed`)."""
    if not is_valid_mbi(value):
        raise InvalidValue("mbi_is_well_formed", f"{value!r} is not a well-formed MBI")
    return normalise_mbi(value)
