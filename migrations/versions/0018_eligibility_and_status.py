"""eligibility and claim status answers in the read models

A claim's latest 277 claim status (category, code, when) is kept in read.claims and in the
work queue's memory of each claim; the work queue shows a `follow_up_claim_status` item for a
claim the payer reports denied, rejected, not found or asks information about, and a
`coverage_inactive` item (from the Patients log) for a coverage the payer reports inactive or
cannot answer for. A coverage item has no order: read.work_queue.order_id becomes nullable.

Revision ID: 0018_eligibility_and_status
Revises: 0022_report_files
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_eligibility_and_status"
down_revision = "0022_report_files"  # re-chained after merging main (was 0016)
branch_labels = None
depends_on = None

KIND_BEFORE = (
    "submit_claim, confirm_transmission, fix_rejection, bill_secondary, appeal_denial, "
    "timely_filing_risk, bill_rental or billing_held."
)
KIND_AFTER = (
    "submit_claim, confirm_transmission, fix_rejection, bill_secondary, appeal_denial, "
    "timely_filing_risk, bill_rental, billing_held, follow_up_claim_status or "
    "coverage_inactive."
)
SUBJECT_BEFORE = (
    "What to act on: the claim, for bill_rental the order line, for billing_held "
    "the billing hold."
)
SUBJECT_AFTER = (
    "What to act on: the claim, for bill_rental the order line, for billing_held "
    "the billing hold, for coverage_inactive the coverage."
)
DUE_BEFORE = (
    "submit_claim: drafted on; confirm_transmission: found unconfirmable on (UTC); "
    "fix_rejection: rejected on (UTC); bill_secondary: transferred on; appeal_denial: "
    "appeal deadline; timely_filing_risk: filing deadline; bill_rental: first day of "
    "the next rental month."
)
DUE_AFTER = DUE_BEFORE[:-1] + (
    "; follow_up_claim_status, coverage_inactive: answered on (UTC)."
)
CLAIMS_COLUMNS = (
    ("payer_status_category", sa.Text(),
     "Latest 277 claim status category (STC01-1, list 507), e.g. P1, F1, F2."),
    ("payer_status_code", sa.Text(), "Latest 277 claim status code (STC01-2, list 508)."),
    ("payer_status_at", sa.DateTime(timezone=True), "When that 277 was received (UTC)."),
)
MEMORY_COLUMNS = (
    ("payer_status_category", sa.Text(), "Latest 277 category."),
    ("payer_status_code", sa.Text(), "Latest 277 status code."),
    ("payer_status_at", sa.DateTime(timezone=True), "When that 277 was received."),
)


def _comment(column: str, text: str) -> None:
    op.execute(f"COMMENT ON COLUMN read.work_queue.{column} IS '{text}'")


def upgrade() -> None:
    for table, columns in (("claims", CLAIMS_COLUMNS), ("work_queue_claims", MEMORY_COLUMNS)):
        for name, type_, comment in columns:
            op.add_column(table, sa.Column(name, type_, nullable=True, comment=comment),
                          schema="read")
    op.alter_column("work_queue", "order_id", nullable=True, schema="read",
                    comment="The order (none for coverage_inactive).")
    # The work queue finds a coverage's item by its patient (the event's aggregate).
    op.create_index("ix_work_queue_patient_id", "work_queue", ["patient_id"], schema="read")
    _comment("kind", KIND_AFTER)
    _comment("subject_id", SUBJECT_AFTER)
    _comment("due_on", DUE_AFTER)


def downgrade() -> None:
    op.drop_index("ix_work_queue_patient_id", table_name="work_queue", schema="read")
    op.execute("DELETE FROM read.work_queue WHERE order_id IS NULL")
    op.alter_column("work_queue", "order_id", nullable=False, schema="read", comment="The order.")
    _comment("kind", KIND_BEFORE)
    _comment("subject_id", SUBJECT_BEFORE)
    _comment("due_on", DUE_BEFORE)
    for table in ("claims", "work_queue_claims"):
        for name, _, _ in CLAIMS_COLUMNS:
            op.drop_column(table, name, schema="read")
