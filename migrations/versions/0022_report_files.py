"""report files: generated reports kept until they expire

`ops.report_files` holds each generated report file (CSV, Excel or PDF) for
ARIES_REPORT_RETENTION_HOURS; the worker deletes expired ones, so aries_app may DELETE here
(not in ops.jobs). A report is a job of kind `report`. Files are in the database rather than on
a disk because the API that serves them and the worker that makes them are separate processes
(separate containers in docker-compose.yml) that share PostgreSQL and nothing else.

Revision ID: 0022_report_files
Revises: 0016_billing_holds
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_report_files"
down_revision = "0016_billing_holds"
branch_labels = None
depends_on = None

SCHEMA = "ops"
JOB_KINDS_BEFORE = (
    "claim_submission", "summary", "remittance", "claim_batch", "patient_statements",
    "billing_run",
)
JOB_KINDS_AFTER = (*JOB_KINDS_BEFORE, "report")


def _job_kinds(kinds: tuple[str, ...]) -> None:
    # 0008 named it under the naming convention, which prefixed the given name again.
    op.execute("ALTER TABLE ops.jobs DROP CONSTRAINT ck_jobs_ck_jobs_kind")
    op.execute(f"ALTER TABLE ops.jobs ADD CONSTRAINT ck_jobs_ck_jobs_kind CHECK (kind IN {kinds!r})")
    listed = ", ".join(kinds[:-1]) + f" or {kinds[-1]}."
    op.execute(f"COMMENT ON COLUMN ops.jobs.kind IS '{listed}'")


def upgrade() -> None:
    _job_kinds(JOB_KINDS_AFTER)
    op.create_table(
        "report_files",
        sa.Column("job_id", sa.Uuid(), nullable=False, comment="The report job that made it."),
        sa.Column("tenant_id", sa.Text(), nullable=False,
                  comment="Tenant whose figures it holds."),
        sa.Column("kind", sa.Text(), nullable=False,
                  comment="ar_aging, denials, cash_posting, dso, rental_census or "
                  "timely_filing."),
        sa.Column("format", sa.Text(), nullable=False, comment="csv, xlsx or pdf."),
        sa.Column("filename", sa.Text(), nullable=False, comment="Name offered for the download."),
        sa.Column("media_type", sa.Text(), nullable=False,
                  comment="Content-Type of the download."),
        sa.Column("content", sa.LargeBinary(), nullable=False,
                  comment="The file (figures by payer, code or claim id; no patient names)."),
        sa.Column("size", sa.Integer(), nullable=False, comment="Bytes in content."),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False, comment="When it was made."),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False,
                  comment="When it is deleted (ARIES_REPORT_RETENTION_HOURS after it was made)."),
        sa.PrimaryKeyConstraint("job_id", name="pk_report_files"),
        schema=SCHEMA,
        comment="Generated report files, kept until they expire (the worker deletes them then).",
    )
    op.create_index("ix_report_files_expires_at", "report_files", ["expires_at"], schema=SCHEMA)
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {SCHEMA}.report_files TO aries_app")


def downgrade() -> None:
    op.drop_index("ix_report_files_expires_at", table_name="report_files", schema=SCHEMA)
    op.drop_table("report_files", schema=SCHEMA)
    _job_kinds(JOB_KINDS_BEFORE)
