"""transmissions: claims whose interchange the clearinghouse cannot confirm

A claim's interchange is recorded before it is sent (Claim.TransmissionPrepared); when a later
attempt cannot learn from the clearinghouse whether it arrived, the claim is
`transmission_unconfirmed` and waits for a person (work-queue kind `confirm_transmission`).
read.claims and read.work_queue_claims keep that interchange's control number and when it
became unconfirmable. Existing rows get nulls: no claim was unconfirmed before this revision.

Revision ID: 0011_transmissions
Revises: 0015_provider_ledger
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_transmissions"
down_revision = "0015_provider_ledger"
branch_labels = None
depends_on = None

TABLES = ("claims", "work_queue_claims")
STATUS_COMMENT = (
    "draft, scrubbed, submission_requested, transmission_unconfirmed, submitted, accepted, "
    "rejected, paid, partially_paid, denied, reversed, awaiting_secondary, "
    "patient_responsibility, appealed, voided, replaced or closed (as Claim.status)."
)
OLD_STATUS_COMMENT = (
    "draft, scrubbed, submission_requested, submitted, accepted, rejected, paid, "
    "partially_paid, denied, reversed, awaiting_secondary, patient_responsibility, appealed, "
    "voided, replaced or closed (as Claim.status)."
)
KIND_COMMENT = (
    "submit_claim, confirm_transmission, fix_rejection, bill_secondary, appeal_denial, "
    "timely_filing_risk or bill_rental."
)
OLD_KIND_COMMENT = (
    "submit_claim, fix_rejection, bill_secondary, appeal_denial, timely_filing_risk or "
    "bill_rental."
)
DUE_COMMENT = (
    "submit_claim: drafted on; confirm_transmission: found unconfirmable on (UTC); "
    "fix_rejection: rejected on (UTC); bill_secondary: transferred on; appeal_denial: appeal "
    "deadline; timely_filing_risk: filing deadline; bill_rental: first day of the next rental "
    "month."
)
OLD_DUE_COMMENT = (
    "submit_claim: drafted on; fix_rejection: rejected on (UTC); bill_secondary: transferred "
    "on; appeal_denial: appeal deadline; timely_filing_risk: filing deadline; bill_rental: "
    "first day of the next rental month."
)
COMMENTS = (  # (table, column, type, comment after, comment before)
    ("claims", "status", sa.Text(), STATUS_COMMENT, OLD_STATUS_COMMENT),
    ("work_queue", "kind", sa.Text(), KIND_COMMENT, OLD_KIND_COMMENT),
    ("work_queue", "due_on", sa.Date(), DUE_COMMENT, OLD_DUE_COMMENT),
)


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column(
            "unconfirmed_interchange_control_number", sa.Text(), nullable=True,
            comment="ISA13 of an interchange the clearinghouse cannot say it received (a "
            "person must find out); null once settled."), schema="read")
        op.add_column(table, sa.Column(
            "transmission_unconfirmed_at", sa.DateTime(timezone=True), nullable=True,
            comment="When that interchange was found unconfirmable (UTC)."), schema="read")
    for table, column, type_, after, before in COMMENTS:
        op.alter_column(table, column, existing_type=type_, existing_nullable=False,
                        comment=after, existing_comment=before, schema="read")


def downgrade() -> None:
    for table, column, type_, after, before in COMMENTS:
        op.alter_column(table, column, existing_type=type_, existing_nullable=False,
                        comment=before, existing_comment=after, schema="read")
    for table in TABLES:
        op.drop_column(table, "transmission_unconfirmed_at", schema="read")
        op.drop_column(table, "unconfirmed_interchange_control_number", schema="read")
