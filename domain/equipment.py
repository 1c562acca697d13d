"""The equipment catalogue: the makes and models a supplier stocks, each billed under one HCPCS
Level II code of the reference list (`reference/hcpcs.csv`, read by `domain.catalogue`).

An item says who makes it, the model, whether the supplier rents or sells it (its category) and
whether each unit carries a serial number (tracked one by one in inventory). The HCPCS list
stays data: an item refers to a code of it, and a code missing from it refuses the item.

Decisions a newcomer may question:
- The category must suit the code's Medicare payment category: capped rental items and oxygen
  equipment are rented (42 CFR 414.229, 414.226), supplies are sold; inexpensive or routinely
  purchased items may be either (42 CFR 414.220: purchased or rented). The same rules price a
  claim line (`domain.pricing.check_billing_suits_item`); here they keep the catalogue honest.
- The HCPCS code of an item never changes: a different code is a different item (stock, serials
  and claims refer to the item id and read the code from it).
- An item is never deleted: it is discontinued (no longer stocked), and its history stays.
"""

from __future__ import annotations

from enum import Enum
from uuid import UUID, uuid4

from eventsourcing.domain import event

from domain.base import AriesAggregate, pin_topics
from domain.catalogue import HcpcsItem, PaymentCategory, item
from domain.errors import RuleViolated
from domain.rules import present_text, rule

MAX_NAME = 120


class ItemCategory(Enum):
    """How the supplier furnishes the item: rented month by month, or sold."""

    RENTAL = "rental"
    PURCHASE = "purchase"


@rule()
def item_category_suits_its_hcpcs_code(hcpcs: HcpcsItem, category: ItemCategory) -> str | None:
    """Capped rental items and oxygen equipment are rented (42 CFR 414.229; 414.226); supplies
    are sold (42 CFR 414.220 prices them as purchases); inexpensive or routinely purchased items
    may be rented or sold."""
    kind = hcpcs.payment_category
    if kind in (PaymentCategory.CAPPED_RENTAL, PaymentCategory.OXYGEN):
        if category is not ItemCategory.RENTAL:
            return f"{hcpcs.code} is a {kind.value.replace('_', ' ')} item: it is rented"
    if kind is PaymentCategory.SUPPLY and category is not ItemCategory.PURCHASE:
        return f"{hcpcs.code} is a supply: it is sold"
    return None


@rule()
def discontinued_item_is_not_revised(active: bool) -> str | None:
    """A discontinued item is history: add a new item instead of reviving it."""
    return None if active else "the item is discontinued"


def item_category(value: object) -> ItemCategory:
    if isinstance(value, ItemCategory):
        return value
    try:
        return ItemCategory(value)
    except ValueError:
        raise RuleViolated(
            "item_category_is_rental_or_purchase", f"category {value!r} is not rental or purchase"
        ) from None


def default_category(hcpcs: HcpcsItem) -> ItemCategory:
    """Rental for the codes Medicare pays as rentals, purchase otherwise."""
    rented = hcpcs.payment_category in (PaymentCategory.CAPPED_RENTAL, PaymentCategory.OXYGEN)
    return ItemCategory.RENTAL if rented else ItemCategory.PURCHASE


def _name(value: object, what: str) -> str:
    text = present_text(value, what)
    if len(text) > MAX_NAME:
        raise RuleViolated("item_names_are_short", f"{what} is longer than {MAX_NAME} characters")
    return text


class EquipmentItem(AriesAggregate):
    """Create with `EquipmentItem.add(...)`."""

    @classmethod
    def add(
        cls,
        *,
        hcpcs: str,
        manufacturer: str,
        model: str,
        category: ItemCategory | str | None = None,
        serialised: bool | None = None,
        item_id: UUID | None = None,
    ) -> EquipmentItem:
        """A new catalogue item; category and serialised default from the HCPCS reference."""
        code = item(hcpcs)
        chosen = default_category(code) if category is None else item_category(category)
        item_category_suits_its_hcpcs_code(code, chosen)
        return cls._create(
            cls.Added,  # type: ignore[attr-defined]
            id=item_id or uuid4(),
            hcpcs=code.code,
            manufacturer=_name(manufacturer, "manufacturer"),
            model=_name(model, "model"),
            category=chosen.value,
            serialised=code.serialized if serialised is None else bool(serialised),
        )

    @event("Added")
    def __init__(
        self, hcpcs: str, manufacturer: str, model: str, category: str, serialised: bool
    ) -> None:
        self.hcpcs = hcpcs
        self.manufacturer = manufacturer
        self.model = model
        self.category = category
        self.serialised = serialised
        self.active = True

    def revise(
        self,
        *,
        manufacturer: str | None = None,
        model: str | None = None,
        category: ItemCategory | str | None = None,
        serialised: bool | None = None,
    ) -> bool:
        """Change any of the named fields; returns whether anything changed (nothing recorded
        when the values are the ones it has)."""
        discontinued_item_is_not_revised(self.active)
        new_manufacturer = self.manufacturer if manufacturer is None else _name(
            manufacturer, "manufacturer"
        )
        new_model = self.model if model is None else _name(model, "model")
        new_category = ItemCategory(self.category) if category is None else item_category(category)
        item_category_suits_its_hcpcs_code(item(self.hcpcs), new_category)
        new_serialised = self.serialised if serialised is None else bool(serialised)
        if (new_manufacturer, new_model, new_category.value, new_serialised) == (
            self.manufacturer, self.model, self.category, self.serialised
        ):
            return False
        self._revised(new_manufacturer, new_model, new_category.value, new_serialised)
        return True

    @event("Revised")
    def _revised(self, manufacturer: str, model: str, category: str, serialised: bool) -> None:
        self.manufacturer = manufacturer
        self.model = model
        self.category = category
        self.serialised = serialised

    def discontinue(self) -> bool:
        """No longer stocked; returns False when it already was discontinued."""
        if not self.active:
            return False
        self._discontinued()
        return True

    @event("Discontinued")
    def _discontinued(self) -> None:
        self.active = False


pin_topics(EquipmentItem, "aries.equipment_item")

AGGREGATES: tuple[type, ...] = (EquipmentItem,)
VALUE_TYPES: tuple[type, ...] = ()
