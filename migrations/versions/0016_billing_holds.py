"""billing holds: the work queue's billing_held items

A billing month a drafting rule refused is a billing hold (domain/billing_hold.py), kept in the
Claims event store; the work queue shows it as a `billing_held` item naming the rule until the
month is drafted. The table is unchanged: only what its columns say they hold.

Revision ID: 0016_billing_holds
Revises: 0010_identity_security
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0016_billing_holds"
down_revision = "0010_identity_security"
branch_labels = None
depends_on = None

KIND_BEFORE = (
    "submit_claim, fix_rejection, bill_secondary, appeal_denial, timely_filing_risk "
    "or bill_rental."
)
KIND_AFTER = (
    "submit_claim, fix_rejection, bill_secondary, appeal_denial, timely_filing_risk, "
    "bill_rental or billing_held."
)
SUBJECT_BEFORE = "What to act on: the claim, or for bill_rental the order line."
SUBJECT_AFTER = (
    "What to act on: the claim, for bill_rental the order line, for billing_held "
    "the billing hold."
)


def _comment(column: str, text: str) -> None:
    op.execute(f"COMMENT ON COLUMN read.work_queue.{column} IS '{text}'")


def upgrade() -> None:
    _comment("kind", KIND_AFTER)
    _comment("subject_id", SUBJECT_AFTER)


def downgrade() -> None:
    _comment("kind", KIND_BEFORE)
    _comment("subject_id", SUBJECT_BEFORE)
