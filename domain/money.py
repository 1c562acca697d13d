"""Money is Decimal, rounded to the cent half-up, as payers round."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain.errors import InvalidValue

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value: Decimal | int | str) -> Decimal:
    """Exact amount to the cent. Floats are refused: they cannot hold cents exactly."""
    if isinstance(value, float) or isinstance(value, bool):
        raise InvalidValue("money_is_decimal", f"money must be Decimal, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise InvalidValue("money_is_finite", "money must be a finite amount")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def exact_money(value: Any) -> Decimal:
    """An amount as given, exact to the cent: Decimal/int/str, never float, no fraction of a
    cent (an amount to store, unlike `to_money`, which rounds a computed one)."""
    try:
        amount = to_money(value)
        exact = Decimal(value)
    except (ArithmeticError, TypeError, ValueError):
        raise InvalidValue("money_is_decimal", f"{value!r} is not an amount of money") from None
    if exact != amount:
        raise InvalidValue(
            "money_has_at_most_two_decimal_places", f"{value!r} has fractions of a cent"
        )
    return amount
