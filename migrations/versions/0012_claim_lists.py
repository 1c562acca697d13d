"""claim lists: two more kinds of job (claim batches, patient statements)

A batch submission (`claim_batch`) and a patient statement run (`patient_statements`) are
side-effect jobs like the others; the check on ops.jobs.kind is widened to name them.

(Chained after main's 0015_provider_ledger so that this branch has one head; the lead orders
the revisions at merge.)

Revision ID: 0012_claim_lists
Revises: 0011_transmissions
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0012_claim_lists"
down_revision = "0011_transmissions"
branch_labels = None
depends_on = None

SCHEMA = "ops"
BEFORE = ("claim_submission", "summary", "remittance")
AFTER = (*BEFORE, "claim_batch", "patient_statements")


def _kinds(kinds: tuple[str, ...]) -> None:
    op.drop_constraint("ck_jobs_kind", "jobs", schema=SCHEMA, type_="check")
    op.create_check_constraint("ck_jobs_kind", "jobs", f"kind IN {kinds!r}", schema=SCHEMA)


def upgrade() -> None:
    _kinds(AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM ops.jobs WHERE kind IN ('claim_batch', 'patient_statements')")
    _kinds(BEFORE)
