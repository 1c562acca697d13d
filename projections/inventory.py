"""`inventory`: stock on hand and its movements per location and item, and where each serialised
unit is, its history and its rentals (projections/inventory_tables.py), from the Orders log
(stock lives in the Orders family: docs/decisions/019-inventory-and-serials.md).

`on_hand_after` is a fold the ledger aggregate does too (`domain.inventory`); `ledger_change`
is the one place that says how each ledger event moves the quantity, for this projection and the
work queue's low-stock items alike.
"""

from __future__ import annotations

from typing import Any

from domain.inventory import StockLedger
from domain.serialised_asset import SerialisedAsset
from projections.base import Projection, handles
from projections.folding import Rows
from projections.inventory_tables import (
    serial_history,
    serial_rentals,
    serialised_assets,
    stock_levels,
    stock_movements,
)

LEDGER = stock_levels.c.ledger_id
ASSET = serialised_assets.c.asset_id
RENTALS = serial_rentals.c.asset_id


def ledger_change(on_hand: int, event: Any) -> int:
    """Units on hand after a StockLedger event (its class decides how it counts)."""
    if isinstance(event, StockLedger.Received | StockLedger.TransferredIn):
        return on_hand + event.quantity
    if isinstance(event, StockLedger.TransferredOut):
        return on_hand - event.quantity
    if isinstance(event, StockLedger.Adjusted):
        return on_hand + event.delta
    if isinstance(event, StockLedger.Counted):
        return event.counted
    if isinstance(event, StockLedger.Issued):
        return on_hand - 1
    if isinstance(event, StockLedger.Restocked):
        return on_hand + 1
    if isinstance(event, StockLedger.IssuedToOrder):  # type: ignore[attr-defined]
        return on_hand - event.quantity
    if isinstance(event, StockLedger.ReturnedFromOrder):  # type: ignore[attr-defined]
        return on_hand + event.quantity
    return on_hand


MOVEMENT_NAMES = {
    "Received": "received", "TransferredOut": "transferred_out",
    "TransferredIn": "transferred_in", "Adjusted": "adjusted", "Counted": "counted",
    "Issued": "issued", "Restocked": "restocked", "IssuedToOrder": "issued_to_order",
    "ReturnedFromOrder": "returned_from_order",
}


def _movement(event: Any, level: dict[str, Any], after: int) -> dict[str, Any]:
    kind = type(event).__name__
    other = getattr(event, "to_location_id", None) or getattr(event, "from_location_id", None)
    return {
        "ledger_id": event.originator_id,
        "version": event.originator_version,
        "tenant_id": level["tenant_id"],
        "location_id": level["location_id"],
        "item_id": level["item_id"],
        "hcpcs": level["hcpcs"],
        "movement": MOVEMENT_NAMES[kind],
        "change": after - level["on_hand"],
        "on_hand_after": after,
        "moved_on": event.on,
        "purchase_order": getattr(event, "purchase_order", None),
        "lot": getattr(event, "lot", None),
        "reason": getattr(event, "reason", None) or _order_of(event),
        "transfer_id": getattr(event, "transfer_id", None),
        "other_location_id": other,
        "recorded_at": event.timestamp,
    }


def _order_of(event: Any) -> str | None:
    """Bulk units out with an order, or back from it: which order (an id, no patient)."""
    order_id = getattr(event, "order_id", None)
    return None if order_id is None else f"order {order_id}"


