"""The HCPCS Level II items Aries prices, from the curated catalogue shipped with the package.

No PyPI package ships the HCPCS list; `reference/hcpcs.csv` holds the codes DOMAIN.md names and
common companions. The file is read once, lazily, as packaged reference data. Whether an item
needs a written order prior to delivery is not typed into it: CMS's Required List says
(`domain.required_list`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from enum import Enum
from functools import cache
from importlib.resources import files

from domain.errors import InvalidValue

HCPCS_FORMAT = re.compile(r"^[A-V][0-9]{4}$")


class PaymentCategory(Enum):
    CAPPED_RENTAL = "capped_rental"
    OXYGEN = "oxygen"
    INEXPENSIVE_ROUTINELY_PURCHASED = "inexpensive_routinely_purchased"
    SUPPLY = "supply"


@dataclass(frozen=True)
class HcpcsItem:
    code: str
    description: str
    payment_category: PaymentCategory
    serialized: bool
    prior_auth_required: bool
    prior_auth_valid_days: int | None
    # Paid rental months: 13 for capped rentals, 36 for oxygen, 10 for inexpensive items
    # rented instead of bought; None where the item is never rented.
    rental_cap_months: int | None

    @property
    def rentable(self) -> bool:
        return self.rental_cap_months is not None


def _flag(value: str) -> bool:
    return value.strip().lower() == "true"


def _optional_int(value: str) -> int | None:
    return int(value) if value.strip() else None


@cache
def catalogue() -> dict[str, HcpcsItem]:
    text = files("domain").joinpath("reference/hcpcs.csv").read_text(encoding="utf-8")
    items = {}
    for row in csv.DictReader(io.StringIO(text)):
        items[row["code"]] = HcpcsItem(
            code=row["code"],
            description=row["description"],
            payment_category=PaymentCategory(row["payment_category"]),
            serialized=_flag(row["serialized"]),
            prior_auth_required=_flag(row["prior_auth_required"]),
            prior_auth_valid_days=_optional_int(row["prior_auth_valid_days"]),
            rental_cap_months=_optional_int(row["rental_cap_months"]),
        )
    return items


def item(code: str) -> HcpcsItem:
    """The catalogue item for `code`, or InvalidValue naming the rule."""
    normalised = code.strip().upper()
    if not HCPCS_FORMAT.match(normalised):
        raise InvalidValue("hcpcs_code_is_well_formed", f"{code!r} is not a HCPCS Level II code")
    try:
        return catalogue()[normalised]
    except KeyError:
        raise InvalidValue(
            "hcpcs_code_is_in_catalogue", f"HCPCS {normalised} is not in the Aries catalogue"
        ) from None
