"""Read-model tables of the `claims` projection (projections/claims.py): claims, claim lines and the
claim ledger. Same metadata and conventions as `projections.tables`, which imports this module so
that every table is in its metadata.
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
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
)

from projections.tables import metadata

_MONEY = Numeric(12, 2)
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
    Column("line_count", Integer, nullable=False, comment="Number of lines on the claim."),
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
    Column("service_from", Date, nullable=False, comment="Earliest line from-date of service."),
    Column("service_to", Date, nullable=False, comment="Latest line to-date of service."),
    Column("drafted_on", Date, nullable=False, comment="Business date the claim was drafted."),
    Column("scrubbed_on", Date, nullable=True, comment="Date of the last passed scrub."),
    Column(
        "timely_filing_deadline",
        Date,
        nullable=False,
        comment=(
            "Last day to file: service_from plus the billed payer's timely filing limit, in "
            "months or days, as the claim recorded it from the payer record (read.payers); "
            "reference/payers.csv for claims drafted before payers were records."
        ),
    ),
    Column(
        "filed",
        Boolean,
        nullable=False,
        comment="Whether the payer has it (accepted, or adjudicated); a rejected claim was not.",
    ),
    Column("submission_count", Integer, nullable=False, comment="Submissions requested."),
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
        ARRAY(Text),
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
        Date,
        nullable=True,
        comment="Paid date of the last determination (the 835's; reversals excluded).",
    ),
    Column(
        "last_determination_carcs",
        ARRAY(Text),
        nullable=False,
        comment="Every CARC on the last determination, sorted.",
    ),
    Column(
        "denial_carcs",
        ARRAY(Text),
        nullable=False,
        comment="CARCs on the lines the last determination paid nothing for, sorted.",
    ),
    Column(
        "first_paid_on",
        Date,
        nullable=True,
        comment="Paid date of the first remittance that paid something.",
    ),
    Column(
        "days_to_payment",
        Integer,
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
    Column("appeal_filed_on", Date, nullable=True, comment="Latest appeal's filing date."),
    Column("appeal_decided_on", Date, nullable=True, comment="Latest appeal's decision date."),
    Column(
        "appeal_deadline",
        Date,
        nullable=True,
        comment=(
            "Last day to file the next appeal while one may be filed: redetermination 120 "
            "days after the determination's receipt, reconsideration 180 days after an "
            "unfavourable redetermination's receipt, receipt presumed 5 days after the "
            "notice's date; null when none may (CARC 29, appeal open, none left, not "
            "adjudicated)."
        ),
    ),
    Column("transferred_on", Date, nullable=True, comment="Date moved to the secondary payer."),
    Column("voided_on", Date, nullable=True, comment="Date voided (frequency 8)."),
    Column(
        "replaced_by_claim_id",
        Uuid,
        nullable=True,
        comment="The frequency-7 claim replacing this one.",
    ),
    Column("closed_on", Date, nullable=True, comment="Date closed at zero balance."),
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
        Date,
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
    Column("line_number", Integer, nullable=False, comment="1-based position on the claim."),
    Column("order_line_id", Uuid, nullable=False, comment="The order line it bills."),
    Column("hcpcs", Text, nullable=False, comment="HCPCS Level II code."),
    Column(
        "modifiers",
        ARRAY(Text),
        nullable=False,
        comment="Up to four modifiers, the pricing modifier first.",
    ),
    Column("units", Integer, nullable=False, comment="Units billed."),
    Column("billing", Text, nullable=False, comment="purchase_new, purchase_used or rental."),
    Column("rental_month", Integer, nullable=True, comment="Rental month number (rentals only)."),
    Column("from_date", Date, nullable=False, comment="First date of service."),
    Column("to_date", Date, nullable=False, comment="Last date of service."),
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
    Column("entry_index", Integer, nullable=False, comment="Order of the entry in its event."),
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
    Column("posted_on", Date, nullable=False, comment="Business date (remittance paid date)."),
    Column(
        "cas_group",
        Text,
        nullable=True,
        comment="CAS group of a remittance adjustment: CO, PR, OA or PI.",
    ),
    Column("carc", Text, nullable=True, comment="Claim adjustment reason code."),
    Column("rarcs", ARRAY(Text), nullable=False, comment="Remittance advice remark codes."),
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