class InventoryProjection(Projection):
    name = "inventory"
    upstreams = ("orders",)
    tables = (stock_levels, stock_movements, serialised_assets, serial_history, serial_rentals)

    # --- stock ledgers --------------------------------------------------------------------------

    @handles(StockLedger.Opened)
    def ledger_opened(self, rows: Rows, event: Any) -> None:
        rows[stock_levels].add({
            "ledger_id": event.originator_id,
            "tenant_id": event.tenant_id,
            "location_id": event.location_id,
            "item_id": event.item_id,
            "hcpcs": event.hcpcs,
            "serialised": event.serialised,
            "on_hand": 0,
            "reorder_point": None,
            "last_moved_on": None,
            "version": event.originator_version,
        })

    @handles(StockLedger.ReorderPointSet, reads=LEDGER)
    def reorder_point_set(self, rows: Rows, event: Any) -> None:
        rows[stock_levels].update(
            event.originator_id, reorder_point=event.point, version=event.originator_version
        )

    @handles(StockLedger.Event, reads=LEDGER)
    def stock_moved(self, rows: Rows, event: Any) -> None:
        """Every other ledger event is a movement."""
        level = rows[stock_levels].get(event.originator_id)
        after = ledger_change(level["on_hand"], event)
        rows[stock_movements].add(_movement(event, level, after))
        rows[stock_levels].update(
            event.originator_id, on_hand=after, last_moved_on=event.on,
            version=event.originator_version,
        )

    # --- serialised assets ------------------------------------------------------------------------

    @handles(SerialisedAsset.Received)
    def serial_received(self, rows: Rows, event: Any) -> None:
        rows[serialised_assets].add({
            "asset_id": event.originator_id,
            "tenant_id": event.tenant_id,
            "serial": event.serial,
            "item_id": event.item_id,
            "hcpcs": event.hcpcs,
            "status": "in_stock",
            "location_id": event.location_id,
            "home_location_id": event.location_id,
            "order_id": None,
            "patient_id": None,
            "purchase_order": event.purchase_order,
            "lot": event.lot,
            "received_on": event.received_on,
            "last_changed_on": event.received_on,
            "version": event.originator_version,
        })
        _history(rows, event, "received", event.received_on, location_id=event.location_id,
                 detail=f"purchase order {event.purchase_order}")

    @handles(SerialisedAsset.Delivered, reads=(ASSET, RENTALS))
    def serial_delivered(self, rows: Rows, event: Any) -> None:
        asset = _asset(rows, event, event.delivered_on,
                       status="rented" if event.rented else "sold", location_id=None,
                       home_location_id=event.location_id, order_id=event.order_id,
                       patient_id=event.patient_id if event.rented else None)
        _history(rows, event, "delivered", event.delivered_on, location_id=event.location_id,
                 order_id=event.order_id, patient_id=event.patient_id,
                 detail="rented" if event.rented else "sold")
        if event.rented:
            rows[serial_rentals].add({
                "asset_id": event.originator_id,
                "order_id": event.order_id,
                "tenant_id": asset["tenant_id"],
                "item_id": asset["item_id"],
                "hcpcs": asset["hcpcs"],
                "location_id": event.location_id,
                "patient_id": event.patient_id,
                "rented_on": event.delivered_on,
                "ended_on": None,
                "ended_by": None,
            })

    @handles(SerialisedAsset.PickedUp, reads=(ASSET, RENTALS))
    def serial_picked_up(self, rows: Rows, event: Any) -> None:
        patient = rows[serialised_assets].get(event.originator_id)["patient_id"]
        _asset(rows, event, event.picked_up_on, status="picked_up", patient_id=None)
        _history(rows, event, "picked_up", event.picked_up_on, order_id=event.order_id,
                 patient_id=patient)
        _end_rental(rows, event, event.picked_up_on, "picked_up")

    @handles(SerialisedAsset.Sold, reads=(ASSET, RENTALS))
    def serial_sold(self, rows: Rows, event: Any) -> None:
        before = rows[serialised_assets].get(event.originator_id)
        _history(rows, event, "sold", event.on, order_id=before["order_id"],
                 patient_id=before["patient_id"])
        _asset(rows, event, event.on, status="sold", patient_id=None)
        _end_rental(rows, event, event.on, "sold")

    @handles(SerialisedAsset.SentForService, reads=ASSET)
    def serial_sent_for_service(self, rows: Rows, event: Any) -> None:
        _asset(rows, event, event.on, status="in_service")
        detail = event.service + (f": {event.note}" if event.note else "")
        _history(rows, event, "sent_for_service", event.on, detail=detail)

    @handles(SerialisedAsset.ReturnedToStock, reads=ASSET)
    def serial_returned_to_stock(self, rows: Rows, event: Any) -> None:
        _asset(rows, event, event.on, status="in_stock", location_id=event.location_id,
               home_location_id=event.location_id, order_id=None)
        _history(rows, event, "returned_to_stock", event.on, location_id=event.location_id)

    @handles(SerialisedAsset.Transferred, reads=ASSET)
    def serial_transferred(self, rows: Rows, event: Any) -> None:
        _asset(rows, event, event.on, location_id=event.to_location_id,
               home_location_id=event.to_location_id)
        _history(rows, event, "transferred", event.on, location_id=event.to_location_id,
                 detail=f"from location {event.from_location_id}")

    @handles(SerialisedAsset.Retired, reads=ASSET)
    def serial_retired(self, rows: Rows, event: Any) -> None:
        _asset(rows, event, event.on, status="retired", location_id=None)
        _history(rows, event, "retired", event.on, detail=event.reason)


def _asset(rows: Rows, event: Any, on: Any, **changes: Any) -> dict[str, Any]:
    return rows[serialised_assets].update(
        event.originator_id, **changes, last_changed_on=on, version=event.originator_version
    )


def _history(rows: Rows, event: Any, happened: str, on: Any, **values: Any) -> None:
    asset = rows[serialised_assets].get(event.originator_id)
    rows[serial_history].add({
        "asset_id": event.originator_id,
        "version": event.originator_version,
        "tenant_id": asset["tenant_id"],
        "serial": asset["serial"],
        "happened": happened,
        "happened_on": on,
        "location_id": values.get("location_id"),
        "order_id": values.get("order_id"),
        "patient_id": values.get("patient_id"),
        "detail": values.get("detail"),
        "recorded_at": event.timestamp,
    })


def _end_rental(rows: Rows, event: Any, on: Any, by: str) -> None:
    for rental in rows[serial_rentals].group("asset_id", event.originator_id):
        if rental["ended_on"] is None:
            rows[serial_rentals].update(
                (rental["asset_id"], rental["order_id"]), ended_on=on, ended_by=by
            )
