"""Read-model tables: every table a projection writes, in schema `read`.

Alembic owns the DDL (`migrations/versions/*`): a table defined here exists only once a migration
creates it, and `tests/integration/test_projection_framework.py` checks that the migrations and
these definitions agree. The definitions are also what `projections.rebuild` uses to create the
fresh copies it rebuilds into, so keep them exact (types, nullability, indexes, comments).

Conventions: every table and column has a `comment=` (analysts read them with `\\d+`); names of
indexes and constraints come from the naming convention below; no foreign keys between the tables
of different projections (each one is rebuilt and swapped on its own).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    func,
)

SCHEMA = "read"

metadata = MetaData(
    schema=SCHEMA,
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    },
)

# --- Framework ------------------------------------------------------------------------------

projection_tracking = Table(
    "projection_tracking",
    metadata,
    Column("projection", Text, nullable=False, comment="Projection name, e.g. event_index."),
    Column(
        "upstream",
        Text,
        nullable=False,
        comment="Upstream application followed, e.g. patients (its table is <upstream>_events).",
    ),
    Column(
        "position",
        BigInteger,
        nullable=False,
        comment="Last notification id of the upstream applied to this projection's tables.",
    ),
    Column(
        "updated_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=func.now(),
        comment="When the position last moved (commit time of the batch).",
    ),
    PrimaryKeyConstraint("projection", "upstream"),
    comment=(
        "How far each projection has read each upstream event log; written in the same "
        "transaction as the projection's rows (exactly once)."
    ),
)

# --- event_index (projections/event_index.py) -----------------------------------------------

event_index = Table(
    "event_index",
    metadata,
    Column("upstream", Text, nullable=False, comment="Application that recorded the event."),
    Column(
        "position",
        BigInteger,
        nullable=False,
        comment="Notification id of the event in its upstream's log.",
    ),
    Column("originator_id", Uuid, nullable=False, comment="Aggregate the event belongs to."),
    Column(
        "originator_version",
        BigInteger,
        nullable=False,
        comment="Version of the aggregate the event created.",
    ),
    Column("topic", Text, nullable=False, comment="Stable topic of the event class."),
    Column(
        "event_type",
        Text,
        nullable=False,
        comment="Last part of the topic, e.g. Registered.",
    ),
    Column(
        "recorded_at",
        DateTime(timezone=True),
        nullable=False,
        comment="The event's timestamp (when it was recorded, UTC).",
    ),
    Column("tenant_id", Text, nullable=True, comment="Tenant that owns the aggregate."),
    Column("actor_id", Text, nullable=True, comment="User or API key that acted."),
    Column("actor_role", Text, nullable=True, comment="Role the actor acted in."),
    Column(
        "correlation_id",
        Text,
        nullable=True,
        comment="Request or job the event came from.",
    ),
    Column(
        "causation_id",
        Text,
        nullable=True,
        comment="Command or event that caused this event.",
    ),
    PrimaryKeyConstraint("upstream", "position"),
    Index(None, "upstream", "originator_id", "recorded_at"),
    Index(None, "tenant_id", "position"),
    comment=(
        "One row per stored event, without its payload: the audit feed, and time travel "
        "(which version of an aggregate existed at a recorded time)."
    ),
)

# --- orders (projections/orders.py) ---------------------------------------------------------

from sqlalchemy import ARRAY, Boolean, Date, Integer, Numeric  # noqa: E402  (section-local)

orders = Table(
    "orders",
    metadata,
    Column("order_id", Uuid, nullable=False, comment="The order (aggregate id)."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns the order."),
    Column("patient_id", Uuid, nullable=False, comment="The patient the order is for."),
    Column(
        "location_id",
        Uuid,
        nullable=True,
        comment="The branch the order is billed from "
        "(read.locations); null: placed before locations existed (bills as the tenant's "
        "first location).",
    ),
    Column(
        "status",
        Text,
        nullable=False,
        comment=(
            "intake, on_hold, delivered, picked_up or cancelled (on_hold while held before "
            "delivery or during the rental, as Order.status)."
        ),
    ),
    Column("on_hold", Boolean, nullable=False, comment="Whether a hold is in force."),
    Column("hold_reason", Text, nullable=True, comment="Why it is on hold (null when not)."),
    Column("held_on", Date, nullable=True, comment="Date the hold in force began."),
    Column("order_date", Date, nullable=False, comment="Date of the order (intake)."),
    Column("practitioner_npi", Text, nullable=False, comment="Ordering practitioner's NPI."),
    Column("practitioner_name", Text, nullable=False, comment="Ordering practitioner's name."),
    Column(
        "diagnoses",
        ARRAY(Text),
        nullable=False,
        comment="ICD-10-CM codes, in the order given (claim diagnosis pointers follow it).",
    ),
    Column("line_count", Integer, nullable=False, comment="Number of lines on the order."),
    Column("coverage_id", Uuid, nullable=True, comment="Coverage of the latest verification."),
    Column("payer_id", Text, nullable=True, comment="Payer of the latest verification."),
    Column("coverage_verified_on", Date, nullable=True, comment="Date of the latest verification."),
    Column(
        "coverage_eligible",
        Boolean,
        nullable=True,
        comment="Latest eligibility answer (270/271); null until verified.",
    ),
    Column(
        "same_or_similar_found",
        Boolean,
        nullable=True,
        comment="Latest same-or-similar check found equipment (blocks delivery); null until.",
    ),
    Column("swo_signed_on", Date, nullable=True, comment="Standard Written Order signed on."),
    Column(
        "wopd_required",
        Boolean,
        nullable=False,
        comment="A line's item is on the CMS required list (WOPD and face-to-face needed).",
    ),
    Column(
        "wopd_signed_on", Date, nullable=True, comment="Written Order Prior to Delivery signed."
    ),
    Column("face_to_face_on", Date, nullable=True, comment="Face-to-face encounter date."),
    Column("abn_signed_on", Date, nullable=True, comment="Advance Beneficiary Notice signed."),
    Column(
        "documentation_complete",
        Boolean,
        nullable=False,
        comment=(
            "SWO on file and, where wopd_required, WOPD and face-to-face on file (their dates "
            "against delivery are checked at delivery)."
        ),
    ),
    Column(
        "prior_authorization",
        Text,
        nullable=False,
        comment=(
            "Over the lines that need prior authorization: not_required (none do), pending "
            "(one has no decision), non_affirmed (one's latest decision), else affirmed."
        ),
    ),
    Column(
        "prior_authorization_valid_until",
        Date,
        nullable=True,
        comment="When affirmed: the earliest UTN expiry among those lines.",
    ),
    Column("delivered_on", Date, nullable=True, comment="Delivery date (date of service)."),
    Column(
        "pod_signer_relationship",
        Text,
        nullable=True,
        comment="Who signed the proof of delivery: patient or designee.",
    ),
    Column("picked_up_on", Date, nullable=True, comment="Date the equipment came back."),
    Column("pickup_reason", Text, nullable=True, comment="Why it was picked up."),
    Column(
        "redelivered_on",
        Date,
        nullable=True,
        comment="Latest date the equipment came back into the home after a pickup.",
    ),
    Column(
        "inpatient_since",
        Date,
        nullable=True,
        comment="Admission date of the patient's open hospital or SNF stay: no rental month "
        "is billed until the discharge.",
    ),
    Column("cancelled_on", Date, nullable=True, comment="Date of cancellation."),
    Column("cancellation_reason", Text, nullable=True, comment="Why it was cancelled."),
    Column(
        "placed_at",
        DateTime(timezone=True),
        nullable=False,
        comment="Timestamp of the Placed event (UTC).",
    ),
    Column(
        "updated_at",
        DateTime(timezone=True),
        nullable=False,
        comment="Timestamp of the order's latest event (UTC).",
    ),
    Column(
        "version",
        BigInteger,
        nullable=False,
        comment="Aggregate version after its latest event (the ETag; If-Match compares it).",
    ),
    PrimaryKeyConstraint("order_id"),
    Index(None, "tenant_id", "order_date", "order_id"),
    Index(None, "tenant_id", "status", "order_date", "order_id"),
    Index(None, "tenant_id", "patient_id", "order_date", "order_id"),
    comment="One row per equipment order: status, documentation, authorization, delivery.",
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", Uuid, nullable=False, comment="The order the line is on."),
    Column("line_id", Uuid, nullable=False, comment="The line (given at intake)."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns the order."),
    Column("line_number", Integer, nullable=False, comment="1-based place on the order."),
    Column("hcpcs", Text, nullable=False, comment="HCPCS Level II code of the item."),
    Column("description", Text, nullable=False, comment="Catalogue description of the item."),
    Column("quantity", Integer, nullable=False, comment="Units ordered."),
    Column("billing", Text, nullable=False, comment="rental, purchase_new or purchase_used."),
    Column(
        "oxygen_flow_lpm",
        Numeric,
        nullable=True,
        comment="Prescribed oxygen flow, litres per minute (oxygen lines only).",
    ),
    Column(
        "prior_auth_required",
        Boolean,
        nullable=False,
        comment="The item needs prior authorization (catalogue).",
    ),
    Column(
        "prior_auth_status",
        Text,
        nullable=True,
        comment="Latest decision: affirmed or non_affirmed; null when none.",
    ),
    Column("prior_auth_decided_on", Date, nullable=True, comment="Date of the latest decision."),
    Column("utn", Text, nullable=True, comment="Unique tracking number when affirmed."),
    Column("utn_valid_until", Date, nullable=True, comment="Last day the UTN is valid."),
    Column("prior_auth_reason", Text, nullable=True, comment="Why it was not affirmed, if so."),
    Column(
        "serial_numbers",
        ARRAY(Text),
        nullable=False,
        comment="Serial numbers delivered on the line (serialized items; empty otherwise).",
    ),
    Column(
        "rental_months_opened",
        Integer,
        nullable=False,
        comment="Rental months opened (billed) so far; 0 for purchases.",
    ),
    Column(
        "oxygen_group",
        Integer,
        nullable=True,
        comment="Oxygen lines: the LCD L33797 coverage group (1, 2 or 3) Medicare rentals "
        "carry as N1/N2/N3; null when not recorded or not oxygen.",
    ),
    Column(
        "rental_period",
        Integer,
        nullable=True,
        comment="Rental period of the latest month opened: 1, then 2 after a break in service "
        "of more than 60 days, and so on.",
    ),
    Column(
        "last_rental_month_from",
        Date,
        nullable=True,
        comment="First day of the latest rental month opened.",
    ),
    Column(
        "last_rental_month_to",
        Date,
        nullable=True,
        comment="Last day of the latest rental month opened.",
    ),
    Column(
        "adherence_met",
        Boolean,
        nullable=True,
        comment="PAP adherence verdict of the latest evaluation (KX); null when none.",
    ),
    Column(
        "adherence_evaluated_on",
        Date,
        nullable=True,
        comment="Date of the latest adherence evaluation.",
    ),
    PrimaryKeyConstraint("order_id", "line_id"),
    comment="One row per order line: item, prior authorization, serials, rental months.",
)

# --- patients (projections/patients.py) -----------------------------------------------------

from sqlalchemy import ARRAY as _ARRAY  # noqa: E402  (section-local)
from sqlalchemy import Boolean as _Boolean  # noqa: E402
from sqlalchemy import Date as _Date  # noqa: E402
from sqlalchemy import Integer as _Integer  # noqa: E402
from sqlalchemy.dialects.postgresql import JSONB as _JSONB  # noqa: E402

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
        _Date,
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
    Column("active", _Boolean, nullable=False, comment="False once the patient is deactivated."),
    Column("deactivated_on", _Date, nullable=True, comment="Business date of deactivation."),
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
        _Integer,
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
        _ARRAY(Text),
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
    Column("effective_from", _Date, nullable=False, comment="First covered day."),
    Column("effective_to", _Date, nullable=True, comment="Last covered day; null: open-ended."),
    Column(
        "terminated_on",
        _Date,
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
    Column("version", _Integer, nullable=False, comment="1 + number of amendments."),
    Column(
        "amendments",
        _JSONB,
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
        _JSONB,
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

# --- claims (projections/claims.py) ---------------------------------------------------------

from sqlalchemy import ARRAY as _ARRAY  # noqa: E402  (section-local)
from sqlalchemy import Boolean as _Boolean  # noqa: E402
from sqlalchemy import Date as _Date  # noqa: E402
from sqlalchemy import Integer as _Integer  # noqa: E402
from sqlalchemy import Numeric as _Numeric  # noqa: E402

_MONEY = _Numeric(12, 2)
_TS = DateTime(timezone=True)

claims = Table(
    "claims",
    metadata,
    Column("claim_id", Uuid, nullable=False, comment="The claim (aggregate id)."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns the claim."),
    Column("order_id", Uuid, nullable=False, comment="The order the claim bills."),
    Column("patient_id", Uuid, nullable=False, comment="The patient (id only)."),
    Column(
        "patient_control_number",
        Text,
        nullable=False,
        comment="CLM01: the first 20 hex digits of the claim id, upper case.",
    ),
    Column("billing_month", Text, nullable=False, comment="Billing month, YYYY-MM."),
    Column(
        "frequency_code",
        Text,
        nullable=False,
        comment="CLM05-3: 1 original, 7 replacement, 8 void.",
    ),
    Column(
        "replaces_claim_id",
        Uuid,
        nullable=True,
        comment="For a replacement (frequency 7) claim: the claim it replaces.",
    ),
    Column("payer_id", Text, nullable=False, comment="Original (primary) payer id."),
    Column(
        "billed_payer_id",
        Text,
        nullable=False,
        comment="Payer the claim is billed to now: the primary, or the secondary after a transfer.",
    ),
    Column("secondary_payer_id", Text, nullable=True, comment="Secondary payer, once transferred."),
    Column(
        "current_payer_id",
        Text,
        nullable=True,
        comment=(
            "Who the claim is owed by now: the party (payer id or 'patient') of the latest "
            "positive ledger entry (a fold of the ledger, as the Claim aggregate defines it)."
        ),
    ),
    Column(
        "status",
        Text,
        nullable=False,
        comment=(
            "draft, scrubbed, submission_requested, transmission_unconfirmed, submitted, "
            "accepted, rejected, paid, partially_paid, denied, reversed, awaiting_secondary, "
            "patient_responsibility, appealed, voided, replaced or closed (as Claim.status)."
        ),
    ),
    Column("line_count", _Integer, nullable=False, comment="Number of lines on the claim."),
    Column("charge_total", _MONEY, nullable=False, comment="Sum of the lines' charges."),
    Column(
        "paid",
        _MONEY,
        nullable=False,
        comment="Paid by payers, net of reversals (remittance entries without a CARC).",
    ),
    Column(
        "adjusted",
        _MONEY,
        nullable=False,
        comment="Payer adjustments other than PR (CO, OA, PI), net of reversals.",
    ),
    Column(
        "patient_responsibility",
        _MONEY,
        nullable=False,
        comment="What the patient owes now (the ledger balance of party 'patient').",
    ),
    Column("patient_paid", _MONEY, nullable=False, comment="Patient payments recorded."),
    Column("written_off", _MONEY, nullable=False, comment="Balances written off."),
    Column(
        "balance",
        _MONEY,
        nullable=False,
        comment="Open balance: the sum of every ledger entry (all parties).",
    ),
    Column("service_from", _Date, nullable=False, comment="Earliest line from-date of service."),
    Column("service_to", _Date, nullable=False, comment="Latest line to-date of service."),
    Column("drafted_on", _Date, nullable=False, comment="Business date the claim was drafted."),
    Column("scrubbed_on", _Date, nullable=True, comment="Date of the last passed scrub."),
    Column(
        "timely_filing_deadline",
        _Date,
        nullable=False,
        comment=(
            "Last day to file: service_from plus the billed payer's timely filing limit, in "
            "months or days, as the claim recorded it from the payer record (read.payers); "
            "reference/payers.csv for claims drafted before payers were records."
        ),
    ),
    Column(
        "filed",
        _Boolean,
        nullable=False,
        comment="Whether the payer has it (accepted, or adjudicated); a rejected claim was not.",
    ),
    Column("submission_count", _Integer, nullable=False, comment="Submissions requested."),
    Column(
        "interchange_control_number",
        Text,
        nullable=True,
        comment="ISA13 of the last 837P interchange that carried it.",
    ),
    Column("first_submitted_at", _TS, nullable=True, comment="When it first went out (UTC)."),
    Column("submitted_at", _TS, nullable=True, comment="When it last went out (UTC)."),
    Column(
        "unconfirmed_interchange_control_number",
        Text,
        nullable=True,
        comment="ISA13 of an interchange the clearinghouse cannot say it received (a person "
        "must find out); null once settled.",
    ),
    Column(
        "transmission_unconfirmed_at",
        _TS,
        nullable=True,
        comment="When that interchange was found unconfirmable (UTC).",
    ),
    Column("acknowledged_at", _TS, nullable=True, comment="Last acknowledgement (999/277CA)."),
    Column("accepted_at", _TS, nullable=True, comment="Last acceptance by the clearinghouse."),
    Column("rejected_at", _TS, nullable=True, comment="Last rejection by the clearinghouse."),
    Column(
        "rejection_reasons",
        _ARRAY(Text),
        nullable=False,
        comment="Reasons of the last rejection (cleared on acceptance).",
    ),
    Column(
        "payer_claim_control_number",
        Text,
        nullable=True,
        comment="The payer's claim control number (CLP07) of the last determination.",
    ),
    Column(
        "adjudication_outcome",
        Text,
        nullable=True,
        comment="Outcome of the last determination: paid, partially_paid or denied.",
    ),
    Column(
        "adjudicated_on",
        _Date,
        nullable=True,
        comment="Paid date of the last determination (the 835's; reversals excluded).",
    ),
    Column(
        "last_determination_carcs",
        _ARRAY(Text),
        nullable=False,
        comment="Every CARC on the last determination, sorted.",
    ),
    Column(
        "denial_carcs",
        _ARRAY(Text),
        nullable=False,
        comment="CARCs on the lines the last determination paid nothing for, sorted.",
    ),
    Column(
        "first_paid_on",
        _Date,
        nullable=True,
        comment="Paid date of the first remittance that paid something.",
    ),
    Column(
        "days_to_payment",
        _Integer,
        nullable=True,
        comment="first_paid_on minus the UTC date of the first submission.",
    ),
    Column(
        "appeal_level",
        Text,
        nullable=True,
        comment="Latest appeal filed: redetermination or reconsideration.",
    ),
    Column(
        "appeal_status",
        Text,
        nullable=True,
        comment="Latest appeal: open, favourable or unfavourable.",
    ),
    Column("appeal_filed_on", _Date, nullable=True, comment="Latest appeal's filing date."),
    Column("appeal_decided_on", _Date, nullable=True, comment="Latest appeal's decision date."),
    Column(
        "appeal_deadline",
        _Date,
        nullable=True,
        comment=(
            "Last day to file the next appeal while one may be filed: redetermination 120 "
            "days after the determination's receipt, reconsideration 180 days after an "
            "unfavourable redetermination's receipt, receipt presumed 5 days after the "
            "notice's date; null when none may (CARC 29, appeal open, none left, not "
            "adjudicated)."
        ),
    ),
    Column("transferred_on", _Date, nullable=True, comment="Date moved to the secondary payer."),
    Column("voided_on", _Date, nullable=True, comment="Date voided (frequency 8)."),
    Column(
        "replaced_by_claim_id",
        Uuid,
        nullable=True,
        comment="The frequency-7 claim replacing this one.",
    ),
    Column("closed_on", _Date, nullable=True, comment="Date closed at zero balance."),
    Column(
        "payer_status_category",
        Text,
        nullable=True,
        comment="Latest 277 claim status category (STC01-1, list 507), e.g. P1, F1, F2.",
    ),
    Column(
        "payer_status_code",
        Text,
        nullable=True,
        comment="Latest 277 claim status code (STC01-2, list 508).",
    ),
    Column("payer_status_at", _TS, nullable=True, comment="When that 277 was received (UTC)."),
    Column("drafted_at", _TS, nullable=False, comment="Timestamp of the Drafted event (UTC)."),
    Column("updated_at", _TS, nullable=False, comment="Timestamp of the latest event (UTC)."),
    Column("version", BigInteger, nullable=False, comment="Aggregate version (the ETag)."),
    Column(
        "position", BigInteger, nullable=False, comment="Claims-log position of the latest event."
    ),
    Column(
        "crossed_over_on",
        _Date,
        nullable=True,
        comment=(
            "Paid date of a CLP02 19/20/21: the payer forwarded the claim to the next payer "
            "itself (nobody bills the secondary or the patient by hand)."
        ),
    ),
    Column(
        "location_id",
        Uuid,
        nullable=True,
        comment=(
            "The location the claim bills as (the order's, else its tenant's first: "
            "read.locations); its time zone is the claim's today for aging and timely filing. "
            "Null: drafted before claims recorded it, or the tenant has no location (the "
            "supplier's time zone)."
        ),
    ),
    PrimaryKeyConstraint("claim_id"),
    Index(None, "tenant_id", "drafted_at", "claim_id"),
    Index(None, "tenant_id", "status"),
    Index(None, "tenant_id", "current_payer_id"),
    Index(None, "tenant_id", "order_id"),
    Index(None, "tenant_id", "patient_id"),
    comment=(
        "One row per claim: status, payers, money (folds of its ledger), submission, "
        "acknowledgement, adjudication, appeal and deadlines. No PHI beyond ids."
    ),
)

claim_lines = Table(
    "claim_lines",
    metadata,
    Column("line_id", Uuid, nullable=False, comment="The claim line."),
    Column("claim_id", Uuid, nullable=False, comment="Its claim."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns the claim."),
    Column("line_number", _Integer, nullable=False, comment="1-based position on the claim."),
    Column("order_line_id", Uuid, nullable=False, comment="The order line it bills."),
    Column("hcpcs", Text, nullable=False, comment="HCPCS Level II code."),
    Column(
        "modifiers",
        _ARRAY(Text),
        nullable=False,
        comment="Up to four modifiers, the pricing modifier first.",
    ),
    Column("units", _Integer, nullable=False, comment="Units billed."),
    Column("billing", Text, nullable=False, comment="purchase_new, purchase_used or rental."),
    Column("rental_month", _Integer, nullable=True, comment="Rental month number (rentals only)."),
    Column("from_date", _Date, nullable=False, comment="First date of service."),
    Column("to_date", _Date, nullable=False, comment="Last date of service."),
    Column("charge", _MONEY, nullable=False, comment="Charge billed."),
    Column(
        "expected_allowed",
        _MONEY,
        nullable=False,
        comment="What the fee schedule says the payer allows.",
    ),
    Column(
        "allowed",
        _MONEY,
        nullable=True,
        comment="What the last determination allowed (null before one).",
    ),
    Column("paid", _MONEY, nullable=False, comment="Paid by payers on the line, net."),
    Column("balance", _MONEY, nullable=False, comment="Open balance of the line (all parties)."),
    Column(
        "current_payer_id",
        Text,
        nullable=True,
        comment="Party of the line's latest positive ledger entry.",
    ),
    PrimaryKeyConstraint("line_id"),
    Index(None, "claim_id", "line_number"),
    comment="The lines of each claim, with their ledger folds (serial numbers left out: PHI).",
)

claim_ledger_entries = Table(
    "claim_ledger_entries",
    metadata,
    Column("claim_id", Uuid, nullable=False, comment="The claim."),
    Column(
        "version",
        BigInteger,
        nullable=False,
        comment="Version of the claim event that posted the entry.",
    ),
    Column("entry_index", _Integer, nullable=False, comment="Order of the entry in its event."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns the claim."),
    Column("line_id", Uuid, nullable=False, comment="The claim line."),
    Column(
        "event_type",
        Text,
        nullable=False,
        comment="Event that posted it: Drafted, Corrected, Adjudicated, WrittenOff...",
    ),
    Column(
        "kind",
        Text,
        nullable=False,
        comment=(
            "charge, payment, contractual_adjustment, patient_responsibility, "
            "other_adjustment, transfer, write_off or reversal."
        ),
    ),
    Column("party", Text, nullable=False, comment="Payer id, or 'patient'."),
    Column(
        "amount",
        _MONEY,
        nullable=False,
        comment="Signed: positive raises what the party owes on the line, negative lowers it.",
    ),
    Column("posted_on", _Date, nullable=False, comment="Business date (remittance paid date)."),
    Column(
        "cas_group",
        Text,
        nullable=True,
        comment="CAS group of a remittance adjustment: CO, PR, OA or PI.",
    ),
    Column("carc", Text, nullable=True, comment="Claim adjustment reason code."),
    Column("rarcs", _ARRAY(Text), nullable=False, comment="Remittance advice remark codes."),
    Column(
        "reference",
        Text,
        nullable=True,
        comment="Remittance trace (TRN02), patient payment reference, or the stated reason.",
    ),
    Column(
        "claim_status_code",
        Text,
        nullable=True,
        comment="CLP02 of the remittance that posted it (22: a reversal).",
    ),
    Column(
        "payer_claim_control_number",
        Text,
        nullable=True,
        comment="CLP07 of the remittance that posted it.",
    ),
    Column("recorded_at", _TS, nullable=False, comment="Timestamp of the event (UTC)."),
    Column("position", BigInteger, nullable=False, comment="Claims-log position of the event."),
    PrimaryKeyConstraint("claim_id", "version", "entry_index"),
    Index(None, "tenant_id", "posted_on"),
    comment=(
        "Every money movement of every claim, one row per ledger entry: charges, payments, "
        "adjustments (CAS group, CARC, RARCs), transfers, patient payments, write-offs, "
        "reversals."
    ),
)

# --- remittances and the provider ledger (projections/remittances.py) ------------------------

remittances = Table(
    "remittances",
    metadata,
    Column("remittance_id", Uuid, nullable=False, comment="The remittance (one 835 payment)."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that received it."),
    Column("payer_identifier", Text, nullable=False, comment="TRN03: the payer's identifier."),
    Column("payer_id", Text, nullable=True, comment="Aries payer id, when the payer is known."),
    Column("trace_number", Text, nullable=False, comment="TRN02: check or EFT trace number."),
    Column("payment_method", Text, nullable=False, comment="BPR04: ACH, CHK, BOP, FWT or NON."),
    Column("paid_on", _Date, nullable=False, comment="BPR16: check or EFT effective date."),
    Column("cash", _MONEY, nullable=False, comment="BPR02: the money paid (the cash)."),
    Column(
        "claims_paid",
        _MONEY,
        nullable=False,
        comment="Sum of CLP04: cash plus the provider-level adjustments.",
    ),
    Column(
        "provider_adjustments",
        _MONEY,
        nullable=False,
        comment="Sum of the PLB amounts (positive lowered the cash, negative raised it).",
    ),
    Column("claim_count", _Integer, nullable=False, comment="CLPs in the payment."),
    Column("posted", _Boolean, nullable=False, comment="Whether it was posted to the claims."),
    Column(
        "posted_to_claims",
        _MONEY,
        nullable=True,
        comment="Once posted: CLP04 of the CLPs posted to claims.",
    ),
    Column(
        "not_posted",
        _MONEY,
        nullable=True,
        comment="Once posted: CLP04 of the CLPs not posted (no claim, refused, already posted).",
    ),
    Column(
        "reconciles",
        _Boolean,
        nullable=True,
        comment="Once posted: posted_to_claims + not_posted - provider_adjustments = cash.",
    ),
    Column("received_at", _TS, nullable=False, comment="When it was received (UTC)."),
    Column("posted_at", _TS, nullable=True, comment="When it was posted (UTC)."),
    Column("version", BigInteger, nullable=False, comment="Version of the remittance."),
    Column("position", BigInteger, nullable=False, comment="Claims-log position of the event."),
    PrimaryKeyConstraint("remittance_id"),
    Index(None, "tenant_id", "paid_on"),
    comment=(
        "Cash received: one row per 835 payment (BPR/TRN), what its claims were paid, its "
        "provider-level adjustments, and whether it reconciles with BPR02 once posted."
    ),
)

provider_ledger_entries = Table(
    "provider_ledger_entries",
    metadata,
    Column("remittance_id", Uuid, nullable=False, comment="The payment that carried it."),
    Column("entry_index", _Integer, nullable=False, comment="Order of the PLB adjustment in it."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that received it."),
    Column("payer_identifier", Text, nullable=False, comment="TRN03: the payer's identifier."),
    Column("payer_id", Text, nullable=True, comment="Aries payer id, when the payer is known."),
    Column("trace_number", Text, nullable=False, comment="TRN02 of the payment."),
    Column("paid_on", _Date, nullable=False, comment="BPR16 of the payment."),
    Column("provider_id", Text, nullable=False, comment="PLB01: the payee's NPI or tax id."),
    Column("fiscal_period", _Date, nullable=False, comment="PLB02: end of the fiscal period."),
    Column(
        "code",
        Text,
        nullable=False,
        comment="PLB03-1: WO recoupment, L6 interest, FB forward balance, 72, CS, IR, J1...",
    ),
    Column("reference", Text, nullable=True, comment="PLB03-2: the ICN or account it names."),
    Column(
        "amount",
        _MONEY,
        nullable=False,
        comment="PLB04: positive lowered the payment, negative raised it.",
    ),
    Column("recorded_at", _TS, nullable=False, comment="Timestamp of the event (UTC)."),
    Column("position", BigInteger, nullable=False, comment="Claims-log position of the event."),
    PrimaryKeyConstraint("remittance_id", "entry_index"),
    Index(None, "tenant_id", "paid_on"),
    comment=(
        "The provider ledger: every provider-level adjustment (835 PLB) a payer made, with its "
        "reason code and reference; not tied to one claim."
    ),
)

# --- work queue (projections/work_queue.py) -------------------------------------------------

work_queue = Table(
    "work_queue",
    metadata,
    Column(
        "kind",
        Text,
        nullable=False,
        comment=(
            "submit_claim, confirm_transmission, fix_rejection, bill_secondary, appeal_denial, "
            "timely_filing_risk, bill_rental, billing_held, follow_up_claim_status, "
            "coverage_inactive or restock."
        ),
    ),
    Column(
        "subject_id",
        Uuid,
        nullable=False,
        comment=(
            "What to act on: the claim, for bill_rental the order line, for billing_held "
            "the billing hold, for coverage_inactive the coverage, for restock the stock "
            "ledger."
        ),
    ),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns the subject."),
    Column("claim_id", Uuid, nullable=True, comment="The claim (claim items)."),
    Column(
        "order_id", Uuid, nullable=True, comment="The order (none for coverage_inactive, restock)."
    ),
    Column("patient_id", Uuid, nullable=True, comment="The patient, id only (none for restock)."),
    Column("payer_id", Text, nullable=True, comment="Payer to bill or appeal to."),
    Column(
        "due_on",
        _Date,
        nullable=False,
        comment=(
            "submit_claim: drafted on; confirm_transmission: found unconfirmable on (UTC); "
            "fix_rejection: rejected on (UTC); bill_secondary: transferred on; appeal_denial: "
            "appeal deadline; timely_filing_risk: filing deadline; bill_rental: first day of "
            "the next rental month; follow_up_claim_status, coverage_inactive: answered on "
            "(UTC); restock: the day stock fell below the reorder point."
        ),
    ),
    Column("detail", Text, nullable=False, comment="What to do, in words (codes, no PHI)."),
    Column("opened_upstream", Text, nullable=False, comment="Log of the event that opened it."),
    Column(
        "opened_position",
        BigInteger,
        nullable=False,
        comment="Position of the event that opened it in that log.",
    ),
    Column("opened_at", _TS, nullable=False, comment="Timestamp of that event (UTC)."),
    PrimaryKeyConstraint("kind", "subject_id"),
    Index(None, "tenant_id", "due_on", "kind", "subject_id"),
    Index(None, "claim_id"),
    Index(None, "patient_id"),
    comment="What needs doing next, one row per open item; a row is deleted once resolved.",
)

work_queue_claims = Table(
    "work_queue_claims",
    metadata,
    Column("claim_id", Uuid, nullable=False, comment="The claim."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns the claim."),
    Column("order_id", Uuid, nullable=False, comment="Its order."),
    Column("patient_id", Uuid, nullable=False, comment="Its patient (id only)."),
    Column("billing_month", Text, nullable=False, comment="Billing month, YYYY-MM."),
    Column("status", Text, nullable=False, comment="Claim status (as read.claims)."),
    Column("payer_id", Text, nullable=False, comment="Original (primary) payer."),
    Column("billed_payer_id", Text, nullable=False, comment="Payer billed now."),
    Column("filed", _Boolean, nullable=False, comment="Whether the payer has it."),
    Column("drafted_on", _Date, nullable=False, comment="Date drafted."),
    Column("service_from", _Date, nullable=False, comment="Earliest date of service."),
    Column("timely_filing_deadline", _Date, nullable=False, comment="Last day to file."),
    Column("rejected_at", _TS, nullable=True, comment="Last rejection."),
    Column(
        "unconfirmed_interchange_control_number",
        Text,
        nullable=True,
        comment="ISA13 of an interchange the clearinghouse cannot say it received (a person "
        "must find out); null once settled.",
    ),
    Column(
        "transmission_unconfirmed_at",
        _TS,
        nullable=True,
        comment="When that interchange was found unconfirmable (UTC).",
    ),
    Column("adjudication_outcome", Text, nullable=True, comment="Last determination's outcome."),
    Column("adjudicated_on", _Date, nullable=True, comment="Last determination's paid date."),
    Column(
        "last_determination_carcs",
        _ARRAY(Text),
        nullable=False,
        comment="CARCs of the last determination.",
    ),
    Column("denial_carcs", _ARRAY(Text), nullable=False, comment="CARCs of unpaid lines."),
    Column("appeal_level", Text, nullable=True, comment="Latest appeal's level."),
    Column("appeal_status", Text, nullable=True, comment="Latest appeal's status."),
    Column("appeal_decided_on", _Date, nullable=True, comment="Latest appeal's decision date."),
    Column("appeal_deadline", _Date, nullable=True, comment="Last day for the next appeal."),
    Column("transferred_on", _Date, nullable=True, comment="Date moved to the secondary."),
    Column("voided_on", _Date, nullable=True, comment="Date voided."),
    Column("replaced_by_claim_id", Uuid, nullable=True, comment="Its replacement claim."),
    Column("closed_on", _Date, nullable=True, comment="Date closed."),
    Column("payer_status_category", Text, nullable=True, comment="Latest 277 category."),
    Column("payer_status_code", Text, nullable=True, comment="Latest 277 status code."),
    Column("payer_status_at", _TS, nullable=True, comment="When that 277 was received."),
    PrimaryKeyConstraint("claim_id"),
    comment="The work queue's own memory of each claim (it reads no other projection's tables).",
)

work_queue_rentals = Table(
    "work_queue_rentals",
    metadata,
    Column("line_id", Uuid, nullable=False, comment="The rental order line."),
    Column("order_id", Uuid, nullable=False, comment="Its order."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns the order."),
    Column("patient_id", Uuid, nullable=False, comment="The patient (id only)."),
    Column("hcpcs", Text, nullable=False, comment="HCPCS code rented."),
    Column(
        "rental_cap_months",
        _Integer,
        nullable=True,
        comment="Months billed at most (catalogue); null: not billed monthly.",
    ),
    Column("payer_id", Text, nullable=True, comment="Payer of the latest coverage check."),
    Column("delivered_on", _Date, nullable=True, comment="Delivery date (rental month 1)."),
    Column("months_opened", _Integer, nullable=False, comment="Rental months opened, all periods."),
    Column("on_hold", _Boolean, nullable=False, comment="Whether the order is on hold."),
    Column("picked_up_on", _Date, nullable=True, comment="Pickup date."),
    Column("cancelled", _Boolean, nullable=False, comment="Whether the order was cancelled."),
    Column(
        "interruptions",
        _JSONB,
        nullable=True,
        comment="Null until the item is redelivered or the patient admitted: then possessions "
        "([delivered_on, picked_up_on] ISO dates) and inpatient stays ([admitted_on, "
        "discharged_on]), which move the next month (domain/rental_periods.py).",
    ),
    PrimaryKeyConstraint("line_id"),
    comment="The work queue's own memory of each rental order line, to know its next month.",
)

# --- catalogue (projections/catalogue.py) ---------------------------------------------------

equipment_items = Table(
    "equipment_items",
    metadata,
    Column("item_id", Uuid, nullable=False, comment="The catalogue item."),
    Column("tenant_id", Text, nullable=False, comment="Tenant (supplier) whose catalogue it is."),
    Column(
        "hcpcs",
        Text,
        nullable=False,
        comment="HCPCS Level II code it is billed under (reference/hcpcs.csv).",
    ),
    Column("manufacturer", Text, nullable=False, comment="Who makes it."),
    Column("model", Text, nullable=False, comment="The manufacturer's model name or number."),
    Column("category", Text, nullable=False, comment="rental or purchase: how it is furnished."),
    Column(
        "serialised",
        _Boolean,
        nullable=False,
        comment="Whether each unit carries a serial number (tracked unit by unit).",
    ),
    Column("active", _Boolean, nullable=False, comment="False once discontinued."),
    Column("added_at", _TS, nullable=False, comment="When it was added (UTC)."),
    Column("updated_at", _TS, nullable=False, comment="When it last changed (UTC)."),
    Column("version", _Integer, nullable=False, comment="Aggregate version (the ETag)."),
    Column("position", BigInteger, nullable=False, comment="Catalogue-log position of the event."),
    PrimaryKeyConstraint("item_id"),
    Index(None, "tenant_id", "hcpcs", "item_id"),
    comment="The equipment catalogue: makes and models a supplier stocks, by HCPCS code.",
)

fee_schedules = Table(
    "fee_schedules",
    metadata,
    Column("schedule_id", Uuid, nullable=False, comment="The imported schedule."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that imported it."),
    Column("payer_id", Text, nullable=False, comment="Payer whose allowed amounts it holds."),
    Column(
        "source",
        Text,
        nullable=False,
        comment="cms_dmepos (CMS quarterly DMEPOS fee schedule) or contract (payer rates).",
    ),
    Column(
        "effective_from",
        _Date,
        nullable=False,
        comment="First date of service it prices (a quarter start for CMS files).",
    ),
    Column("file_name", Text, nullable=False, comment="Name of the imported file."),
    Column("content_sha256", Text, nullable=False, comment="SHA-256 (hex) of the file's bytes."),
    Column("row_count", _Integer, nullable=False, comment="Rows (code + modifiers) it prices."),
    Column("imported_at", _TS, nullable=False, comment="When it was imported (UTC)."),
    Column("position", BigInteger, nullable=False, comment="Catalogue-log position of the event."),
    PrimaryKeyConstraint("schedule_id"),
    Index(None, "tenant_id", "payer_id", "effective_from"),
    comment=(
        "Imported fee schedules: for a payer, the one in force on a date of service is the "
        "latest effective_from on or before it (ties: the later import)."
    ),
)

fee_schedule_rates = Table(
    "fee_schedule_rates",
    metadata,
    Column("schedule_id", Uuid, nullable=False, comment="The schedule (read.fee_schedules)."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that imported it."),
    Column("hcpcs", Text, nullable=False, comment="HCPCS code."),
    Column("modifier", Text, nullable=False, comment="CMS Mod (NU, RR, UE...; '' for none)."),
    Column("modifier_2", Text, nullable=False, comment="CMS Mod2 (e.g. KE; '' for none)."),
    Column("state", Text, nullable=False, comment="State column, e.g. IL; '*' for every state."),
    Column("rural", _Boolean, nullable=False, comment="The rural (R) or non-rural (NR) amount."),
    Column("amount", _MONEY, nullable=False, comment="Allowed amount per unit (USD)."),
    PrimaryKeyConstraint("schedule_id", "hcpcs", "modifier", "modifier_2", "state", "rural"),
    comment="Each schedule's allowed amounts by code, modifiers, state and rural status.",
)

# Setup (companies, locations, payers), stock and serialised assets: modules of their own, in
# this metadata (imported for that side effect).
import projections.inventory_tables  # noqa: E402, F401
from projections.setup_tables import companies, locations, payers  # noqa: E402,F401
