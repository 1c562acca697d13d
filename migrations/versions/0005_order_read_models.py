"""order read models: orders and order lines

`read.orders` (one row per order: status, hold, coverage, documentation, prior authorization,
delivery, pickup, cancellation) and `read.order_lines` (item, prior authorization decision,
serial numbers, rental months, adherence), kept by `projections/orders.py`. Grants come from the
default privileges 0003 set on schema `read`. No foreign key from lines to orders: each table is
written by the same projection in the same transaction, and a rebuild swaps both at once.

Revision ID: 0005_order_read_models
Revises: 0004_patient_read_models
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_order_read_models"
down_revision = "0004_patient_read_models"
branch_labels = None
depends_on = None

SCHEMA = "read"
ORDER_INDEXES = (
    "ix_orders_tenant_id_order_date_order_id",
    "ix_orders_tenant_id_patient_id_order_date_order_id",
    "ix_orders_tenant_id_status_order_date_order_id",
)


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column(
            "order_id",
            sa.Uuid(),
            nullable=False,
            comment="The order (aggregate id).",
        ),
        sa.Column(
            "tenant_id",
            sa.Text(),
            nullable=False,
            comment="Tenant that owns the order.",
        ),
        sa.Column(
            "patient_id",
            sa.Uuid(),
            nullable=False,
            comment="The patient the order is for.",
        ),
        sa.Column(
            "status",
            sa.Text(),
            nullable=False,
            comment="intake, on_hold, delivered, picked_up or cancelled (on_hold while held before delivery or during the rental, as Order.status).",
        ),
        sa.Column(
            "on_hold",
            sa.Boolean(),
            nullable=False,
            comment="Whether a hold is in force.",
        ),
        sa.Column(
            "hold_reason",
            sa.Text(),
            nullable=True,
            comment="Why it is on hold (null when not).",
        ),
        sa.Column(
            "held_on",
            sa.Date(),
            nullable=True,
            comment="Date the hold in force began.",
        ),
        sa.Column(
            "order_date",
            sa.Date(),
            nullable=False,
            comment="Date of the order (intake).",
        ),
        sa.Column(
            "practitioner_npi",
            sa.Text(),
            nullable=False,
            comment="Ordering practitioner's NPI.",
        ),
        sa.Column(
            "practitioner_name",
            sa.Text(),
            nullable=False,
            comment="Ordering practitioner's name.",
        ),
        sa.Column(
            "diagnoses",
            postgresql.ARRAY(sa.Text()),
            nullable=False,
            comment="ICD-10-CM codes, in the order given (claim diagnosis pointers follow it).",
        ),
        sa.Column(
            "line_count",
            sa.Integer(),
            nullable=False,
            comment="Number of lines on the order.",
        ),
        sa.Column(
            "coverage_id",
            sa.Uuid(),
            nullable=True,
            comment="Coverage of the latest verification.",
        ),
        sa.Column(
            "payer_id",
            sa.Text(),
            nullable=True,
            comment="Payer of the latest verification.",
        ),
        sa.Column(
            "coverage_verified_on",
            sa.Date(),
            nullable=True,
            comment="Date of the latest verification.",
        ),
        sa.Column(
            "coverage_eligible",
            sa.Boolean(),
            nullable=True,
            comment="Latest eligibility answer (270/271); null until verified.",
        ),
        sa.Column(
            "same_or_similar_found",
            sa.Boolean(),
            nullable=True,
            comment="Latest same-or-similar check found equipment (blocks delivery); null until.",
        ),
        sa.Column(
            "swo_signed_on",
            sa.Date(),
            nullable=True,
            comment="Standard Written Order signed on.",
        ),
        sa.Column(
            "wopd_required",
            sa.Boolean(),
            nullable=False,
            comment="A line's item is on the CMS required list (WOPD and face-to-face needed).",
        ),
        sa.Column(
            "wopd_signed_on",
            sa.Date(),
            nullable=True,
            comment="Written Order Prior to Delivery signed.",
        ),
        sa.Column(
            "face_to_face_on",
            sa.Date(),
            nullable=True,
            comment="Face-to-face encounter date.",
        ),
        sa.Column(
            "abn_signed_on",
            sa.Date(),
            nullable=True,
            comment="Advance Beneficiary Notice signed.",
        ),
        sa.Column(
            "documentation_complete",
            sa.Boolean(),
            nullable=False,
            comment="SWO on file and, where wopd_required, WOPD and face-to-face on file (their dates against delivery are checked at delivery).",
        ),
        sa.Column(
            "prior_authorization",
            sa.Text(),
            nullable=False,
            comment="Over the lines that need prior authorization: not_required (none do), pending (one has no decision), non_affirmed (one's latest decision), else affirmed.",
        ),
        sa.Column(
            "prior_authorization_valid_until",
            sa.Date(),
            nullable=True,
            comment="When affirmed: the earliest UTN expiry among those lines.",
        ),
        sa.Column(
            "delivered_on",
            sa.Date(),
            nullable=True,
            comment="Delivery date (date of service).",
        ),
        sa.Column(
            "pod_signer_relationship",
            sa.Text(),
            nullable=True,
            comment="Who signed the proof of delivery: patient or designee.",
        ),
        sa.Column(
            "picked_up_on",
            sa.Date(),
            nullable=True,
            comment="Date the equipment came back.",
        ),
        sa.Column(
            "pickup_reason",
            sa.Text(),
            nullable=True,
            comment="Why it was picked up.",
        ),
        sa.Column(
            "cancelled_on",
            sa.Date(),
            nullable=True,
            comment="Date of cancellation.",
        ),
        sa.Column(
            "cancellation_reason",
            sa.Text(),
            nullable=True,
            comment="Why it was cancelled.",
        ),
        sa.Column(
            "placed_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="Timestamp of the Placed event (UTC).",
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="Timestamp of the order's latest event (UTC).",
        ),
        sa.Column(
            "version",
            sa.BigInteger(),
            nullable=False,
            comment="Aggregate version after its latest event (the ETag; If-Match compares it).",
        ),
        sa.PrimaryKeyConstraint("order_id", name="pk_orders"),
        schema=SCHEMA,
        comment="One row per equipment order: status, documentation, authorization, delivery.",
    )
    op.create_index(
        "ix_orders_tenant_id_order_date_order_id",
        "orders",
        ["tenant_id", "order_date", "order_id"],
        schema=SCHEMA,
    )
    op.create_index(
        "ix_orders_tenant_id_patient_id_order_date_order_id",
        "orders",
        ["tenant_id", "patient_id", "order_date", "order_id"],
        schema=SCHEMA,
    )
    op.create_index(
        "ix_orders_tenant_id_status_order_date_order_id",
        "orders",
        ["tenant_id", "status", "order_date", "order_id"],
        schema=SCHEMA,
    )

    op.create_table(
        "order_lines",
        sa.Column(
            "order_id",
            sa.Uuid(),
            nullable=False,
            comment="The order the line is on.",
        ),
        sa.Column(
            "line_id",
            sa.Uuid(),
            nullable=False,
            comment="The line (given at intake).",
        ),
        sa.Column(
            "tenant_id",
            sa.Text(),
            nullable=False,
            comment="Tenant that owns the order.",
        ),
        sa.Column(
            "line_number",
            sa.Integer(),
            nullable=False,
            comment="1-based place on the order.",
        ),
        sa.Column(
            "hcpcs",
            sa.Text(),
            nullable=False,
            comment="HCPCS Level II code of the item.",
        ),
        sa.Column(
            "description",
            sa.Text(),
            nullable=False,
            comment="Catalogue description of the item.",
        ),
        sa.Column(
            "quantity",
            sa.Integer(),
            nullable=False,
            comment="Units ordered.",
        ),
        sa.Column(
            "billing",
            sa.Text(),
            nullable=False,
            comment="rental, purchase_new or purchase_used.",
        ),
        sa.Column(
            "oxygen_flow_lpm",
            sa.Numeric(),
            nullable=True,
            comment="Prescribed oxygen flow, litres per minute (oxygen lines only).",
        ),
        sa.Column(
            "prior_auth_required",
            sa.Boolean(),
            nullable=False,
            comment="The item needs prior authorization (catalogue).",
        ),
        sa.Column(
            "prior_auth_status",
            sa.Text(),
            nullable=True,
            comment="Latest decision: affirmed or non_affirmed; null when none.",
        ),
        sa.Column(
            "prior_auth_decided_on",
            sa.Date(),
            nullable=True,
            comment="Date of the latest decision.",
        ),
        sa.Column(
            "utn",
            sa.Text(),
            nullable=True,
            comment="Unique tracking number when affirmed.",
        ),
        sa.Column(
            "utn_valid_until",
            sa.Date(),
            nullable=True,
            comment="Last day the UTN is valid.",
        ),
        sa.Column(
            "prior_auth_reason",
            sa.Text(),
            nullable=True,
            comment="Why it was not affirmed, if so.",
        ),
        sa.Column(
            "serial_numbers",
            postgresql.ARRAY(sa.Text()),
            nullable=False,
            comment="Serial numbers delivered on the line (serialized items; empty otherwise).",
        ),
        sa.Column(
            "rental_months_opened",
            sa.Integer(),
            nullable=False,
            comment="Rental months opened (billed) so far; 0 for purchases.",
        ),
        sa.Column(
            "last_rental_month_from",
            sa.Date(),
            nullable=True,
            comment="First day of the latest rental month opened.",
        ),
        sa.Column(
            "last_rental_month_to",
            sa.Date(),
            nullable=True,
            comment="Last day of the latest rental month opened.",
        ),
        sa.Column(
            "adherence_met",
            sa.Boolean(),
            nullable=True,
            comment="PAP adherence verdict of the latest evaluation (KX); null when none.",
        ),
        sa.Column(
            "adherence_evaluated_on",
            sa.Date(),
            nullable=True,
            comment="Date of the latest adherence evaluation.",
        ),
        sa.PrimaryKeyConstraint("order_id", "line_id", name="pk_order_lines"),
        schema=SCHEMA,
        comment="One row per order line: item, prior authorization, serials, rental months.",
    )


def downgrade() -> None:
    for name in ORDER_INDEXES:
        op.drop_index(name, table_name="orders", schema=SCHEMA)
    op.drop_table("order_lines", schema=SCHEMA)
    op.drop_table("orders", schema=SCHEMA)
