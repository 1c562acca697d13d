"""Read-model tables of the `remittances` projection (projections/remittances.py): remittances and
the provider ledger. Same metadata and conventions as `projections.tables`, which imports this
module so that every table is in its metadata.
"""

from __future__ import annotations

from sqlalchemy import (
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

_TS = DateTime(timezone=True)
_MONEY = Numeric(12, 2)

remittances = Table(
    "remittances",
    metadata,
    Column("remittance_id", Uuid, nullable=False, comment="The remittance (one 835 payment)."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that received it."),
    Column("payer_identifier", Text, nullable=False, comment="TRN03: the payer's identifier."),
    Column("payer_id", Text, nullable=True, comment="Aries payer id, when the payer is known."),
    Column("trace_number", Text, nullable=False, comment="TRN02: check or EFT trace number."),
    Column("payment_method", Text, nullable=False, comment="BPR04: ACH, CHK, BOP, FWT or NON."),
    Column("paid_on", Date, nullable=False, comment="BPR16: check or EFT effective date."),
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
    Column("claim_count", Integer, nullable=False, comment="CLPs in the payment."),
    Column("posted", Boolean, nullable=False, comment="Whether it was posted to the claims."),
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
        Boolean,
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
    Column("entry_index", Integer, nullable=False, comment="Order of the PLB adjustment in it."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that received it."),
    Column("payer_identifier", Text, nullable=False, comment="TRN03: the payer's identifier."),
    Column("payer_id", Text, nullable=True, comment="Aries payer id, when the payer is known."),
    Column("trace_number", Text, nullable=False, comment="TRN02 of the payment."),
    Column("paid_on", Date, nullable=False, comment="BPR16 of the payment."),
    Column("provider_id", Text, nullable=False, comment="PLB01: the payee's NPI or tax id."),
    Column("fiscal_period", Date, nullable=False, comment="PLB02: end of the fiscal period."),
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
