"""claim read models: claims, claim lines, ledger entries, work queue, AR aging

Tables for `projections/claims.py` (read.claims, read.claim_lines, read.claim_ledger_entries)
and `projections/work_queue.py` (read.work_queue and its own memory of claims and rental lines),
as defined in `projections/tables.py`; grants come from the default privileges of schema `read`
(0003), and are repeated here so that they hold whoever runs the migration.

AR aging is a view, `read.ar_aging`, because its buckets depend on today's date, which a
projection must not read. The view selects from a SQL function, `read.ar_aging_rows()`, rather
than from the tables themselves: PostgreSQL records no dependency on the tables named in a SQL
function's string body, so a rebuild can still drop read.claims and swap its fresh copy in (a
view naming the tables directly would block the swap). The planner inlines the function, so a
filter on the view still reaches the tables' indexes.

Revision ID: 0006_claim_read_models
Revises: 0005_order_read_models
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_claim_read_models"
down_revision = "0005_order_read_models"
branch_labels = None
depends_on = None

SCHEMA = "read"
TABLES = (
    "claims",
    "claim_lines",
    "claim_ledger_entries",
    "work_queue",
    "work_queue_claims",
    "work_queue_rentals",
)

# Balances are per responsible party (a payer id, or 'patient'): the party holding a balance is
# the one that owes it now, so a claim whose payer paid and whose patient owes the coinsurance
# ages under 'patient'. Age: days since the claim's first date of service (service_from), the
# date timely filing and payer aging reports count from.
AR_AGING_FUNCTION = """
CREATE FUNCTION read.ar_aging_rows()
RETURNS TABLE (
    tenant_id text, payer_id text, open_claims bigint, balance numeric,
    days_0_30 numeric, days_31_60 numeric, days_61_90 numeric, days_91_120 numeric,
    days_over_120 numeric, as_of date
)
LANGUAGE sql STABLE
AS $$
    SELECT c.tenant_id,
           owed.party,
           count(*),
           sum(owed.balance),
           coalesce(sum(owed.balance) FILTER (WHERE current_date - c.service_from <= 30), 0),
           coalesce(sum(owed.balance) FILTER (
               WHERE current_date - c.service_from BETWEEN 31 AND 60), 0),
           coalesce(sum(owed.balance) FILTER (
               WHERE current_date - c.service_from BETWEEN 61 AND 90), 0),
           coalesce(sum(owed.balance) FILTER (
               WHERE current_date - c.service_from BETWEEN 91 AND 120), 0),
           coalesce(sum(owed.balance) FILTER (WHERE current_date - c.service_from > 120), 0),
           current_date
    FROM read.claims AS c
    JOIN (
        SELECT e.tenant_id, e.claim_id, e.party, sum(e.amount) AS balance
        FROM read.claim_ledger_entries AS e
        GROUP BY e.tenant_id, e.claim_id, e.party
        HAVING sum(e.amount) > 0
    ) AS owed ON owed.claim_id = c.claim_id AND owed.tenant_id = c.tenant_id
    GROUP BY c.tenant_id, owed.party
