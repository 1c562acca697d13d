"""Money is Decimal, rounded to the cent half-up, as payers round."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

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
