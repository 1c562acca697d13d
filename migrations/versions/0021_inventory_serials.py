"""inventory and serials: stock per location and item, serialised assets, restock work items

Tables for `projections/inventory.py` as defined in `projections/inventory_tables.py`:
read.stock_levels and read.stock_movements (no PHI: analysts read them), read.serialised_assets,
read.serial_history and read.serial_rentals (device serial numbers beside patient ids: analysts
are refused them, as 0014 refused order_lines), and read.work_queue_stock (the work queue's memory
of each ledger). The work queue gains `restock` items, which name no order or patient: its
order_id and patient_id become nullable. Analysts count rentals through read.rental_census (units
of each item out on rental per month, no serial and no patient), a view over a SECURITY DEFINER
function as in 0009, so that a rebuild can swap read.serial_rentals.

Stock is recorded in the Orders family (orders_events): no new events table
(docs/decisions/019-inventory-and-serials.md).

Revision ID: 0021_inventory_serials
Revises: 0019_companies_locations_payers, 0020_fee_schedules_catalogue, 0022_report_files
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_inventory_serials"
down_revision = "0019_companies_locations_payers"
branch_labels = None
depends_on = None

SCHEMA = "read"
TS = sa.DateTime(timezone=True)
TABLES = (
    "stock_levels",
    "stock_movements",
    "serialised_assets",
    "serial_history",
    "serial_rentals",
    "work_queue_stock",
)
ANALYSTS_REFUSED = ("serialised_assets", "serial_history", "serial_rentals")

# The work queue's comments as 0018_eligibility_and_status left them, and with restock.
KIND_BEFORE = (
    "submit_claim, confirm_transmission, fix_rejection, bill_secondary, appeal_denial, "
    "timely_filing_risk, bill_rental, billing_held, follow_up_claim_status or "
    "coverage_inactive."
)
KIND_AFTER = (
    "submit_claim, confirm_transmission, fix_rejection, bill_secondary, appeal_denial, "
    "timely_filing_risk, bill_rental, billing_held, follow_up_claim_status, "
    "coverage_inactive or restock."
)
SUBJECT_BEFORE = (
    "What to act on: the claim, for bill_rental the order line, for billing_held "
    "the billing hold, for coverage_inactive the coverage."
)
SUBJECT_AFTER = (
    "What to act on: the claim, for bill_rental the order line, for billing_held "
    "the billing hold, for coverage_inactive the coverage, for restock the stock "
    "ledger."
)
DUE_BEFORE = (
    "submit_claim: drafted on; confirm_transmission: found unconfirmable on (UTC); "
    "fix_rejection: rejected on (UTC); bill_secondary: transferred on; appeal_denial: "
    "appeal deadline; timely_filing_risk: filing deadline; bill_rental: first day of "
    "the next rental month; follow_up_claim_status, coverage_inactive: answered on "
    "(UTC)."
)
DUE_AFTER = DUE_BEFORE[:-1] + "; restock: the day stock fell below the reorder point."

CENSUS = """
CREATE FUNCTION read.rental_census_rows()
RETURNS TABLE (
    tenant_id text, hcpcs text, item_id uuid, location_id uuid, month date, units_rented bigint
)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT r.tenant_id, r.hcpcs, r.item_id, r.location_id, m.month::date, count(*)
    FROM read.serial_rentals AS r
    CROSS JOIN LATERAL generate_series(
        date_trunc('month', r.rented_on),
        date_trunc('month', COALESCE(r.ended_on, current_date)),
        interval '1 month'
    ) AS m(month)
    GROUP BY r.tenant_id, r.hcpcs, r.item_id, r.location_id, m.month
