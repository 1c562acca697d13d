"""rental periods: redeliveries and inpatient stays; oxygen coverage groups

An order's equipment may come back into the home after a pickup (a redelivery: the count goes
on, or a new rental period starts after a break of more than 60 days), and the patient may be
admitted to a hospital or SNF (the count pauses until discharge): domain/rental_periods.py.
read.orders says when the equipment came back and whether a stay is open; read.order_lines the
rental period of the latest month; the work queue's rental memory keeps the possessions and
stays that move the next month, and counts the months opened over all periods. An oxygen
line records the patient's coverage group (N1/N2/N3 on Medicare rentals): read.order_lines
shows it.

Revision ID: 0017_rental_periods
Revises: 0018_eligibility_and_status
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0017_rental_periods"
down_revision = "0020_fee_schedules_catalogue"  # re-chained at merge (was 0016)
branch_labels = None
depends_on = None

MONTHS_BEFORE = "Last rental month opened."
MONTHS_AFTER = "Rental months opened, all periods."


def upgrade() -> None:
    op.add_column(
        "orders",
        sa.Column(
            "redelivered_on",
            sa.Date(),
            nullable=True,
            comment="Latest date the equipment came back into the home after a pickup.",
        ),
        schema="read",
    )
    op.add_column(
        "orders",
        sa.Column(
            "inpatient_since",
            sa.Date(),
            nullable=True,
            comment="Admission date of the patient's open hospital or SNF stay: no rental month "
            "is billed until the discharge.",
        ),
        schema="read",
    )
    op.add_column(
        "order_lines",
        sa.Column(
            "rental_period",
            sa.Integer(),
            nullable=True,
            comment="Rental period of the latest month opened: 1, then 2 after a break in "
            "service of more than 60 days, and so on.",
        ),
        schema="read",
    )
    op.add_column(
        "order_lines",
        sa.Column(
            "oxygen_group",
            sa.Integer(),
            nullable=True,
            comment="Oxygen lines: the LCD L33797 coverage group (1, 2 or 3) Medicare rentals "
            "carry as N1/N2/N3; null when not recorded or not oxygen.",
        ),
        schema="read",
    )
    # Before this revision every opened month was in period 1.
    op.execute(
        "UPDATE read.order_lines SET rental_period = 1 WHERE rental_months_opened > 0"
    )
    op.add_column(
        "work_queue_rentals",
        sa.Column(
            "interruptions",
            JSONB(),
            nullable=True,
            comment="Null until the item is redelivered or the patient admitted: then "
            "possessions ([delivered_on, picked_up_on] ISO dates) and inpatient stays "
            "([admitted_on, discharged_on]), which move the next month "
            "(domain/rental_periods.py).",
        ),
        schema="read",
    )
    op.execute(f"COMMENT ON COLUMN read.work_queue_rentals.months_opened IS '{MONTHS_AFTER}'")


def downgrade() -> None:
    op.execute(f"COMMENT ON COLUMN read.work_queue_rentals.months_opened IS '{MONTHS_BEFORE}'")
    op.drop_column("work_queue_rentals", "interruptions", schema="read")
    op.drop_column("order_lines", "rental_period", schema="read")
    op.drop_column("order_lines", "oxygen_group", schema="read")
    op.drop_column("orders", "inpatient_since", schema="read")
    op.drop_column("orders", "redelivered_on", schema="read")
