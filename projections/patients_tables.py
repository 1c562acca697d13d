"""Read-model tables of the `patients` projection (projections/patients.py): patients, coverages,
notes and their summaries. Same metadata and conventions as `projections.tables`, which imports
this module so that every table is in its metadata.
"""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB

from projections.tables import metadata

patients = Table(
    "patients",
    metadata,
    Column("patient_id", Uuid, nullable=False, comment="The patient (aggregate id)."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns the patient."),
    Column("account_number", Text, nullable=False, comment="Supplier account number (A + 8)."),
    Column("first_name", Text, nullable=False, comment="Given name (PHI)."),
    Column("last_name", Text, nullable=False, comment="Family name (PHI)."),
    Column(
        "date_of_birth",
        Date,
        nullable=False,
        comment="Date of birth (PHI); age is computed when read: age(current_date, date_of_birth).",
    ),
    Column("sex", Text, nullable=False, comment="female, male or unknown."),
    Column(
        "mbi",
        Text,
        nullable=True,
        comment="Medicare Beneficiary Identifier (PHI), bare "
        "upper case; null for patients without Medicare.",
    ),
    Column("address_line1", Text, nullable=False, comment="Street address, line 1 (PHI)."),
    Column("address_line2", Text, nullable=True, comment="Street address, line 2 (PHI)."),
    Column("city", Text, nullable=False, comment="City (PHI)."),
    Column("state", Text, nullable=False, comment="USPS state code."),
    Column("postal_code", Text, nullable=False, comment="ZIP or ZIP+4, bare digits (PHI)."),
    Column("phone", Text, nullable=True, comment="Phone number as given (PHI)."),
    Column("active", Boolean, nullable=False, comment="False once the patient is deactivated."),
    Column("deactivated_on", Date, nullable=True, comment="Business date of deactivation."),
    Column(
        "primary_coverage_id",
        Uuid,
        nullable=True,
        comment="Coverage summarised in "
        "primary_*: the best-ranked coverage without a recorded termination (newest "
        "effective_from first); null when there is none.",
    ),
    Column("primary_payer_id", Text, nullable=True, comment="Payer id of that coverage."),
    Column("primary_payer_name", Text, nullable=True, comment="Payer name of that coverage."),
    Column("primary_member_id", Text, nullable=True, comment="Member id of that coverage (PHI)."),
    Column("primary_coverage_rank", Text, nullable=True, comment="primary, secondary or tertiary."),
    Column(
        "coverage_count",
        Integer,
        nullable=False,
        comment="Coverages without a recorded termination (whatever their dates).",
    ),
    Column(
        "registered_at",
        DateTime(timezone=True),
        nullable=False,
        comment="When the registration was recorded (event timestamp, UTC).",
    ),
    Column(
        "updated_at",
        DateTime(timezone=True),
        nullable=False,
        comment="Timestamp of the patient's latest event (UTC).",
    ),
    Column(
        "version",
        BigInteger,
        nullable=False,
        comment="Aggregate version after its latest event (the API's ETag).",
    ),
    Column(
        "search_text",
        Text,
        nullable=False,
        comment="Lower case 'last first account mbi', for substring search (PHI).",
    ),
    Column(
        "search_trigrams",
        ARRAY(Text),
        nullable=False,
        comment="Trigrams of the words of "
        "search_text, pg_trgm style (projections.patients.trigrams), for fuzzy search.",
    ),
    PrimaryKeyConstraint("patient_id"),
    Index(None, "tenant_id", "last_name", "first_name", "patient_id"),
    Index(None, "tenant_id", "registered_at", "patient_id"),
    Index(None, "tenant_id", "date_of_birth"),
    Index(None, "search_trigrams", postgresql_using="gin"),
    comment="One row per patient: demographics, primary coverage summary, search keys.",
)

coverages = Table(
    "coverages",
    metadata,
    Column("coverage_id", Uuid, nullable=False, comment="The coverage."),
    Column("patient_id", Uuid, nullable=False, comment="The patient it covers."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns the patient."),
    Column("payer_id", Text, nullable=False, comment="Payer id, upper case (MCR... is Medicare)."),
    Column("payer_name", Text, nullable=False, comment="Payer name."),
    Column("member_id", Text, nullable=False, comment="Member (subscriber) id (PHI)."),
    Column("group_number", Text, nullable=True, comment="Group number, if any."),
    Column("rank", Text, nullable=False, comment="primary, secondary or tertiary."),
    Column(
        "relationship_to_subscriber", Text, nullable=False, comment="self, spouse, child or other."
    ),
    Column("effective_from", Date, nullable=False, comment="First covered day."),
    Column("effective_to", Date, nullable=True, comment="Last covered day; null: open-ended."),
    Column(
        "terminated_on",
        Date,
        nullable=True,
        comment="Last covered day set by a termination; null unless terminated.",
    ),
    Column(
        "status",
        Text,
        nullable=False,
        comment="open or terminated (a recorded "
        "termination); whether it covers a date also depends on the dates above.",
    ),
    Column(
        "added_at",
        DateTime(timezone=True),
        nullable=False,
        comment="When the coverage was recorded (event timestamp, UTC).",
    ),
    PrimaryKeyConstraint("coverage_id"),
    Index(None, "patient_id", "rank"),
    Index(None, "tenant_id", "payer_id"),
    comment="One row per coverage (insurance policy) of a patient.",
)

notes = Table(
    "notes",
    metadata,
    Column("note_id", Uuid, nullable=False, comment="The SOAP note."),
    Column("patient_id", Uuid, nullable=False, comment="The patient it is about."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns the patient."),
    Column("author_id", Text, nullable=False, comment="User id of the clinician who wrote it."),
    Column(
        "written_at", DateTime(timezone=True), nullable=False, comment="When it was written (UTC)."
    ),
    Column("subjective", Text, nullable=False, comment="S: what the patient reports (PHI)."),
    Column("objective", Text, nullable=False, comment="O: findings (PHI)."),
    Column("assessment", Text, nullable=False, comment="A: assessment (PHI)."),
    Column("plan", Text, nullable=False, comment="P: plan (PHI)."),
    Column("version", Integer, nullable=False, comment="1 + number of amendments."),
    Column(
        "amendments",
        JSONB,
        nullable=False,
        comment="Amendments, oldest first: objects "
        "with amendment_id, author_id, written_at (ISO 8601 UTC), text (PHI), reason.",
    ),
    Column(
        "recorded_at",
        DateTime(timezone=True),
        nullable=False,
        comment="When the note was recorded (event timestamp, UTC).",
    ),
    PrimaryKeyConstraint("note_id"),
    Index(None, "patient_id", "written_at", "note_id"),
    comment="Clinical SOAP notes with their amendments (clinical roles only: PHI).",
)

summaries = Table(
    "summaries",
    metadata,
    Column("summary_id", Uuid, nullable=False, comment="The summary."),
    Column("patient_id", Uuid, nullable=False, comment="The patient whose notes it summarises."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns the patient."),
    Column("text", Text, nullable=False, comment="The summary text (PHI)."),
    Column("provider", Text, nullable=False, comment="Who wrote it: local, ollama, openai..."),
    Column("model", Text, nullable=False, comment="Model name."),
    Column("prompt_template_version", Text, nullable=False, comment="Prompt template version."),
    Column(
        "notes_read",
        JSONB,
        nullable=False,
        comment="Notes read: objects with note_id and version.",
    ),
    Column("output_sha256", Text, nullable=False, comment="SHA-256 (hex) of the text."),
    Column("requested_by", Text, nullable=False, comment="User id that requested it."),
    Column(
        "generated_at",
        DateTime(timezone=True),
        nullable=False,
        comment="When it was generated (UTC).",
    ),
    Column("review_state", Text, nullable=False, comment="pending, approved or rejected."),
    Column("reviewer_id", Text, nullable=True, comment="User id of the reviewer."),
    Column(
        "reviewed_at", DateTime(timezone=True), nullable=True, comment="When it was reviewed (UTC)."
    ),
    Column("review_comment", Text, nullable=True, comment="Reviewer's comment (may be PHI)."),
    PrimaryKeyConstraint("summary_id"),
    Index(None, "patient_id", "generated_at", "summary_id"),
    comment="Generated summaries of a patient's notes, with provenance and review.",
)