$$
"""
CENSUS_COMMENT = (
    "Serialised units out on rental per item, location and calendar month (a unit counts in "
    "every month from its delivery to its pickup or sale, both included). No serial, no patient."
)
CENSUS_COLUMNS = {
    "tenant_id": "Tenant that owns the units.",
    "hcpcs": "HCPCS code of the item.",
    "item_id": "The equipment catalogue item.",
    "location_id": "Location the units were delivered from.",
    "month": "First day of the calendar month.",
    "units_rented": "Units out on rental at some time in the month.",
}


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _work_queue(kind: str, subject: str, due: str, restock: bool) -> None:
    op.execute(f"COMMENT ON COLUMN read.work_queue.kind IS {_quoted(kind)}")
    op.execute(f"COMMENT ON COLUMN read.work_queue.subject_id IS {_quoted(subject)}")
    op.execute(f"COMMENT ON COLUMN read.work_queue.due_on IS {_quoted(due)}")
    # order_id is already nullable (0018: coverage items); a restock item names no patient.
    change = "DROP NOT NULL" if restock else "SET NOT NULL"
    op.execute(f"ALTER TABLE read.work_queue ALTER COLUMN patient_id {change}")
    order = (
        "The order (none for coverage_inactive, restock)."
        if restock
        else "The order (none for coverage_inactive)."
    )
    patient = "The patient, id only (none for restock)." if restock else "The patient (id only)."
    op.execute(f"COMMENT ON COLUMN read.work_queue.order_id IS {_quoted(order)}")
    op.execute(f"COMMENT ON COLUMN read.work_queue.patient_id IS {_quoted(patient)}")


def upgrade() -> None:
    op.create_table(
        "stock_levels",
        sa.Column(
            "ledger_id", sa.Uuid(), nullable=False, comment="The stock ledger (location and item)."
        ),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the stock."),
        sa.Column(
            "location_id", sa.Uuid(), nullable=False, comment="The location holding the stock."
        ),
        sa.Column("item_id", sa.Uuid(), nullable=False, comment="The equipment catalogue item."),
        sa.Column("hcpcs", sa.Text(), nullable=False, comment="The item's HCPCS code."),
        sa.Column(
            "serialised", sa.Boolean(), nullable=False, comment="Whether each unit has a serial."
        ),
        sa.Column(
            "on_hand", sa.Integer(), nullable=False, comment="Units on the shelf (never negative)."
        ),
        sa.Column(
            "reorder_point",
            sa.Integer(),
            nullable=True,
            comment="Below this many units the work queue asks to restock; null: never.",
        ),
        sa.Column(
            "last_moved_on", sa.Date(), nullable=True, comment="Date of the latest movement."
        ),
        sa.Column("version", sa.BigInteger(), nullable=False, comment="Ledger version (its ETag)."),
        sa.PrimaryKeyConstraint("ledger_id", name="pk_stock_levels"),
        schema=SCHEMA,
        comment="Stock on hand per location and item, one row per stock ledger.",
    )
    op.create_index(
        "ix_stock_levels_tenant_id_location_id_item_id",
        "stock_levels",
        ["tenant_id", "location_id", "item_id"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_table(
        "stock_movements",
        sa.Column("ledger_id", sa.Uuid(), nullable=False, comment="The stock ledger."),
        sa.Column(
            "version", sa.BigInteger(), nullable=False, comment="Ledger version of the movement."
        ),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the stock."),
        sa.Column("location_id", sa.Uuid(), nullable=False, comment="The location."),
        sa.Column("item_id", sa.Uuid(), nullable=False, comment="The item."),
        sa.Column("hcpcs", sa.Text(), nullable=False, comment="The item's HCPCS code."),
        sa.Column(
            "movement",
            sa.Text(),
            nullable=False,
            comment="received, transferred_out, transferred_in, adjusted, counted, issued (a serialised unit delivered or retired) or restocked (a serialised unit back from cleaning).",
        ),
        sa.Column(
            "change", sa.Integer(), nullable=False, comment="Units added (negative: taken away)."
        ),
        sa.Column("on_hand_after", sa.Integer(), nullable=False, comment="Units on hand after it."),
        sa.Column("moved_on", sa.Date(), nullable=False, comment="Date of the movement."),
        sa.Column("purchase_order", sa.Text(), nullable=True, comment="Purchase order (receipts)."),
        sa.Column("lot", sa.Text(), nullable=True, comment="Lot number (receipts), if any."),
        sa.Column("reason", sa.Text(), nullable=True, comment="Why (adjustments, issues)."),
        sa.Column(
            "transfer_id", sa.Uuid(), nullable=True, comment="Pairs a transfer's out and in."
        ),
        sa.Column(
            "other_location_id", sa.Uuid(), nullable=True, comment="Transfers: the other location."
        ),
        sa.Column("recorded_at", TS, nullable=False, comment="When it was recorded (UTC)."),
        sa.PrimaryKeyConstraint("ledger_id", "version", name="pk_stock_movements"),
        schema=SCHEMA,
        comment="Every movement of stock: receipts, transfers, adjustments, counts, issues.",
    )
    op.create_index(
        "ix_stock_movements_tenant_id_location_id_moved_on",
        "stock_movements",
        ["tenant_id", "location_id", "moved_on"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_table(
        "serialised_assets",
        sa.Column(
            "asset_id", sa.Uuid(), nullable=False, comment="The asset (from tenant and serial)."
        ),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns it."),
        sa.Column("serial", sa.Text(), nullable=False, comment="Manufacturer's serial number."),
        sa.Column("item_id", sa.Uuid(), nullable=False, comment="The equipment catalogue item."),
        sa.Column("hcpcs", sa.Text(), nullable=False, comment="The item's HCPCS code."),
        sa.Column(
            "status",
            sa.Text(),
            nullable=False,
            comment="in_stock, rented, sold, picked_up, in_service or retired.",
        ),
        sa.Column(
            "location_id", sa.Uuid(), nullable=True, comment="Location it is in stock at, if so."
        ),
        sa.Column(
            "home_location_id",
            sa.Uuid(),
            nullable=False,
            comment="Location it was last stocked at or delivered from.",
        ),
        sa.Column("order_id", sa.Uuid(), nullable=True, comment="Order it was last delivered on."),
        sa.Column(
            "patient_id", sa.Uuid(), nullable=True, comment="Patient renting it now (id only)."
        ),
        sa.Column(
            "purchase_order", sa.Text(), nullable=False, comment="Purchase order it came on."
        ),
        sa.Column("lot", sa.Text(), nullable=True, comment="Lot number, if any."),
        sa.Column("received_on", sa.Date(), nullable=False, comment="Date received."),
        sa.Column(
            "last_changed_on", sa.Date(), nullable=False, comment="Date of the latest change."
        ),
        sa.Column("version", sa.BigInteger(), nullable=False, comment="Asset version (its ETag)."),
        sa.PrimaryKeyConstraint("asset_id", name="pk_serialised_assets"),
        schema=SCHEMA,
        comment="Where each serialised unit is now (PHI: it names who rents it).",
    )
    op.create_index(
        "ix_serialised_assets_tenant_id_serial",
        "serialised_assets",
        ["tenant_id", "serial"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_index(
        "ix_serialised_assets_tenant_id_patient_id",
        "serialised_assets",
        ["tenant_id", "patient_id"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_table(
        "serial_history",
        sa.Column("asset_id", sa.Uuid(), nullable=False, comment="The asset."),
        sa.Column(
            "version", sa.BigInteger(), nullable=False, comment="Asset version of the event."
        ),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns it."),
        sa.Column("serial", sa.Text(), nullable=False, comment="Serial number."),
        sa.Column(
            "happened",
            sa.Text(),
            nullable=False,
            comment="received, delivered, picked_up, sold, sent_for_service, returned_to_stock, transferred or retired.",
        ),
        sa.Column("happened_on", sa.Date(), nullable=False, comment="Business date."),
        sa.Column("location_id", sa.Uuid(), nullable=True, comment="Location involved, if any."),
        sa.Column("order_id", sa.Uuid(), nullable=True, comment="Order involved, if any."),
        sa.Column(
            "patient_id", sa.Uuid(), nullable=True, comment="Patient involved, if any (id only)."
        ),
        sa.Column("detail", sa.Text(), nullable=True, comment="Purchase order, service, reason..."),
        sa.Column("recorded_at", TS, nullable=False, comment="When it was recorded (UTC)."),
        sa.PrimaryKeyConstraint("asset_id", "version", name="pk_serial_history"),
        schema=SCHEMA,
        comment="The life of each serialised unit, one row per event (PHI: names patients).",
    )
    op.create_table(
        "serial_rentals",
        sa.Column("asset_id", sa.Uuid(), nullable=False, comment="The asset rented."),
        sa.Column("order_id", sa.Uuid(), nullable=False, comment="The order it was rented on."),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns it."),
        sa.Column("item_id", sa.Uuid(), nullable=False, comment="The item."),
        sa.Column("hcpcs", sa.Text(), nullable=False, comment="The item's HCPCS code."),
        sa.Column(
            "location_id", sa.Uuid(), nullable=False, comment="Location it was delivered from."
        ),
        sa.Column(
            "patient_id", sa.Uuid(), nullable=False, comment="Patient who rented it (id only)."
        ),
        sa.Column("rented_on", sa.Date(), nullable=False, comment="Delivery date."),
        sa.Column(
            "ended_on", sa.Date(), nullable=True, comment="Picked up or sold on; null: still out."
        ),
        sa.Column("ended_by", sa.Text(), nullable=True, comment="picked_up or sold."),
        sa.PrimaryKeyConstraint("asset_id", "order_id", name="pk_serial_rentals"),
        schema=SCHEMA,
        comment="Each rental of a serialised unit, delivery to pickup (PHI: names patients).",
    )
    op.create_index(
        "ix_serial_rentals_tenant_id_hcpcs_rented_on",
        "serial_rentals",
        ["tenant_id", "hcpcs", "rented_on"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_index(
        "ix_serial_rentals_tenant_id_patient_id",
        "serial_rentals",
        ["tenant_id", "patient_id"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_table(
        "work_queue_stock",
        sa.Column("ledger_id", sa.Uuid(), nullable=False, comment="The stock ledger."),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns it."),
        sa.Column("location_id", sa.Uuid(), nullable=False, comment="The location."),
        sa.Column("hcpcs", sa.Text(), nullable=False, comment="The item's HCPCS code."),
        sa.Column("on_hand", sa.Integer(), nullable=False, comment="Units on hand."),
        sa.Column(
            "reorder_point", sa.Integer(), nullable=True, comment="The ledger's reorder point."
        ),
        sa.PrimaryKeyConstraint("ledger_id", name="pk_work_queue_stock"),
        schema=SCHEMA,
        comment="The work queue's own memory of each stock ledger, to know when stock is low.",
    )
    for table in ANALYSTS_REFUSED:
        op.execute(f"REVOKE ALL ON read.{table} FROM aries_analyst")
    op.execute(CENSUS)
    op.execute("REVOKE ALL ON FUNCTION read.rental_census_rows() FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION read.rental_census_rows() TO aries_analyst, aries_app")
    op.execute("CREATE VIEW read.rental_census AS SELECT * FROM read.rental_census_rows()")
    op.execute("GRANT SELECT ON read.rental_census TO aries_analyst, aries_app")
    op.execute(f"COMMENT ON VIEW read.rental_census IS {_quoted(CENSUS_COMMENT)}")
    op.execute(
        "COMMENT ON FUNCTION read.rental_census_rows() IS "
        f"{_quoted('Rows of the view read.rental_census (see its comment).')}"
    )
    for column, text in CENSUS_COLUMNS.items():
        op.execute(f"COMMENT ON COLUMN read.rental_census.{column} IS {_quoted(text)}")
    _work_queue(KIND_AFTER, SUBJECT_AFTER, DUE_AFTER, restock=True)


def downgrade() -> None:
    op.execute("DELETE FROM read.work_queue WHERE kind = 'restock'")
    _work_queue(KIND_BEFORE, SUBJECT_BEFORE, DUE_BEFORE, restock=False)
    op.execute("DROP VIEW read.rental_census")
    op.execute("DROP FUNCTION read.rental_census_rows()")
    for table in reversed(TABLES):
        op.drop_table(table, schema=SCHEMA)
