"""National Provider Identifier: 10 digits whose last is a Luhn check digit over `80840` + the
first nine (the ISO 7812 card-issuer prefix for US health)."""

from __future__ import annotations

from domain.errors import InvalidValue


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def is_valid_npi(npi: str) -> bool:
    return len(npi) == 10 and npi.isascii() and npi.isdigit() and _luhn_valid("80840" + npi)


def valid_npi(npi: str) -> str:
    """`npi` if it passes the Luhn check, else InvalidValue (rule `npi_passes_luhn_check`)."""
    value = npi.strip()
    if not is_valid_npi(value):
        raise InvalidValue("npi_passes_luhn_check", f"{npi!r} is not a valid NPI")
    return value
