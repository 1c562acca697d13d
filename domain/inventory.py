"""A stock ledger: how many units of one catalogue item one location holds, and why that number
moved (received against a purchase order and lot, transferred to or from another location,
adjusted with a reason, counted, issued on a delivery, restocked after cleaning).

Decisions a newcomer may question (docs/decisions/019-inventory-and-serials.md):
- One ledger per (location, item); the id is a uuid5 of (tenant, location, item), so a command
  finds it without a read model. A transfer is two events on two ledgers (`TransferredOut`,
  `TransferredIn`) sharing a transfer id, saved in one transaction: both or neither.
- Quantities are whole units and never negative (`stock_is_never_negative`): a command that
  would take the ledger below zero is refused, nothing is recorded.
- A count records what was found and the difference from the ledger; the ledger then holds
  what was found. For a serialised item a count must agree with its serials: each unit is a
  SerialisedAsset (`domain.serialised_asset`) and the ledger moves with them only, so a
  difference is resolved by finding or retiring a serial, not by a count.
- The reorder point is per ledger (item and location): below it, the work queue shows a
  `restock` item (`projections.work_queue`). The ledger records the point, not the item: whether
  stock is low is a fold, not a stored fact.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import AriesAggregate, pin_topics
from domain.errors import InvalidValue
from domain.rules import calendar_date, present_text, rule

LEDGER_NAMESPACE = UUID("5d0e6c1a-2b7f-5a93-8c4e-1f6a9b3d7e20")  # fixed forever: ids use it


def stock_ledger_id(tenant_id: str, location_id: UUID, item_id: UUID) -> UUID:
    return uuid5(LEDGER_NAMESPACE, f"{tenant_id}:{location_id}:{item_id}")


@rule(InvalidValue)
def quantity_is_a_positive_whole_number(quantity: object) -> str | None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        return f"{quantity!r} is not a positive whole number of units"
    return None


@rule(InvalidValue)
def counted_quantity_is_a_whole_number(counted: object) -> str | None:
    if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
        return f"{counted!r} is not a whole number of units (zero or more)"
    return None


@rule(InvalidValue)
def adjustment_changes_the_quantity(delta: object) -> str | None:
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
        return f"{delta!r} is not a whole, non-zero number of units"
    return None


@rule()
def stock_is_never_negative(on_hand: int, change: int) -> str | None:
    """A location cannot give out what it does not hold: the ledger never goes below zero."""
    if on_hand + change < 0:
        return f"{on_hand} on hand: taking {-change} would leave {on_hand + change}"
    return None


@rule()
def a_discontinued_item_is_not_received(active: bool) -> str | None:
    """A discontinued catalogue item is no longer stocked: what is on the shelf may still be
    delivered, moved, counted or retired, but no more is received."""
    return None if active else "the item is discontinued in the catalogue"


@rule()
def transfer_goes_to_another_location(from_location: UUID, to_location: UUID) -> str | None:
    return "a transfer goes to another location" if from_location == to_location else None


@rule()
def serialised_stock_moves_with_its_serials(serialised: bool) -> str | None:
    """Each unit of a serialised item is a SerialisedAsset; an adjustment or a differing count
    would make the ledger disagree with them. Receive, deliver, transfer or retire the serial."""
    if serialised:
        return "a serialised item's stock changes through its serial numbers"
    return None


@rule()
def delivery_is_in_stock_at_the_location(
    on_hand: int, quantity: int, hcpcs: str, item_id: UUID, location_id: UUID
) -> str | None:
    """A delivery of a bulk (non-serialised) item takes its units from the order's location's
    shelf, all of them or none: a location cannot give out what it does not hold."""
    if on_hand < quantity:
        return (
            f"{hcpcs} item {item_id} at location {location_id}: {on_hand} on hand, "
            f"{quantity} to deliver"
        )
    return None


class StockLedger(AriesAggregate):
    """Create with `StockLedger.open(...)`; decide in the public methods, apply in `@event`."""

    @classmethod
    def open(
        cls, *, tenant_id: str, location_id: UUID, item_id: UUID, hcpcs: str, serialised: bool
    ) -> StockLedger:
        return cls._create(
            cls.Opened,  # type: ignore[attr-defined]
            id=stock_ledger_id(tenant_id, location_id, item_id),
            location_id=location_id,
            item_id=item_id,
            hcpcs=present_text(hcpcs, "hcpcs").upper(),
            serialised=bool(serialised),
        )

    @event("Opened")
    def __init__(self, location_id: UUID, item_id: UUID, hcpcs: str, serialised: bool) -> None:
        self.location_id = location_id
        self.item_id = item_id
        self.hcpcs = hcpcs
        self.serialised = serialised
        self.on_hand = 0
        self.reorder_point: int | None = None

    @property
    def below_reorder_point(self) -> bool:
        return self.reorder_point is not None and self.on_hand < self.reorder_point

    # -- receipts ----------------------------------------------------------------------------

    def receive(self, quantity: int, purchase_order: str, lot: str | None, on: date) -> None:
        """Units arrived from a supplier against `purchase_order` (and its `lot`, if any)."""
        quantity_is_a_positive_whole_number(quantity)
        order = present_text(purchase_order, "purchase_order")
        lot = present_text(lot, "lot") if lot is not None else None
        self._received(quantity, order, lot, calendar_date(on, "received_on"))

    @event("Received")
    def _received(self, quantity: int, purchase_order: str, lot: str | None, on: date) -> None:
        self.on_hand += quantity

    # -- transfers ----------------------------------------------------------------------------

    def transfer_out(
        self, quantity: int, to_location_id: UUID, transfer_id: UUID, on: date
    ) -> None:
        quantity_is_a_positive_whole_number(quantity)
        transfer_goes_to_another_location(self.location_id, to_location_id)
        stock_is_never_negative(self.on_hand, -quantity)
        self._transferred_out(quantity, to_location_id, transfer_id, calendar_date(on, "on"))

    @event("TransferredOut")
    def _transferred_out(
        self, quantity: int, to_location_id: UUID, transfer_id: UUID, on: date
    ) -> None:
        self.on_hand -= quantity

    def transfer_in(
        self, quantity: int, from_location_id: UUID, transfer_id: UUID, on: date
    ) -> None:
        quantity_is_a_positive_whole_number(quantity)
        transfer_goes_to_another_location(from_location_id, self.location_id)
        self._transferred_in(quantity, from_location_id, transfer_id, calendar_date(on, "on"))

    @event("TransferredIn")
    def _transferred_in(
        self, quantity: int, from_location_id: UUID, transfer_id: UUID, on: date
    ) -> None:
        self.on_hand += quantity

    # -- adjustments and counts -----------------------------------------------------------------

    def adjust(self, delta: int, reason: str, on: date) -> None:
        """Damaged, found, expired...: `delta` units (negative takes away), with the reason."""
        adjustment_changes_the_quantity(delta)
        why = present_text(reason, "the adjustment reason")
        serialised_stock_moves_with_its_serials(self.serialised)
        stock_is_never_negative(self.on_hand, delta)
        self._adjusted(delta, why, calendar_date(on, "on"))

    @event("Adjusted")
    def _adjusted(self, delta: int, reason: str, on: date) -> None:
        self.on_hand += delta

    def count(self, counted: int, on: date) -> int:
        """A physical count found `counted` units: records the difference from the ledger (which
        then holds `counted`) and returns it."""
        counted_quantity_is_a_whole_number(counted)
        difference = counted - self.on_hand
        if difference:
            serialised_stock_moves_with_its_serials(self.serialised)
        self._counted(counted, difference, calendar_date(on, "counted_on"))
        return difference

    @event("Counted")
    def _counted(self, counted: int, difference: int, on: date) -> None:
        self.on_hand = counted

    # -- serialised units leaving and coming back ---------------------------------------------

    def issue(self, serial: str, reason: str, on: date) -> None:
        """One serialised unit left the shelf: delivered or retired (a transfer is
        `transfer_out`)."""
        stock_is_never_negative(self.on_hand, -1)
        self._issued(present_text(serial, "serial"), reason, calendar_date(on, "on"))

    @event("Issued")
    def _issued(self, serial: str, reason: str, on: date) -> None:
        self.on_hand -= 1

    def restock(self, serial: str, on: date) -> None:
        """One serialised unit is back on the shelf, cleaned and checked."""
        self._restocked(present_text(serial, "serial"), calendar_date(on, "on"))

    @event("Restocked")
    def _restocked(self, serial: str, on: date) -> None:
        self.on_hand += 1

    # -- bulk units out with an order and back with its pickup ---------------------------------

    def issue_to_order(self, order_id: UUID, line_id: UUID, quantity: int, on: date) -> None:
        """`quantity` bulk units of this item went out on an order line's delivery."""
        serialised_stock_moves_with_its_serials(self.serialised)
        quantity_is_a_positive_whole_number(quantity)
        delivery_is_in_stock_at_the_location(
            self.on_hand, quantity, self.hcpcs, self.item_id, self.location_id
        )
        self._issued_to_order(order_id, line_id, quantity, calendar_date(on, "delivered_on"))

    @event("IssuedToOrder")
    def _issued_to_order(self, order_id: UUID, line_id: UUID, quantity: int, on: date) -> None:
        self.on_hand -= quantity
        out = self.out_with_orders
        out[str(line_id)] = out.get(str(line_id), 0) + quantity
        self.with_orders = out

    @property
    def out_with_orders(self) -> dict[str, int]:
        """Units out per order line id (str): issued to a delivery and not yet back."""
        return dict(getattr(self, "with_orders", {}))

    def return_from_order(self, order_id: UUID, line_id: UUID, on: date) -> int:
        """The units an order line took are back with its pickup (a rental is returnable, a
        purchase is not); how many (0: the line took none from this ledger)."""
        quantity = self.out_with_orders.get(str(line_id), 0)
        if quantity:
            self._returned_from_order(order_id, line_id, quantity, calendar_date(on, "on"))
        return quantity

    @event("ReturnedFromOrder")
    def _returned_from_order(
        self, order_id: UUID, line_id: UUID, quantity: int, on: date
    ) -> None:
        self.on_hand += quantity
        out = self.out_with_orders
        out.pop(str(line_id), None)
        self.with_orders = out

    # -- reorder point ----------------------------------------------------------------------------

    def set_reorder_point(self, point: int | None) -> None:
        """Below `point` units the location should reorder (None: never)."""
        if point is not None:
            counted_quantity_is_a_whole_number(point)
        if point != self.reorder_point:
            self._reorder_point_set(point)

    @event("ReorderPointSet")
    def _reorder_point_set(self, point: int | None) -> None:
        self.reorder_point = point


pin_topics(StockLedger, "aries.stock_ledger")

AGGREGATES: tuple[type, ...] = (StockLedger,)
VALUE_TYPES: tuple[type, ...] = ()