$$
"""

AR_AGING_COMMENTS = {
    "tenant_id": "Tenant.",
    "payer_id": "Who owes the balance: a payer id, or 'patient'.",
    "open_claims": "Claims on which this party holds a positive balance.",
    "balance": "Total positive balance this party holds.",
    "days_0_30": "Part of it on claims whose first date of service is 0-30 days ago.",
    "days_31_60": "... 31-60 days ago.",
    "days_61_90": "... 61-90 days ago.",
    "days_91_120": "... 91-120 days ago.",
    "days_over_120": "... more than 120 days ago.",
    "as_of": "The date the ages are counted to (today, in the database's time zone).",
}


def upgrade() -> None:
    op.create_table('claim_ledger_entries',
    sa.Column('claim_id', sa.Uuid(), nullable=False, comment='The claim.'),
    sa.Column('version', sa.BigInteger(), nullable=False, comment='Version of the claim event that posted the entry.'),
    sa.Column('entry_index', sa.Integer(), nullable=False, comment='Order of the entry in its event.'),
    sa.Column('tenant_id', sa.Text(), nullable=False, comment='Tenant that owns the claim.'),
    sa.Column('line_id', sa.Uuid(), nullable=False, comment='The claim line.'),
    sa.Column('event_type', sa.Text(), nullable=False, comment='Event that posted it: Drafted, Corrected, Adjudicated, WrittenOff...'),
    sa.Column('kind', sa.Text(), nullable=False, comment='charge, payment, contractual_adjustment, patient_responsibility, other_adjustment, transfer, write_off or reversal.'),
    sa.Column('party', sa.Text(), nullable=False, comment="Payer id, or 'patient'."),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False, comment='Signed: positive raises what the party owes on the line, negative lowers it.'),
    sa.Column('posted_on', sa.Date(), nullable=False, comment='Business date (remittance paid date).'),
    sa.Column('cas_group', sa.Text(), nullable=True, comment='CAS group of a remittance adjustment: CO, PR, OA or PI.'),
    sa.Column('carc', sa.Text(), nullable=True, comment='Claim adjustment reason code.'),
    sa.Column('rarcs', sa.ARRAY(sa.Text()), nullable=False, comment='Remittance advice remark codes.'),
    sa.Column('reference', sa.Text(), nullable=True, comment='Remittance trace (TRN02), patient payment reference, or the stated reason.'),
    sa.Column('claim_status_code', sa.Text(), nullable=True, comment='CLP02 of the remittance that posted it (22: a reversal).'),
    sa.Column('payer_claim_control_number', sa.Text(), nullable=True, comment='CLP07 of the remittance that posted it.'),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False, comment='Timestamp of the event (UTC).'),
    sa.Column('position', sa.BigInteger(), nullable=False, comment='Claims-log position of the event.'),
    sa.PrimaryKeyConstraint('claim_id', 'version', 'entry_index', name='pk_claim_ledger_entries'),
    schema='read',
    comment='Every money movement of every claim, one row per ledger entry: charges, payments, adjustments (CAS group, CARC, RARCs), transfers, patient payments, write-offs, reversals.'
    )
    op.create_index('ix_claim_ledger_entries_tenant_id_posted_on', 'claim_ledger_entries', ['tenant_id', 'posted_on'], unique=False, schema='read')
    op.create_table('claim_lines',
    sa.Column('line_id', sa.Uuid(), nullable=False, comment='The claim line.'),
    sa.Column('claim_id', sa.Uuid(), nullable=False, comment='Its claim.'),
    sa.Column('tenant_id', sa.Text(), nullable=False, comment='Tenant that owns the claim.'),
    sa.Column('line_number', sa.Integer(), nullable=False, comment='1-based position on the claim.'),
    sa.Column('order_line_id', sa.Uuid(), nullable=False, comment='The order line it bills.'),
    sa.Column('hcpcs', sa.Text(), nullable=False, comment='HCPCS Level II code.'),
    sa.Column('modifiers', sa.ARRAY(sa.Text()), nullable=False, comment='Up to four modifiers, the pricing modifier first.'),
    sa.Column('units', sa.Integer(), nullable=False, comment='Units billed.'),
    sa.Column('billing', sa.Text(), nullable=False, comment='purchase_new, purchase_used or rental.'),
    sa.Column('rental_month', sa.Integer(), nullable=True, comment='Rental month number (rentals only).'),
    sa.Column('from_date', sa.Date(), nullable=False, comment='First date of service.'),
    sa.Column('to_date', sa.Date(), nullable=False, comment='Last date of service.'),
    sa.Column('charge', sa.Numeric(precision=12, scale=2), nullable=False, comment='Charge billed.'),
    sa.Column('expected_allowed', sa.Numeric(precision=12, scale=2), nullable=False, comment='What the fee schedule says the payer allows.'),
    sa.Column('allowed', sa.Numeric(precision=12, scale=2), nullable=True, comment='What the last determination allowed (null before one).'),
    sa.Column('paid', sa.Numeric(precision=12, scale=2), nullable=False, comment='Paid by payers on the line, net.'),
    sa.Column('balance', sa.Numeric(precision=12, scale=2), nullable=False, comment='Open balance of the line (all parties).'),
    sa.Column('current_payer_id', sa.Text(), nullable=True, comment="Party of the line's latest positive ledger entry."),
    sa.PrimaryKeyConstraint('line_id', name='pk_claim_lines'),
    schema='read',
    comment='The lines of each claim, with their ledger folds (serial numbers left out: PHI).'
    )
    op.create_index('ix_claim_lines_claim_id_line_number', 'claim_lines', ['claim_id', 'line_number'], unique=False, schema='read')
    op.create_table('claims',
    sa.Column('claim_id', sa.Uuid(), nullable=False, comment='The claim (aggregate id).'),
    sa.Column('tenant_id', sa.Text(), nullable=False, comment='Tenant that owns the claim.'),
    sa.Column('order_id', sa.Uuid(), nullable=False, comment='The order the claim bills.'),
    sa.Column('patient_id', sa.Uuid(), nullable=False, comment='The patient (id only).'),
    sa.Column('patient_control_number', sa.Text(), nullable=False, comment='CLM01: the first 20 hex digits of the claim id, upper case.'),
    sa.Column('billing_month', sa.Text(), nullable=False, comment='Billing month, YYYY-MM.'),
    sa.Column('frequency_code', sa.Text(), nullable=False, comment='CLM05-3: 1 original, 7 replacement, 8 void.'),
    sa.Column('replaces_claim_id', sa.Uuid(), nullable=True, comment='For a replacement (frequency 7) claim: the claim it replaces.'),
    sa.Column('payer_id', sa.Text(), nullable=False, comment='Original (primary) payer id.'),
    sa.Column('billed_payer_id', sa.Text(), nullable=False, comment='Payer the claim is billed to now: the primary, or the secondary after a transfer.'),
    sa.Column('secondary_payer_id', sa.Text(), nullable=True, comment='Secondary payer, once transferred.'),
    sa.Column('current_payer_id', sa.Text(), nullable=True, comment="Who the claim is owed by now: the party (payer id or 'patient') of the latest positive ledger entry (a fold of the ledger, as the Claim aggregate defines it)."),
    sa.Column('status', sa.Text(), nullable=False, comment='draft, scrubbed, submission_requested, submitted, accepted, rejected, paid, partially_paid, denied, reversed, awaiting_secondary, patient_responsibility, appealed, voided, replaced or closed (as Claim.status).'),
    sa.Column('line_count', sa.Integer(), nullable=False, comment='Number of lines on the claim.'),
    sa.Column('charge_total', sa.Numeric(precision=12, scale=2), nullable=False, comment="Sum of the lines' charges."),
    sa.Column('paid', sa.Numeric(precision=12, scale=2), nullable=False, comment='Paid by payers, net of reversals (remittance entries without a CARC).'),
    sa.Column('adjusted', sa.Numeric(precision=12, scale=2), nullable=False, comment='Payer adjustments other than PR (CO, OA, PI), net of reversals.'),
    sa.Column('patient_responsibility', sa.Numeric(precision=12, scale=2), nullable=False, comment="What the patient owes now (the ledger balance of party 'patient')."),
    sa.Column('patient_paid', sa.Numeric(precision=12, scale=2), nullable=False, comment='Patient payments recorded.'),
    sa.Column('written_off', sa.Numeric(precision=12, scale=2), nullable=False, comment='Balances written off.'),
    sa.Column('balance', sa.Numeric(precision=12, scale=2), nullable=False, comment='Open balance: the sum of every ledger entry (all parties).'),
    sa.Column('service_from', sa.Date(), nullable=False, comment='Earliest line from-date of service.'),
    sa.Column('service_to', sa.Date(), nullable=False, comment='Latest line to-date of service.'),
    sa.Column('drafted_on', sa.Date(), nullable=False, comment='Business date the claim was drafted.'),
    sa.Column('scrubbed_on', sa.Date(), nullable=True, comment='Date of the last passed scrub.'),
    sa.Column('timely_filing_deadline', sa.Date(), nullable=False, comment="Last day to file: service_from plus the billed payer's timely filing months (reference/payers.csv)."),
    sa.Column('filed', sa.Boolean(), nullable=False, comment='Whether the payer has it (accepted, or adjudicated); a rejected claim was not.'),
    sa.Column('submission_count', sa.Integer(), nullable=False, comment='Submissions requested.'),
    sa.Column('interchange_control_number', sa.Text(), nullable=True, comment='ISA13 of the last 837P interchange that carried it.'),
    sa.Column('first_submitted_at', sa.DateTime(timezone=True), nullable=True, comment='When it first went out (UTC).'),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True, comment='When it last went out (UTC).'),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True, comment='Last acknowledgement (999/277CA).'),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True, comment='Last acceptance by the clearinghouse.'),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=True, comment='Last rejection by the clearinghouse.'),
    sa.Column('rejection_reasons', sa.ARRAY(sa.Text()), nullable=False, comment='Reasons of the last rejection (cleared on acceptance).'),
    sa.Column('payer_claim_control_number', sa.Text(), nullable=True, comment="The payer's claim control number (CLP07) of the last determination."),
    sa.Column('adjudication_outcome', sa.Text(), nullable=True, comment='Outcome of the last determination: paid, partially_paid or denied.'),
    sa.Column('adjudicated_on', sa.Date(), nullable=True, comment="Paid date of the last determination (the 835's; reversals excluded)."),
    sa.Column('last_determination_carcs', sa.ARRAY(sa.Text()), nullable=False, comment='Every CARC on the last determination, sorted.'),
    sa.Column('denial_carcs', sa.ARRAY(sa.Text()), nullable=False, comment='CARCs on the lines the last determination paid nothing for, sorted.'),
    sa.Column('first_paid_on', sa.Date(), nullable=True, comment='Paid date of the first remittance that paid something.'),
    sa.Column('days_to_payment', sa.Integer(), nullable=True, comment='first_paid_on minus the UTC date of the first submission.'),
    sa.Column('appeal_level', sa.Text(), nullable=True, comment='Latest appeal filed: redetermination or reconsideration.'),
    sa.Column('appeal_status', sa.Text(), nullable=True, comment='Latest appeal: open, favourable or unfavourable.'),
    sa.Column('appeal_filed_on', sa.Date(), nullable=True, comment="Latest appeal's filing date."),
    sa.Column('appeal_decided_on', sa.Date(), nullable=True, comment="Latest appeal's decision date."),
    sa.Column('appeal_deadline', sa.Date(), nullable=True, comment='Last day to file the next appeal while one may be filed: redetermination 120 days after the determination, reconsideration 180 days after an unfavourable redetermination; null when none may (CARC 29, appeal open, none left, not adjudicated).'),
    sa.Column('transferred_on', sa.Date(), nullable=True, comment='Date moved to the secondary payer.'),
    sa.Column('voided_on', sa.Date(), nullable=True, comment='Date voided (frequency 8).'),
    sa.Column('replaced_by_claim_id', sa.Uuid(), nullable=True, comment='The frequency-7 claim replacing this one.'),
    sa.Column('closed_on', sa.Date(), nullable=True, comment='Date closed at zero balance.'),
    sa.Column('drafted_at', sa.DateTime(timezone=True), nullable=False, comment='Timestamp of the Drafted event (UTC).'),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False, comment='Timestamp of the latest event (UTC).'),
    sa.Column('version', sa.BigInteger(), nullable=False, comment='Aggregate version (the ETag).'),
    sa.Column('position', sa.BigInteger(), nullable=False, comment='Claims-log position of the latest event.'),
    sa.PrimaryKeyConstraint('claim_id', name='pk_claims'),
    schema='read',
    comment='One row per claim: status, payers, money (folds of its ledger), submission, acknowledgement, adjudication, appeal and deadlines. No PHI beyond ids.'
    )
    op.create_index('ix_claims_tenant_id_current_payer_id', 'claims', ['tenant_id', 'current_payer_id'], unique=False, schema='read')
    op.create_index('ix_claims_tenant_id_drafted_at_claim_id', 'claims', ['tenant_id', 'drafted_at', 'claim_id'], unique=False, schema='read')
    op.create_index('ix_claims_tenant_id_order_id', 'claims', ['tenant_id', 'order_id'], unique=False, schema='read')
    op.create_index('ix_claims_tenant_id_patient_id', 'claims', ['tenant_id', 'patient_id'], unique=False, schema='read')
    op.create_index('ix_claims_tenant_id_status', 'claims', ['tenant_id', 'status'], unique=False, schema='read')
    op.create_table('work_queue',
    sa.Column('kind', sa.Text(), nullable=False, comment='submit_claim, fix_rejection, bill_secondary, appeal_denial, timely_filing_risk or bill_rental.'),
    sa.Column('subject_id', sa.Uuid(), nullable=False, comment='What to act on: the claim, or for bill_rental the order line.'),
    sa.Column('tenant_id', sa.Text(), nullable=False, comment='Tenant that owns the subject.'),
    sa.Column('claim_id', sa.Uuid(), nullable=True, comment='The claim (claim items).'),
    sa.Column('order_id', sa.Uuid(), nullable=False, comment='The order.'),
    sa.Column('patient_id', sa.Uuid(), nullable=False, comment='The patient (id only).'),
    sa.Column('payer_id', sa.Text(), nullable=True, comment='Payer to bill or appeal to.'),
    sa.Column('due_on', sa.Date(), nullable=False, comment='submit_claim: drafted on; fix_rejection: rejected on (UTC); bill_secondary: transferred on; appeal_denial: appeal deadline; timely_filing_risk: filing deadline; bill_rental: first day of the next rental month.'),
    sa.Column('detail', sa.Text(), nullable=False, comment='What to do, in words (codes, no PHI).'),
    sa.Column('opened_upstream', sa.Text(), nullable=False, comment='Log of the event that opened it.'),
    sa.Column('opened_position', sa.BigInteger(), nullable=False, comment='Position of the event that opened it in that log.'),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False, comment='Timestamp of that event (UTC).'),
    sa.PrimaryKeyConstraint('kind', 'subject_id', name='pk_work_queue'),
    schema='read',
    comment='What needs doing next, one row per open item; a row is deleted once resolved.'
    )
    op.create_index('ix_work_queue_claim_id', 'work_queue', ['claim_id'], unique=False, schema='read')
    op.create_index('ix_work_queue_tenant_id_due_on_kind_subject_id', 'work_queue', ['tenant_id', 'due_on', 'kind', 'subject_id'], unique=False, schema='read')
    op.create_table('work_queue_claims',
    sa.Column('claim_id', sa.Uuid(), nullable=False, comment='The claim.'),
    sa.Column('tenant_id', sa.Text(), nullable=False, comment='Tenant that owns the claim.'),
    sa.Column('order_id', sa.Uuid(), nullable=False, comment='Its order.'),
    sa.Column('patient_id', sa.Uuid(), nullable=False, comment='Its patient (id only).'),
    sa.Column('billing_month', sa.Text(), nullable=False, comment='Billing month, YYYY-MM.'),
    sa.Column('status', sa.Text(), nullable=False, comment='Claim status (as read.claims).'),
    sa.Column('payer_id', sa.Text(), nullable=False, comment='Original (primary) payer.'),
    sa.Column('billed_payer_id', sa.Text(), nullable=False, comment='Payer billed now.'),
    sa.Column('filed', sa.Boolean(), nullable=False, comment='Whether the payer has it.'),
    sa.Column('drafted_on', sa.Date(), nullable=False, comment='Date drafted.'),
    sa.Column('service_from', sa.Date(), nullable=False, comment='Earliest date of service.'),
    sa.Column('timely_filing_deadline', sa.Date(), nullable=False, comment='Last day to file.'),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=True, comment='Last rejection.'),
    sa.Column('adjudication_outcome', sa.Text(), nullable=True, comment="Last determination's outcome."),
    sa.Column('adjudicated_on', sa.Date(), nullable=True, comment="Last determination's paid date."),
    sa.Column('last_determination_carcs', sa.ARRAY(sa.Text()), nullable=False, comment='CARCs of the last determination.'),
    sa.Column('denial_carcs', sa.ARRAY(sa.Text()), nullable=False, comment='CARCs of unpaid lines.'),
    sa.Column('appeal_level', sa.Text(), nullable=True, comment="Latest appeal's level."),
    sa.Column('appeal_status', sa.Text(), nullable=True, comment="Latest appeal's status."),
    sa.Column('appeal_decided_on', sa.Date(), nullable=True, comment="Latest appeal's decision date."),
    sa.Column('appeal_deadline', sa.Date(), nullable=True, comment='Last day for the next appeal.'),
    sa.Column('transferred_on', sa.Date(), nullable=True, comment='Date moved to the secondary.'),
    sa.Column('voided_on', sa.Date(), nullable=True, comment='Date voided.'),
    sa.Column('replaced_by_claim_id', sa.Uuid(), nullable=True, comment='Its replacement claim.'),
    sa.Column('closed_on', sa.Date(), nullable=True, comment='Date closed.'),
    sa.PrimaryKeyConstraint('claim_id', name='pk_work_queue_claims'),
    schema='read',
    comment="The work queue's own memory of each claim (it reads no other projection's tables)."
    )
    op.create_table('work_queue_rentals',
    sa.Column('line_id', sa.Uuid(), nullable=False, comment='The rental order line.'),
    sa.Column('order_id', sa.Uuid(), nullable=False, comment='Its order.'),
    sa.Column('tenant_id', sa.Text(), nullable=False, comment='Tenant that owns the order.'),
    sa.Column('patient_id', sa.Uuid(), nullable=False, comment='The patient (id only).'),
    sa.Column('hcpcs', sa.Text(), nullable=False, comment='HCPCS code rented.'),
    sa.Column('rental_cap_months', sa.Integer(), nullable=True, comment='Months billed at most (catalogue); null: not billed monthly.'),
    sa.Column('payer_id', sa.Text(), nullable=True, comment='Payer of the latest coverage check.'),
    sa.Column('delivered_on', sa.Date(), nullable=True, comment='Delivery date (rental month 1).'),
    sa.Column('months_opened', sa.Integer(), nullable=False, comment='Last rental month opened.'),
    sa.Column('on_hold', sa.Boolean(), nullable=False, comment='Whether the order is on hold.'),
    sa.Column('picked_up_on', sa.Date(), nullable=True, comment='Pickup date.'),
    sa.Column('cancelled', sa.Boolean(), nullable=False, comment='Whether the order was cancelled.'),
    sa.PrimaryKeyConstraint('line_id', name='pk_work_queue_rentals'),
    schema='read',
    comment="The work queue's own memory of each rental order line, to know its next month."
    )

    op.execute(AR_AGING_FUNCTION)
    op.execute(
        "CREATE VIEW read.ar_aging AS "
        "SELECT tenant_id, payer_id, open_claims, balance, days_0_30, days_31_60, days_61_90, "
        "days_91_120, days_over_120, as_of FROM read.ar_aging_rows()"
    )
    op.execute(
        "COMMENT ON FUNCTION read.ar_aging_rows() IS 'Rows of read.ar_aging (a function so that "
        "rebuilds can swap the claims tables: see migration 0006).'"
    )
    op.execute(
        "COMMENT ON VIEW read.ar_aging IS 'Accounts receivable aging by responsible party "
        "(payer or patient): open balances bucketed by days since the first date of service, "
        "as of today.'"
    )
    for column, comment in AR_AGING_COMMENTS.items():
        quoted = comment.replace("'", "''")
        op.execute(f"COMMENT ON COLUMN read.ar_aging.{column} IS '{quoted}'")

    tables = ", ".join(f"{SCHEMA}.{name}" for name in TABLES)
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO aries_app")
    op.execute(f"GRANT SELECT ON {tables} TO aries_analyst")
    # Views are relations too, but say it: both roles read the aging, and run its function.
    op.execute(f"GRANT SELECT ON {SCHEMA}.ar_aging TO aries_app, aries_analyst")
    op.execute(
        f"GRANT EXECUTE ON FUNCTION {SCHEMA}.ar_aging_rows() TO aries_app, aries_analyst"
    )


def downgrade() -> None:
    op.execute(f"DROP VIEW {SCHEMA}.ar_aging")
    op.execute(f"DROP FUNCTION {SCHEMA}.ar_aging_rows()")
    for name in reversed(TABLES):
        op.drop_table(name, schema=SCHEMA)
