"""Demo stock for `aries seed` / `aries dev`, at the demo's two locations
(interfaces/cli/demo_setup.py): catalogue items for the codes demo orders use, bulk stock
with reorder points (one of them low, so the work queue shows a `restock` item), spare
serialised units at both locations and a transfer between them. The units demo orders
deliver are received just before each delivery (`stock_serials`, `stock_bulk`), at the order's
location.
Ids are derived, so a second run adds nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from interfaces.bootstrap import Aries

NAMESPACE = uuid5(NAMESPACE_URL, "https://aries.dev/demo/inventory")
# (HCPCS, manufacturer, model) of the catalogue items demo stock and orders use.
ITEMS = (
    ("E0260", "Invacare", "5410IVC"),
    ("E0601", "ResMed", "AirSense 11"),
    ("E1390", "Inogen", "At Home"),
    ("K0001", "Drive", "Cruiser III"),
    ("E0143", "Drive", "10210-1"),
    ("A7030", "ResMed", "AirFit F20"),
)
# Bulk stock per location: (HCPCS, units received, reorder point).
BULK = {0: (("E0143", 12, 4), ("A7030", 30, 10)), 1: (("E0143", 3, 6), ("A7030", 8, 6))}
SPARE_SERIALS = 3  # units of each serialised item on each location's shelf


def _id(kind: str) -> UUID:
    return uuid5(NAMESPACE, kind)


def demo_items(aries: Aries, catalogued: dict[str, UUID]) -> dict[str, UUID]:
    """HCPCS -> the demo catalogue item stocked for it: `catalogued` (the demo catalogue's),
    plus an item added for each code demo orders use that it lacks."""
    items = dict(catalogued)
    for hcpcs, manufacturer, model in ITEMS:
        if hcpcs in items:
            continue
        item_id = _id(f"item-{hcpcs}")
        if not aries.catalogue.exists(item_id):
            aries.catalogue.add_item(
                hcpcs=hcpcs, manufacturer=manufacturer, model=model, item_id=item_id
            )
        items[hcpcs] = item_id
    return items


def seed_stock(aries: Aries, locations: list[UUID], items: dict[str, UUID], today: date) -> None:
    """Bulk stock with reorder points, spare serials on each shelf, one transfer."""
    received_on = today - timedelta(days=400)
    first = locations[0]
    if aries.orders.exists(aries.orders.stock_ledger_id(first, items["E0143"])):
        return  # an earlier run's
    for n, location_id in enumerate(locations[:2]):
        for hcpcs, units, point in BULK[n]:
            aries.orders.receive_stock(
                location_id=location_id, item_id=items[hcpcs], quantity=units,
                purchase_order=f"PO-DEMO-{n}{hcpcs}", lot=f"LOT-{hcpcs}-{n}",
                received_on=received_on,
            )
            aries.orders.set_reorder_point(
                location_id=location_id, item_id=items[hcpcs], point=point
            )
        for hcpcs in ("E0260", "E0601", "E1390", "K0001"):
            serials = [f"SP-{hcpcs}-{n}-{k}" for k in range(SPARE_SERIALS)]
            aries.orders.receive_stock(
                location_id=location_id, item_id=items[hcpcs], quantity=len(serials),
                serials=serials, purchase_order=f"PO-DEMO-{n}{hcpcs}", received_on=received_on,
            )
    if len(locations) > 1:
        aries.orders.transfer_stock(
            from_location_id=first, to_location_id=locations[1], item_id=items["E0143"],
            quantity=2, on=received_on + timedelta(days=1),
        )
        aries.orders.transfer_stock(
            from_location_id=first, to_location_id=locations[1], item_id=items["E0260"],
            serials=["SP-E0260-0-0"], on=received_on + timedelta(days=1),
        )


def stock_serials(
    aries: Aries, location_id: UUID, item_id: UUID, serials: list[str], on: date
) -> None:
    """The units a demo order is about to deliver, received at its location first."""
    new = [s for s in serials if not aries.orders.exists(aries.orders.serial_id(s))]
    if new:
        aries.orders.receive_stock(
            location_id=location_id, item_id=item_id, quantity=len(new), serials=new,
            purchase_order="PO-DEMO-ORDERS", received_on=on,
        )


def stock_bulk(
    aries: Aries, location_id: UUID, item_id: UUID, order_id: UUID, line: Any, on: date
) -> None:
    """The bulk units a demo order line is about to deliver, received at its location first
    (so the demo's seeded stock levels, one of them low, stay as they are)."""
    aries.orders.receive_stock(
        location_id=location_id, item_id=item_id, quantity=line.quantity,
        purchase_order=f"PO-DEMO-{str(order_id)[:8]}", received_on=on,
    )
