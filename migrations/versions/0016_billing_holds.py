"""billing holds and billing-run jobs

A billing month a drafting rule refused is a billing hold (domain/billing_hold.py), kept in the
Claims event store; the work queue shows it as a `billing_held` item naming the rule until the
month is drafted (read.work_queue is unchanged but for what its columns say they hold). A
billing run over HTTP is a job of kind `billing_run` (ops.jobs), carried out by a worker. A
claim's timely filing deadline counts the payer's own months or days.

Revision ID: 0016_billing_holds
Revises: 0014_safe_harbor_views
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0016_billing_holds"
down_revision = "0014_safe_harbor_views"  # re-chained after merging main (was 0010)
branch_labels = None
depends_on = None

KIND_BEFORE = (
    "submit_claim, confirm_transmission, fix_rejection, bill_secondary, appeal_denial, "
    "timely_filing_risk or bill_rental."
)
KIND_AFTER = (
    "submit_claim, confirm_transmission, fix_rejection, bill_secondary, appeal_denial, "
    "timely_filing_risk, bill_rental or billing_held."
)
SUBJECT_BEFORE = "What to act on: the claim, or for bill_rental the order line."
SUBJECT_AFTER = (
    "What to act on: the claim, for bill_rental the order line, for billing_held "
    "the billing hold."
)


JOB_KINDS_BEFORE = (
    "claim_submission", "summary", "remittance", "claim_batch", "patient_statements"
)
JOB_KINDS_AFTER = (*JOB_KINDS_BEFORE, "billing_run")


def _comment(column: str, text: str) -> None:
    op.execute(f"COMMENT ON COLUMN read.work_queue.{column} IS '{text}'")


def _job_kinds(kinds: tuple[str, ...]) -> None:
    # 0008 named it under the naming convention, which prefixed the given name again.
    op.execute("ALTER TABLE ops.jobs DROP CONSTRAINT ck_jobs_ck_jobs_kind")
    op.execute(f"ALTER TABLE ops.jobs ADD CONSTRAINT ck_jobs_ck_jobs_kind CHECK (kind IN {kinds!r})")
    listed = ", ".join(kinds[:-1]) + f" or {kinds[-1]}."
    op.execute(f"COMMENT ON COLUMN ops.jobs.kind IS '{listed}'")


DEADLINE_BEFORE = (
    "Last day to file: service_from plus the billed payer''s timely filing months "
    "(reference/payers.csv)."
)
DEADLINE_AFTER = (
    "Last day to file: service_from plus the billed payer''s timely filing limit, in "
    "months or days (reference/payers.csv)."
)


def _deadline(text: str) -> None:
    op.execute(f"COMMENT ON COLUMN read.claims.timely_filing_deadline IS '{text}'")


def upgrade() -> None:
    _deadline(DEADLINE_AFTER)
    _comment("kind", KIND_AFTER)
    _comment("subject_id", SUBJECT_AFTER)
    _job_kinds(JOB_KINDS_AFTER)


def downgrade() -> None:
    _deadline(DEADLINE_BEFORE)
    _comment("kind", KIND_BEFORE)
    _comment("subject_id", SUBJECT_BEFORE)
    _job_kinds(JOB_KINDS_BEFORE)
