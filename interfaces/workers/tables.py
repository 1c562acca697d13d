"""The workers' own tables, in schema `ops` (operational state, not read models: never rebuilt,
never written by projectors). `migrations/versions/0008_jobs.py` creates them; keep the two in
step (tests/integration/test_workers.py compares them).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

SCHEMA = "ops"

JOB_KINDS = (
    "claim_submission", "summary", "remittance", "claim_batch", "patient_statements",
    "billing_run", "report",
)
JOB_STATUSES = ("queued", "running", "succeeded", "failed", "dead")

metadata = MetaData(
    schema=SCHEMA,
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
    },
)

jobs = Table(
    "jobs",
    metadata,
    Column("job_id", Uuid, nullable=False, comment="Known when the command is recorded."),
    Column(
        "kind", Text, nullable=False,
        comment="claim_submission, summary, remittance, claim_batch, patient_statements, "
        "billing_run or report.",
    ),
    Column("tenant_id", Text, nullable=False, comment="Tenant the job works for."),
    Column(
        "subject_id", Uuid, nullable=True, comment="Claim, patient or remittance it acts on."
    ),
    Column("requested_by", Text, nullable=True, comment="User or process that asked."),
    Column(
        "status",
        Text,
        nullable=False,
        comment="queued, running, succeeded, failed (an attempt failed) or dead.",
    ),
    Column(
        "attempts", Integer, nullable=False, server_default=text("0"), comment="Attempts begun."
    ),
    Column(
        "will_retry",
        Boolean,
        nullable=False,
        server_default=text("false"),
        comment="After a failed attempt: whether a retry is scheduled.",
    ),
    Column(
        "reason",
        Text,
        nullable=True,
        comment="Why the last attempt failed: error type, rule, place; never values (no PHI).",
    ),
    Column("result", JSONB, nullable=True, comment="What the job did (ids and counts)."),
    Column("actor_name", Text, nullable=True, comment="Dramatiq actor that runs it."),
    Column(
        "message",
        JSONB,
        nullable=True,
        comment="Queue, actor and keyword arguments (ids only) to send it again.",
    ),
    Column("message_id", Text, nullable=True, comment="Dramatiq message id of the last send."),
    Column(
        "revision",
        BigInteger,
        nullable=False,
        server_default=text("1"),
        comment="Goes up on every change (the Server-Sent Events id).",
    ),
    Column(
        "created_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=func.now(),
        comment="When the job was first recorded.",
    ),
    Column(
        "updated_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=func.now(),
        comment="When its status last changed.",
    ),
    PrimaryKeyConstraint("job_id"),
    CheckConstraint(f"kind IN {JOB_KINDS!r}", name="kind"),
    CheckConstraint(f"status IN {JOB_STATUSES!r}", name="status"),
    Index(None, "tenant_id", "created_at"),
    Index(None, "updated_at", postgresql_where=text("status = 'dead'")),
    comment="Side-effect jobs run by the Dramatiq workers, and how far each got.",
)

report_files = Table(
    "report_files",
    metadata,
    Column("job_id", Uuid, nullable=False, comment="The report job that made it."),
    Column("tenant_id", Text, nullable=False, comment="Tenant whose figures it holds."),
    Column("kind", Text, nullable=False, comment="ar_aging, denials, cash_posting, dso, "
           "rental_census or timely_filing."),
    Column("format", Text, nullable=False, comment="csv, xlsx or pdf."),
    Column("filename", Text, nullable=False, comment="Name offered for the download."),
    Column("media_type", Text, nullable=False, comment="Content-Type of the download."),
    Column("content", LargeBinary, nullable=False, comment="The file (figures by payer, code "
           "or claim id; no patient names)."),
    Column("size", Integer, nullable=False, comment="Bytes in content."),
    Column(
        "created_at", DateTime(timezone=True), nullable=False, server_default=func.now(),
        comment="When it was made.",
    ),
    Column(
        "expires_at", DateTime(timezone=True), nullable=False,
        comment="When it is deleted (ARIES_REPORT_RETENTION_HOURS after it was made).",
    ),
    PrimaryKeyConstraint("job_id"),
    Index(None, "expires_at"),
    comment="Generated report files, kept until they expire (the worker deletes them then).",
)

reaction_tracking = Table(
    "reaction_tracking",
    metadata,
    Column("reaction", Text, nullable=False, comment="Reaction name, e.g. claim_submissions."),
    Column("upstream", Text, nullable=False, comment="Application whose event log it follows."),
    Column(
        "position",
        BigInteger,
        nullable=False,
        comment="Last notification id whose messages have been sent.",
    ),
    Column(
        "updated_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=func.now(),
        comment="When the position last moved.",
    ),
    PrimaryKeyConstraint("reaction", "upstream"),
    comment="How far each reaction has turned its upstream's events into Dramatiq messages.",
)
