"""patient read models: patients (trigram search), coverages, notes, summaries

Fuzzy search uses trigram arrays the projection computes (`projections.patients.trigrams`) under
a plain GIN index, not the pg_trgm extension: the embedded PostgreSQL of `aries dev` and of the
tests (pgserver) ships no contrib extensions, and a migration must take every database we run
on to the same schema. Notes and summaries hold clinical text: analysts get no SELECT on them
(the default privileges of schema `read` would give it).

Revision ID: 0004_patient_read_models
Revises: 0003_read_models
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_patient_read_models"
down_revision = "0003_read_models"
branch_labels = None
depends_on = None

SCHEMA = "read"
TABLES = ("patients", "coverages", "notes", "summaries")
CLINICAL_TABLES = ("notes", "summaries")


def _utc(name: str, nullable: bool, comment: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, comment=comment)


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("patient_id", sa.Uuid(), nullable=False, comment="The patient (aggregate id)."),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the patient."),
        sa.Column(
            "account_number", sa.Text(), nullable=False, comment="Supplier account number (A + 8)."
        ),
        sa.Column("first_name", sa.Text(), nullable=False, comment="Given name (PHI)."),
        sa.Column("last_name", sa.Text(), nullable=False, comment="Family name (PHI)."),
        sa.Column(
            "date_of_birth",
            sa.Date(),
            nullable=False,
            comment="Date of birth (PHI); age is computed when read: "
            "age(current_date, date_of_birth).",
        ),
        sa.Column("sex", sa.Text(), nullable=False, comment="female, male or unknown."),
        sa.Column(
            "mbi",
            sa.Text(),
            nullable=True,
            comment="Medicare Beneficiary Identifier (PHI), bare upper case; null for patients "
            "without Medicare.",
        ),
        sa.Column(
            "address_line1", sa.Text(), nullable=False, comment="Street address, line 1 (PHI)."
        ),
        sa.Column(
            "address_line2", sa.Text(), nullable=True, comment="Street address, line 2 (PHI)."
        ),
        sa.Column("city", sa.Text(), nullable=False, comment="City (PHI)."),
        sa.Column("state", sa.Text(), nullable=False, comment="USPS state code."),
        sa.Column(
            "postal_code", sa.Text(), nullable=False, comment="ZIP or ZIP+4, bare digits (PHI)."
        ),
        sa.Column("phone", sa.Text(), nullable=True, comment="Phone number as given (PHI)."),
        sa.Column(
            "active", sa.Boolean(), nullable=False, comment="False once the patient is deactivated."
        ),
        sa.Column(
            "deactivated_on", sa.Date(), nullable=True, comment="Business date of deactivation."
        ),
        sa.Column(
            "primary_coverage_id",
            sa.Uuid(),
            nullable=True,
            comment="Coverage summarised in primary_*: the best-ranked coverage without a "
            "recorded termination (newest effective_from first); null when there is none.",
        ),
        sa.Column(
            "primary_payer_id", sa.Text(), nullable=True, comment="Payer id of that coverage."
        ),
        sa.Column(
            "primary_payer_name", sa.Text(), nullable=True, comment="Payer name of that coverage."
        ),
        sa.Column(
            "primary_member_id",
            sa.Text(),
            nullable=True,
            comment="Member id of that coverage (PHI).",
        ),
        sa.Column(
            "primary_coverage_rank",
            sa.Text(),
            nullable=True,
            comment="primary, secondary or tertiary.",
        ),
        sa.Column(
            "coverage_count",
            sa.Integer(),
            nullable=False,
            comment="Coverages without a recorded termination (whatever their dates).",
        ),
        _utc(
            "registered_at", False, "When the registration was recorded (event timestamp, UTC)."
        ),
        _utc("updated_at", False, "Timestamp of the patient's latest event (UTC)."),
        sa.Column(
            "version",
            sa.BigInteger(),
            nullable=False,
            comment="Aggregate version after its latest event (the API's ETag).",
        ),
        sa.Column(
            "search_text",
            sa.Text(),
            nullable=False,
            comment="Lower case 'last first account mbi', for substring search (PHI).",
        ),
        sa.Column(
            "search_trigrams",
            postgresql.ARRAY(sa.Text()),
            nullable=False,
            comment="Trigrams of the words of search_text, pg_trgm style "
            "(projections.patients.trigrams), for fuzzy search.",
        ),
        sa.PrimaryKeyConstraint("patient_id", name="pk_patients"),
        schema=SCHEMA,
        comment="One row per patient: demographics, primary coverage summary, search keys.",
    )
    op.create_index(
        "ix_patients_tenant_id_last_name_first_name_patient_id",
        "patients",
        ["tenant_id", "last_name", "first_name", "patient_id"],
        schema=SCHEMA,
    )
    op.create_index(
        "ix_patients_tenant_id_registered_at_patient_id",
        "patients",
        ["tenant_id", "registered_at", "patient_id"],
        schema=SCHEMA,
    )
    op.create_index(
        "ix_patients_tenant_id_date_of_birth",
        "patients",
        ["tenant_id", "date_of_birth"],
        schema=SCHEMA,
    )
    op.create_index(
        "ix_patients_search_trigrams",
        "patients",
        ["search_trigrams"],
        schema=SCHEMA,
        postgresql_using="gin",
    )

    op.create_table(
        "coverages",
        sa.Column("coverage_id", sa.Uuid(), nullable=False, comment="The coverage."),
        sa.Column("patient_id", sa.Uuid(), nullable=False, comment="The patient it covers."),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the patient."),
        sa.Column(
            "payer_id",
            sa.Text(),
            nullable=False,
            comment="Payer id, upper case (MCR... is Medicare).",
        ),
        sa.Column("payer_name", sa.Text(), nullable=False, comment="Payer name."),
        sa.Column(
            "member_id", sa.Text(), nullable=False, comment="Member (subscriber) id (PHI)."
        ),
        sa.Column("group_number", sa.Text(), nullable=True, comment="Group number, if any."),
        sa.Column("rank", sa.Text(), nullable=False, comment="primary, secondary or tertiary."),
        sa.Column(
            "relationship_to_subscriber",
            sa.Text(),
            nullable=False,
            comment="self, spouse, child or other.",
        ),
        sa.Column("effective_from", sa.Date(), nullable=False, comment="First covered day."),
        sa.Column(
            "effective_to", sa.Date(), nullable=True, comment="Last covered day; null: open-ended."
        ),
        sa.Column(
            "terminated_on",
            sa.Date(),
            nullable=True,
            comment="Last covered day set by a termination; null unless terminated.",
        ),
        sa.Column(
            "status",
            sa.Text(),
            nullable=False,
            comment="open or terminated (a recorded termination); whether it covers a date "
            "also depends on the dates above.",
        ),
        _utc("added_at", False, "When the coverage was recorded (event timestamp, UTC)."),
        sa.PrimaryKeyConstraint("coverage_id", name="pk_coverages"),
        schema=SCHEMA,
        comment="One row per coverage (insurance policy) of a patient.",
    )
    op.create_index(
        "ix_coverages_patient_id_rank", "coverages", ["patient_id", "rank"], schema=SCHEMA
    )
    op.create_index(
        "ix_coverages_tenant_id_payer_id", "coverages", ["tenant_id", "payer_id"], schema=SCHEMA
    )

    op.create_table(
        "notes",
        sa.Column("note_id", sa.Uuid(), nullable=False, comment="The SOAP note."),
        sa.Column("patient_id", sa.Uuid(), nullable=False, comment="The patient it is about."),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the patient."),
        sa.Column(
            "author_id",
            sa.Text(),
            nullable=False,
            comment="User id of the clinician who wrote it.",
        ),
        _utc("written_at", False, "When it was written (UTC)."),
        sa.Column(
            "subjective", sa.Text(), nullable=False, comment="S: what the patient reports (PHI)."
        ),
        sa.Column("objective", sa.Text(), nullable=False, comment="O: findings (PHI)."),
        sa.Column("assessment", sa.Text(), nullable=False, comment="A: assessment (PHI)."),
        sa.Column("plan", sa.Text(), nullable=False, comment="P: plan (PHI)."),
        sa.Column("version", sa.Integer(), nullable=False, comment="1 + number of amendments."),
        sa.Column(
            "amendments",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="Amendments, oldest first: objects with amendment_id, author_id, "
            "written_at (ISO 8601 UTC), text (PHI), reason.",
        ),
        _utc("recorded_at", False, "When the note was recorded (event timestamp, UTC)."),
        sa.PrimaryKeyConstraint("note_id", name="pk_notes"),
        schema=SCHEMA,
        comment="Clinical SOAP notes with their amendments (clinical roles only: PHI).",
    )
    op.create_index(
        "ix_notes_patient_id_written_at_note_id",
        "notes",
        ["patient_id", "written_at", "note_id"],
        schema=SCHEMA,
    )

    op.create_table(
        "summaries",
        sa.Column("summary_id", sa.Uuid(), nullable=False, comment="The summary."),
        sa.Column(
            "patient_id",
            sa.Uuid(),
            nullable=False,
            comment="The patient whose notes it summarises.",
        ),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the patient."),
        sa.Column("text", sa.Text(), nullable=False, comment="The summary text (PHI)."),
        sa.Column(
            "provider",
            sa.Text(),
            nullable=False,
            comment="Who wrote it: local, ollama, openai...",
        ),
        sa.Column("model", sa.Text(), nullable=False, comment="Model name."),
        sa.Column(
            "prompt_template_version",
            sa.Text(),
            nullable=False,
            comment="Prompt template version.",
        ),
        sa.Column(
            "notes_read",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="Notes read: objects with note_id and version.",
        ),
        sa.Column(
            "output_sha256", sa.Text(), nullable=False, comment="SHA-256 (hex) of the text."
        ),
        sa.Column(
            "requested_by", sa.Text(), nullable=False, comment="User id that requested it."
        ),
        _utc("generated_at", False, "When it was generated (UTC)."),
        sa.Column(
            "review_state",
            sa.Text(),
            nullable=False,
            comment="pending, approved or rejected.",
        ),
        sa.Column("reviewer_id", sa.Text(), nullable=True, comment="User id of the reviewer."),
        _utc("reviewed_at", True, "When it was reviewed (UTC)."),
        sa.Column(
            "review_comment",
            sa.Text(),
            nullable=True,
            comment="Reviewer's comment (may be PHI).",
        ),
        sa.PrimaryKeyConstraint("summary_id", name="pk_summaries"),
        schema=SCHEMA,
        comment="Generated summaries of a patient's notes, with provenance and review.",
    )
    op.create_index(
        "ix_summaries_patient_id_generated_at_summary_id",
        "summaries",
        ["patient_id", "generated_at", "summary_id"],
        schema=SCHEMA,
    )

    # Say the grants even though schema read's default privileges give them, so they hold
    # whoever runs the migration; a rebuild copies them onto the swapped-in tables.
    tables = ", ".join(f"{SCHEMA}.{t}" for t in TABLES)
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO aries_app")
    op.execute(f"GRANT SELECT ON {tables} TO aries_analyst")
    clinical = ", ".join(f"{SCHEMA}.{t}" for t in CLINICAL_TABLES)
    op.execute(f"REVOKE ALL ON {clinical} FROM aries_analyst")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table, schema=SCHEMA)
