"""Read-model tables of stock and serialised assets (projections/inventory.py), and the work
queue's memory of each stock ledger (projections/work_queue.py). Same metadata and conventions
as `projections.tables`, which imports this module so that every table is in its metadata.

Analysts read `stock_levels`, `stock_movements` and the `rental_census` view; the serial
tables name device serial numbers beside patients, so analysts are refused them (0021).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
)

from projections.tables import metadata

_TS = DateTime(timezone=True)

MOVEMENTS = (
    "received, transferred_out, transferred_in, adjusted, counted, issued (a serialised unit "
    "delivered or retired), restocked (a serialised unit back from cleaning), issued_to_order "
    "(bulk units delivered on an order) or returned_from_order (bulk rental units back with "
    "the order's pickup)."
)
HAPPENINGS = (
    "received, delivered, picked_up, sold, sent_for_service, returned_to_stock, transferred "
    "or retired."
)

stock_levels = Table(
    "stock_levels",
    metadata,
    Column("ledger_id", Uuid, nullable=False, comment="The stock ledger (location and item)."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns the stock."),
    Column("location_id", Uuid, nullable=False, comment="The location holding the stock."),
    Column("item_id", Uuid, nullable=False, comment="The equipment catalogue item."),
    Column("hcpcs", Text, nullable=False, comment="The item's HCPCS code."),
    Column("serialised", Boolean, nullable=False, comment="Whether each unit has a serial."),
    Column("on_hand", Integer, nullable=False, comment="Units on the shelf (never negative)."),
    Column(
        "reorder_point",
        Integer,
        nullable=True,
        comment="Below this many units the work queue asks to restock; null: never.",
    ),
    Column("last_moved_on", Date, nullable=True, comment="Date of the latest movement."),
    Column("version", BigInteger, nullable=False, comment="Ledger version (its ETag)."),
    PrimaryKeyConstraint("ledger_id"),
    Index(None, "tenant_id", "location_id", "item_id"),
    comment="Stock on hand per location and item, one row per stock ledger.",
)

stock_movements = Table(
    "stock_movements",
    metadata,
    Column("ledger_id", Uuid, nullable=False, comment="The stock ledger."),
    Column("version", BigInteger, nullable=False, comment="Ledger version of the movement."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns the stock."),
    Column("location_id", Uuid, nullable=False, comment="The location."),
    Column("item_id", Uuid, nullable=False, comment="The item."),
    Column("hcpcs", Text, nullable=False, comment="The item's HCPCS code."),
    Column("movement", Text, nullable=False, comment=MOVEMENTS),
    Column("change", Integer, nullable=False, comment="Units added (negative: taken away)."),
    Column("on_hand_after", Integer, nullable=False, comment="Units on hand after it."),
    Column("moved_on", Date, nullable=False, comment="Date of the movement."),
    Column("purchase_order", Text, nullable=True, comment="Purchase order (receipts)."),
    Column("lot", Text, nullable=True, comment="Lot number (receipts), if any."),
    Column("reason", Text, nullable=True, comment="Why (adjustments, issues)."),
    Column("transfer_id", Uuid, nullable=True, comment="Pairs a transfer's out and in."),
    Column(
        "other_location_id", Uuid, nullable=True, comment="Transfers: the other location."
    ),
    Column("recorded_at", _TS, nullable=False, comment="When it was recorded (UTC)."),
    PrimaryKeyConstraint("ledger_id", "version"),
    Index(None, "tenant_id", "location_id", "moved_on"),
    comment="Every movement of stock: receipts, transfers, adjustments, counts, issues.",
)

serialised_assets = Table(
    "serialised_assets",
    metadata,
    Column("asset_id", Uuid, nullable=False, comment="The asset (from tenant and serial)."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns it."),
    Column("serial", Text, nullable=False, comment="Manufacturer's serial number."),
    Column("item_id", Uuid, nullable=False, comment="The equipment catalogue item."),
    Column("hcpcs", Text, nullable=False, comment="The item's HCPCS code."),
    Column(
        "status",
        Text,
        nullable=False,
        comment="in_stock, rented, sold, picked_up, in_service or retired.",
    ),
    Column("location_id", Uuid, nullable=True, comment="Location it is in stock at, if so."),
    Column(
        "home_location_id",
        Uuid,
        nullable=False,
        comment="Location it was last stocked at or delivered from.",
    ),
    Column("order_id", Uuid, nullable=True, comment="Order it was last delivered on."),
    Column("patient_id", Uuid, nullable=True, comment="Patient renting it now (id only)."),
    Column("purchase_order", Text, nullable=False, comment="Purchase order it came on."),
    Column("lot", Text, nullable=True, comment="Lot number, if any."),
    Column("received_on", Date, nullable=False, comment="Date received."),
    Column("last_changed_on", Date, nullable=False, comment="Date of the latest change."),
    Column("version", BigInteger, nullable=False, comment="Asset version (its ETag)."),
    PrimaryKeyConstraint("asset_id"),
    Index(None, "tenant_id", "serial"),
    Index(None, "tenant_id", "patient_id"),
    comment="Where each serialised unit is now (PHI: it names who rents it).",
)

serial_history = Table(
    "serial_history",
    metadata,
    Column("asset_id", Uuid, nullable=False, comment="The asset."),
    Column("version", BigInteger, nullable=False, comment="Asset version of the event."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns it."),
    Column("serial", Text, nullable=False, comment="Serial number."),
    Column("happened", Text, nullable=False, comment=HAPPENINGS),
    Column("happened_on", Date, nullable=False, comment="Business date."),
    Column("location_id", Uuid, nullable=True, comment="Location involved, if any."),
    Column("order_id", Uuid, nullable=True, comment="Order involved, if any."),
    Column("patient_id", Uuid, nullable=True, comment="Patient involved, if any (id only)."),
    Column("detail", Text, nullable=True, comment="Purchase order, service, reason..."),
    Column("recorded_at", _TS, nullable=False, comment="When it was recorded (UTC)."),
    PrimaryKeyConstraint("asset_id", "version"),
    comment="The life of each serialised unit, one row per event (PHI: names patients).",
)

serial_rentals = Table(
    "serial_rentals",
    metadata,
    Column("asset_id", Uuid, nullable=False, comment="The asset rented."),
    Column("order_id", Uuid, nullable=False, comment="The order it was rented on."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns it."),
    Column("item_id", Uuid, nullable=False, comment="The item."),
    Column("hcpcs", Text, nullable=False, comment="The item's HCPCS code."),
    Column("location_id", Uuid, nullable=False, comment="Location it was delivered from."),
    Column("patient_id", Uuid, nullable=False, comment="Patient who rented it (id only)."),
    Column("rented_on", Date, nullable=False, comment="Delivery date."),
    Column("ended_on", Date, nullable=True, comment="Picked up or sold on; null: still out."),
    Column("ended_by", Text, nullable=True, comment="picked_up or sold."),
    PrimaryKeyConstraint("asset_id", "order_id"),
    Index(None, "tenant_id", "patient_id"),
    Index(None, "tenant_id", "hcpcs", "rented_on"),
    comment="Each rental of a serialised unit, delivery to pickup (PHI: names patients).",
)

work_queue_stock = Table(
    "work_queue_stock",
    metadata,
    Column("ledger_id", Uuid, nullable=False, comment="The stock ledger."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns it."),
    Column("location_id", Uuid, nullable=False, comment="The location."),
    Column("hcpcs", Text, nullable=False, comment="The item's HCPCS code."),
    Column("on_hand", Integer, nullable=False, comment="Units on hand."),
    Column("reorder_point", Integer, nullable=True, comment="The ledger's reorder point."),
    PrimaryKeyConstraint("ledger_id"),
    comment="The work queue's own memory of each stock ledger, to know when stock is low.",
)

INVENTORY_TABLES = (
    stock_levels, stock_movements, serialised_assets, serial_history, serial_rentals
)
