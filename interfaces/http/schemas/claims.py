"""Request and response bodies of the claim routes (interfaces/http/routes/claims.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from domain.claim_next_action import next_action
from interfaces.http.schemas.values import IsoDate
from projections.queries.claims import Aging, ClaimRecord


class AgingBucket(StrEnum):
    D0_30 = "0-30"
    D31_60 = "31-60"
    D61_90 = "61-90"
    D91_120 = "91-120"
    OVER_120 = "120+"


BUCKET_DAYS: dict[AgingBucket, tuple[int | None, int | None]] = {
    AgingBucket.D0_30: (None, 30),
    AgingBucket.D31_60: (31, 60),
    AgingBucket.D61_90: (61, 90),
    AgingBucket.D91_120: (91, 120),
    AgingBucket.OVER_120: (121, None),
}

WorkItemKind = Literal[
    "submit_claim",
    "confirm_transmission",
    "fix_rejection",
    "bill_secondary",
    "appeal_denial",
    "timely_filing_risk",
    "bill_rental",
    "billing_held",
    "follow_up_claim_status",
    "coverage_inactive",
    "restock",
]


def patient_name(row: Any) -> str | None:
    """ "Last, First" from a row with `PATIENT_COLUMNS`; None while the patient is unprojected."""
    if row.patient_last_name is None:
        return None
    return f"{row.patient_last_name}, {row.patient_first_name}"


def _summary_fields(row: Any) -> dict[str, Any]:
    step = next_action(
        row.status,
        row.balance,
        row.current_payer_id,
        row.secondary_payer_id,
        row.denial_carcs,
        crossed_over=row.crossed_over_on is not None,
        payer_status=row.payer_status_category,
    )
    return {
        "patient_name": patient_name(row),
        "account_number": row.patient_account_number,
        "next_action": step.action,
        "next_action_why": step.why,
        "id": row.claim_id,
        "order_id": row.order_id,
        "patient_id": row.patient_id,
        "patient_control_number": row.patient_control_number,
        "billing_month": row.billing_month,
        "status": row.status,
        "payer_id": row.payer_id,
        "current_payer_id": row.current_payer_id,
        "charge_total": row.charge_total,
        "paid": row.paid,
        "balance": row.balance,
        "service_from": row.service_from,
        "service_to": row.service_to,
        "days_outstanding": (row.local_today - row.service_from).days,
        "timely_filing_deadline": row.timely_filing_deadline,
        "version": row.version,
    }


_DETAIL_FIELDS = (
    "billed_payer_id",
    "secondary_payer_id",
    "frequency_code",
    "replaces_claim_id",
    "adjusted",
    "patient_responsibility",
    "patient_paid",
    "written_off",
    "filed",
    "submission_count",
    "interchange_control_number",
    "submitted_at",
    "accepted_at",
    "rejected_at",
    "rejection_reasons",
    "payer_claim_control_number",
    "adjudication_outcome",
    "adjudicated_on",
    "denial_carcs",
    "first_paid_on",
    "days_to_payment",
    "appeal_level",
    "appeal_status",
    "appeal_deadline",
    "voided_on",
    "replaced_by_claim_id",
    "closed_on",
    "drafted_at",
    "updated_at",
    "crossed_over_on",
)
_LINE_FIELDS = (
    "line_number",
    "order_line_id",
    "hcpcs",
    "modifiers",
    "units",
    "billing",
    "rental_month",
    "from_date",
    "to_date",
    "charge",
    "expected_allowed",
    "allowed",
    "paid",
    "balance",
    "current_payer_id",
)


# --- Response models --------------------------------------------------------------------------


class ClaimSummary(BaseModel):
    """A claim as lists show it."""

    id: UUID
    order_id: UUID
    patient_id: UUID
    patient_name: str | None = Field(
        None, description="Last, First (PHI: the read is access-logged)", examples=["Rivera, Ana"]
    )
    account_number: str | None = Field(None, examples=["AMFRGGZDF"])
    patient_control_number: str = Field(..., examples=["7D3C0E4F5A6B7C8D9E0F"])
    billing_month: str = Field(..., examples=["2026-06"])
    status: str = Field(..., examples=["submitted"])
    payer_id: str = Field(..., description="original (primary) payer", examples=["MCR-DMEB"])
    current_payer_id: str | None = Field(
        None, description="who owes the balance now: a payer id or `patient`", examples=["MCR-DMEB"]
    )
    charge_total: Decimal = Field(..., examples=["180.00"])
    paid: Decimal = Field(..., examples=["0.00"])
    balance: Decimal = Field(..., examples=["180.00"])
    service_from: dt.date
    service_to: dt.date
    days_outstanding: int = Field(
        ..., description="days since service_from, to today at the claim's location (its zone)"
    )
    timely_filing_deadline: dt.date
    next_action: str = Field(
        ...,
        description="submit, correct, appeal_or_resubmit, bill_secondary, "
        "patient_statement, refund_or_write_off, close, wait or none",
        examples=["submit"],
    )
    next_action_why: str = Field(..., examples=["draft: submit it to MCR-DMEB"])
    version: int = Field(..., examples=[4])

    @classmethod
    def of_row(cls, row: Any) -> ClaimSummary:
        """From a `claim_page` row; `days_outstanding` counts to its `local_today`."""
        return cls(**_summary_fields(row))


class ClaimLineView(BaseModel):
    id: UUID
    line_number: int = Field(..., examples=[1])
    order_line_id: UUID
    hcpcs: str = Field(..., examples=["E0260"])
    modifiers: list[str] = Field(..., examples=[["RR", "KH"]])
    units: int = Field(..., examples=[1])
    billing: str = Field(..., examples=["rental"])
    rental_month: int | None = Field(None, examples=[1])
    from_date: dt.date
    to_date: dt.date
    charge: Decimal = Field(..., examples=["140.00"])
    expected_allowed: Decimal = Field(..., examples=["140.00"])
    allowed: Decimal | None = None
    paid: Decimal = Field(..., examples=["0.00"])
    balance: Decimal = Field(..., examples=["140.00"])
    current_payer_id: str | None = Field(None, examples=["MCR-DMEB"])


class LedgerEntryView(BaseModel):
    line_id: UUID
    event: str = Field(..., description="the claim event that posted it", examples=["Adjudicated"])
    kind: str = Field(..., examples=["payment"])
    party: str = Field(..., examples=["MCR-DMEB"])
    amount: Decimal = Field(
        ..., description="signed: + raises what the party owes, - lowers it", examples=["-84.00"]
    )
    posted_on: dt.date
    cas_group: str | None = Field(None, examples=["CO"])
    carc: str | None = Field(None, examples=["45"])
    rarcs: list[str] = Field(default_factory=list, examples=[["N115"]])
    reference: str | None = Field(None, examples=["TRN-0001"])


class ClaimDetail(ClaimSummary):
    """A claim with its lines, its ledger and everything the read model knows."""

    billed_payer_id: str
    secondary_payer_id: str | None = None
    frequency_code: str = Field(..., examples=["1"])
    replaces_claim_id: UUID | None = None
    adjusted: Decimal
    patient_responsibility: Decimal
    patient_paid: Decimal
    written_off: Decimal
    filed: bool
    submission_count: int
    interchange_control_number: str | None = None
    submitted_at: dt.datetime | None = None
    accepted_at: dt.datetime | None = None
    rejected_at: dt.datetime | None = None
    rejection_reasons: list[str]
    payer_claim_control_number: str | None = None
    adjudication_outcome: str | None = None
    adjudicated_on: dt.date | None = None
    denial_carcs: list[str]
    first_paid_on: dt.date | None = None
    days_to_payment: int | None = None
    appeal_level: str | None = None
    appeal_status: str | None = None
    appeal_deadline: dt.date | None = None
    voided_on: dt.date | None = None
    replaced_by_claim_id: UUID | None = None
    closed_on: dt.date | None = None
    drafted_at: dt.datetime
    updated_at: dt.datetime
    crossed_over_on: dt.date | None = Field(
        None,
        description="CLP02 19/20/21: the payer forwarded the claim to the next payer itself; "
        "nobody bills the secondary or the patient by hand",
    )
    lines: list[ClaimLineView]
    ledger: list[LedgerEntryView]

    @classmethod
    def of_record(cls, record: ClaimRecord) -> ClaimDetail:
        row = record.claim
        return cls(
            **_summary_fields(row),
            **{name: getattr(row, name) for name in _DETAIL_FIELDS},
            lines=[
                ClaimLineView(
                    id=line.line_id, **{name: getattr(line, name) for name in _LINE_FIELDS}
                )
                for line in record.lines
            ],
            ledger=[
                LedgerEntryView(
                    line_id=entry.line_id,
                    event=entry.event_type,
                    kind=entry.kind,
                    party=entry.party,
                    amount=entry.amount,
                    posted_on=entry.posted_on,
                    cas_group=entry.cas_group,
                    carc=entry.carc,
                    rarcs=entry.rarcs,
                    reference=entry.reference,
                )
                for entry in record.ledger
            ],
        )


class WorkItem(BaseModel):
    """Something to do next (`kind`) and why (`detail`), with what a biller reads beside it."""

    kind: WorkItemKind
    subject_id: UUID = Field(
        ...,
        description="the claim; for bill_rental the order line, for billing_held the billing "
        "hold, for coverage_inactive the coverage, for restock the stock ledger",
    )
    claim_id: UUID | None = None
    order_id: UUID | None = Field(None, description="none for coverage_inactive and restock")
    patient_id: UUID | None = Field(None, description="none for restock")
    patient_name: str | None = Field(
        None, description="Last, First (PHI: the read is access-logged)", examples=["Rivera, Ana"]
    )
    account_number: str | None = Field(None, examples=["AMFRGGZDF"])
    payer_id: str | None = Field(None, examples=["MCR-DMEB"])
    due_on: dt.date
    detail: str = Field(..., examples=["draft claim for 2026-06: scrub and submit"])
    opened_at: dt.datetime
    charge_total: Decimal | None = Field(None, description="the claim's", examples=["180.00"])
    paid: Decimal | None = Field(None, examples=["0.00"])
    balance: Decimal | None = Field(None, examples=["180.00"])
    current_payer_id: str | None = Field(None, examples=["MCR-DMEB"])
    age_days: int | None = Field(
        None, description="days since the claim's first date of service, to today at the "
        "claim's location (its time zone)"
    )

    @classmethod
    def of_row(cls, row: Any) -> WorkItem:
        """From a `work_item_page` row; `age_days` counts to its `local_today`."""
        served = row.claim_service_from
        return cls(
            kind=row.kind,
            subject_id=row.subject_id,
            claim_id=row.claim_id,
            order_id=row.order_id,
            patient_id=row.patient_id,
            patient_name=patient_name(row),
            account_number=row.patient_account_number,
            payer_id=row.payer_id,
            due_on=row.due_on,
            detail=row.detail,
            opened_at=row.opened_at,
            charge_total=row.claim_charge_total,
            paid=row.claim_paid,
            balance=row.claim_balance,
            current_payer_id=row.claim_current_payer_id,
            age_days=(row.local_today - served).days if served is not None else None,
        )


class AgingRow(BaseModel):
    """Open balances one party (a payer, or `patient`) owes, by days since date of service."""

    payer_id: str = Field(..., examples=["MCR-DMEB"])
    open_claims: int = Field(..., examples=[12])
    balance: Decimal = Field(..., examples=["2160.00"])
    days_0_30: Decimal = Field(..., examples=["720.00"])
    days_31_60: Decimal = Field(..., examples=["540.00"])
    days_61_90: Decimal = Field(..., examples=["360.00"])
    days_91_120: Decimal = Field(..., examples=["180.00"])
    days_over_120: Decimal = Field(..., examples=["360.00"])


class AgingReport(BaseModel):
    as_of: dt.date
    payers: list[AgingRow]

    @classmethod
    def of(cls, aging: Aging) -> AgingReport:
        return cls(as_of=aging.as_of, payers=[AgingRow(**payer) for payer in aging.payers])


# --- Request models -----------------------------------------------------------------------------


class AppealRequest(BaseModel):
    level: Literal["redetermination", "reconsideration"] = Field(..., examples=["redetermination"])
    reason: str = Field(
        ..., min_length=1, max_length=2000, examples=["the item meets the LCD's criteria"]
    )
    filed_on: IsoDate | None = Field(None, description="default: today")


class TransmissionSettlement(BaseModel):
    """What the clearinghouse said, asked by a person, of an interchange it could not confirm
    by itself (work-queue kind `confirm_transmission`)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"received": True}]})

    received: StrictBool = Field(
        ...,
        description="true: it has the interchange (the claim was submitted in it); false: "
        "it never received it (the claim is scrubbed again, to be submitted anew).",
    )


class VoidRequest(BaseModel):
    reason: str = Field(..., min_length=1, max_length=2000, examples=["billed in error"])
