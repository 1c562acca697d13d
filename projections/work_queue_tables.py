"""Read-model tables of the `work_queue` projection (projections/work_queue.py). Same metadata and
conventions as `projections.tables`, which imports this module so that every table is in its
metadata.
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

_TS = DateTime(timezone=True)

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
        Date,
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
    Column("filed", Boolean, nullable=False, comment="Whether the payer has it."),
    Column("drafted_on", Date, nullable=False, comment="Date drafted."),
    Column("service_from", Date, nullable=False, comment="Earliest date of service."),
    Column("timely_filing_deadline", Date, nullable=False, comment="Last day to file."),
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
    Column("adjudicated_on", Date, nullable=True, comment="Last determination's paid date."),
    Column(
        "last_determination_carcs",
        ARRAY(Text),
        nullable=False,
        comment="CARCs of the last determination.",
    ),
    Column("denial_carcs", ARRAY(Text), nullable=False, comment="CARCs of unpaid lines."),
    Column("appeal_level", Text, nullable=True, comment="Latest appeal's level."),
    Column("appeal_status", Text, nullable=True, comment="Latest appeal's status."),
    Column("appeal_decided_on", Date, nullable=True, comment="Latest appeal's decision date."),
    Column("appeal_deadline", Date, nullable=True, comment="Last day for the next appeal."),
    Column("transferred_on", Date, nullable=True, comment="Date moved to the secondary."),
    Column("voided_on", Date, nullable=True, comment="Date voided."),
    Column("replaced_by_claim_id", Uuid, nullable=True, comment="Its replacement claim."),
    Column("closed_on", Date, nullable=True, comment="Date closed."),
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
        Integer,
        nullable=True,
        comment="Months billed at most (catalogue); null: not billed monthly.",
    ),
    Column("payer_id", Text, nullable=True, comment="Payer of the latest coverage check."),
    Column("delivered_on", Date, nullable=True, comment="Delivery date (rental month 1)."),
    Column("months_opened", Integer, nullable=False, comment="Rental months opened, all periods."),
    Column("on_hold", Boolean, nullable=False, comment="Whether the order is on hold."),
    Column("picked_up_on", Date, nullable=True, comment="Pickup date."),
    Column("cancelled", Boolean, nullable=False, comment="Whether the order was cancelled."),
    Column(
        "interruptions",
        JSONB,
        nullable=True,
        comment="Null until the item is redelivered or the patient admitted: then possessions "
        "([delivered_on, picked_up_on] ISO dates) and inpatient stays ([admitted_on, "
        "discharged_on]), which move the next month (domain/rental_periods.py).",
    ),
    PrimaryKeyConstraint("line_id"),
    comment="The work queue's own memory of each rental order line, to know its next month.",
)
