"""provider ledger: the cash view of 835 payments and their provider-level adjustments

Tables for `projections/remittances.py` as defined in `projections/tables.py`:
read.remittances (one row per 835 payment: BPR02 cash, sum of CLP04, PLB total, and once
posted what reached the claims and whether it reconciles with BPR02) and
read.provider_ledger_entries (one row per PLB adjustment: WO recoupment, L6 interest, FB forward
balance, ... with its reference); and read.claims.crossed_over_on (a CLP02 19/20/21). Grants
as 0006: aries_app writes, analysts read (no PHI here:
payer, trace, amounts and codes only).

Revision ID: 0015_provider_ledger
Revises: 0010_identity_security
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_provider_ledger"
down_revision = "0010_identity_security"
branch_labels = None
depends_on = None

SCHEMA = "read"
TABLES = ("remittances", "provider_ledger_entries")
MONEY = sa.Numeric(12, 2)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "remittances",
        sa.Column("remittance_id", sa.Uuid(), nullable=False,
                  comment="The remittance (one 835 payment)."),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that received it."),
        sa.Column("payer_identifier", sa.Text(), nullable=False,
                  comment="TRN03: the payer's identifier."),
        sa.Column("payer_id", sa.Text(), nullable=True,
                  comment="Aries payer id, when the payer is known."),
        sa.Column("trace_number", sa.Text(), nullable=False,
                  comment="TRN02: check or EFT trace number."),
        sa.Column("payment_method", sa.Text(), nullable=False,
                  comment="BPR04: ACH, CHK, BOP, FWT or NON."),
        sa.Column("paid_on", sa.Date(), nullable=False,
                  comment="BPR16: check or EFT effective date."),
        sa.Column("cash", MONEY, nullable=False, comment="BPR02: the money paid (the cash)."),
        sa.Column("claims_paid", MONEY, nullable=False,
                  comment="Sum of CLP04: cash plus the provider-level adjustments."),
        sa.Column("provider_adjustments", MONEY, nullable=False,
                  comment="Sum of the PLB amounts (positive lowered the cash, negative raised "
                  "it)."),
        sa.Column("claim_count", sa.Integer(), nullable=False, comment="CLPs in the payment."),
        sa.Column("posted", sa.Boolean(), nullable=False,
                  comment="Whether it was posted to the claims."),
        sa.Column("posted_to_claims", MONEY, nullable=True,
                  comment="Once posted: CLP04 of the CLPs posted to claims."),
        sa.Column("not_posted", MONEY, nullable=True,
                  comment="Once posted: CLP04 of the CLPs not posted (no claim, refused, already "
                  "posted)."),
        sa.Column("reconciles", sa.Boolean(), nullable=True,
                  comment="Once posted: posted_to_claims + not_posted - provider_adjustments = "
                  "cash."),
        sa.Column("received_at", TS, nullable=False, comment="When it was received (UTC)."),
        sa.Column("posted_at", TS, nullable=True, comment="When it was posted (UTC)."),
        sa.Column("version", sa.BigInteger(), nullable=False,
                  comment="Version of the remittance."),
        sa.Column("position", sa.BigInteger(), nullable=False,
                  comment="Claims-log position of the event."),
        sa.PrimaryKeyConstraint("remittance_id", name="pk_remittances"),
        schema=SCHEMA,
        comment="Cash received: one row per 835 payment (BPR/TRN), what its claims were paid, "
        "its provider-level adjustments, and whether it reconciles with BPR02 once posted.",
    )
    op.create_index("ix_remittances_tenant_id_paid_on", "remittances",
                    ["tenant_id", "paid_on"], unique=False, schema=SCHEMA)
    op.create_table(
        "provider_ledger_entries",
        sa.Column("remittance_id", sa.Uuid(), nullable=False,
                  comment="The payment that carried it."),
        sa.Column("entry_index", sa.Integer(), nullable=False,
                  comment="Order of the PLB adjustment in it."),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that received it."),
        sa.Column("payer_identifier", sa.Text(), nullable=False,
                  comment="TRN03: the payer's identifier."),
        sa.Column("payer_id", sa.Text(), nullable=True,
                  comment="Aries payer id, when the payer is known."),
        sa.Column("trace_number", sa.Text(), nullable=False, comment="TRN02 of the payment."),
        sa.Column("paid_on", sa.Date(), nullable=False, comment="BPR16 of the payment."),
        sa.Column("provider_id", sa.Text(), nullable=False,
                  comment="PLB01: the payee's NPI or tax id."),
        sa.Column("fiscal_period", sa.Date(), nullable=False,
                  comment="PLB02: end of the fiscal period."),
        sa.Column("code", sa.Text(), nullable=False,
                  comment="PLB03-1: WO recoupment, L6 interest, FB forward balance, 72, CS, IR, "
                  "J1..."),
        sa.Column("reference", sa.Text(), nullable=True,
                  comment="PLB03-2: the ICN or account it names."),
        sa.Column("amount", MONEY, nullable=False,
                  comment="PLB04: positive lowered the payment, negative raised it."),
        sa.Column("recorded_at", TS, nullable=False, comment="Timestamp of the event (UTC)."),
        sa.Column("position", sa.BigInteger(), nullable=False,
                  comment="Claims-log position of the event."),
        sa.PrimaryKeyConstraint("remittance_id", "entry_index",
                                name="pk_provider_ledger_entries"),
        schema=SCHEMA,
        comment="The provider ledger: every provider-level adjustment (835 PLB) a payer made, "
        "with its reason code and reference; not tied to one claim.",
    )
    op.create_index("ix_provider_ledger_entries_tenant_id_paid_on", "provider_ledger_entries",
                    ["tenant_id", "paid_on"], unique=False, schema=SCHEMA)
    op.add_column(
        "claims",
        sa.Column("crossed_over_on", sa.Date(), nullable=True,
                  comment="Paid date of a CLP02 19/20/21: the payer forwarded the claim to the "
                  "next payer itself (nobody bills the secondary or the patient by hand)."),
        schema=SCHEMA,
    )
    tables = ", ".join(f"{SCHEMA}.{name}" for name in TABLES)
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO aries_app")
    op.execute(f"GRANT SELECT ON {tables} TO aries_analyst")


def downgrade() -> None:
    op.drop_column("claims", "crossed_over_on", schema=SCHEMA)
    for name in reversed(TABLES):
        op.drop_table(name, schema=SCHEMA)
