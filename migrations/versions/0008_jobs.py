"""jobs: side-effect job status and dead letters

Schema `ops` holds operational state of the workers: `ops.jobs` (one row per side-effect job:
claim submission, summary, remittance) and `ops.reaction_tracking` (how far each reaction has
turned events into Dramatiq messages). Unlike `read`, nothing here can be rebuilt from the event
log, so it is not a read model; aries_app reads, inserts and updates it (no DELETE: a job is
never silently dropped). The dead letters themselves are in Redis (Dramatiq's queues); a dead
job's row keeps what is needed to send it again once they have expired there.

Revision ID: 0008_jobs
Revises: 0007_audit
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008_jobs"
down_revision = "0007_audit"
branch_labels = None
depends_on = None

SCHEMA = "ops"


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA {SCHEMA}")
    op.execute(
        f"COMMENT ON SCHEMA {SCHEMA} IS 'Operational state of the workers (jobs, reaction "
        "positions); not rebuildable from the event store.'"
    )
    op.create_table(
        "jobs",
        sa.Column("job_id", sa.Uuid(), nullable=False,
                  comment="Known when the command is recorded."),
        sa.Column("kind", sa.Text(), nullable=False,
                  comment="claim_submission, summary or remittance."),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant the job works for."),
        sa.Column("subject_id", sa.Uuid(), nullable=True,
                  comment="Claim, patient or remittance it acts on."),
        sa.Column("requested_by", sa.Text(), nullable=True,
                  comment="User or process that asked."),
        sa.Column("status", sa.Text(), nullable=False,
                  comment="queued, running, succeeded, failed (an attempt failed) or dead."),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False,
                  comment="Attempts begun."),
        sa.Column("will_retry", sa.Boolean(), server_default=sa.text("false"), nullable=False,
                  comment="After a failed attempt: whether a retry is scheduled."),
        sa.Column("reason", sa.Text(), nullable=True,
                  comment="Why the last attempt failed: error type, rule, place; never values "
                  "(no PHI)."),
        sa.Column("result", postgresql.JSONB(), nullable=True,
                  comment="What the job did (ids and counts)."),
        sa.Column("actor_name", sa.Text(), nullable=True, comment="Dramatiq actor that runs it."),
        sa.Column("message", postgresql.JSONB(), nullable=True,
                  comment="Queue, actor and keyword arguments (ids only) to send it again."),
        sa.Column("message_id", sa.Text(), nullable=True,
                  comment="Dramatiq message id of the last send."),
        sa.Column("revision", sa.BigInteger(), server_default=sa.text("1"), nullable=False,
                  comment="Goes up on every change (the Server-Sent Events id)."),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False, comment="When the job was first recorded."),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False, comment="When its status last changed."),
        sa.PrimaryKeyConstraint("job_id", name="pk_jobs"),
        sa.CheckConstraint(
            "kind IN ('claim_submission', 'summary', 'remittance')", name="ck_jobs_kind"
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'dead')",
            name="ck_jobs_status",
        ),
        schema=SCHEMA,
        comment="Side-effect jobs run by the Dramatiq workers, and how far each got.",
    )
    op.create_index(
        "ix_jobs_tenant_id_created_at", "jobs", ["tenant_id", "created_at"], schema=SCHEMA
    )
    # `aries jobs dead` reads the dead ones, newest first; they are few.
    op.create_index(
        "ix_jobs_updated_at", "jobs", ["updated_at"], schema=SCHEMA,
        postgresql_where=sa.text("status = 'dead'"),
    )
    op.create_table(
        "reaction_tracking",
        sa.Column("reaction", sa.Text(), nullable=False,
                  comment="Reaction name, e.g. claim_submissions."),
        sa.Column("upstream", sa.Text(), nullable=False,
                  comment="Application whose event log it follows."),
        sa.Column("position", sa.BigInteger(), nullable=False,
                  comment="Last notification id whose messages have been sent."),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False, comment="When the position last moved."),
        sa.PrimaryKeyConstraint("reaction", "upstream", name="pk_reaction_tracking"),
        schema=SCHEMA,
        comment="How far each reaction has turned its upstream's events into Dramatiq messages.",
    )
    op.execute(f"GRANT USAGE ON SCHEMA {SCHEMA} TO aries_app")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA {SCHEMA} TO aries_app")


def downgrade() -> None:
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {SCHEMA} FROM aries_app")
    op.execute(f"REVOKE USAGE ON SCHEMA {SCHEMA} FROM aries_app")
    op.drop_table("reaction_tracking", schema=SCHEMA)
    op.drop_index("ix_jobs_updated_at", table_name="jobs", schema=SCHEMA)
    op.drop_index("ix_jobs_tenant_id_created_at", table_name="jobs", schema=SCHEMA)
    op.drop_table("jobs", schema=SCHEMA)
    op.execute(f"DROP SCHEMA {SCHEMA}")
