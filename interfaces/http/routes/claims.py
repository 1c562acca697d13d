"""Insurance claims: lines, ledger, balance; submission, appeals, void; the work queue and the
AR aging. (The 837P, `GET /v1/claims/{id}/x12`, is in routes/x12.py.)

Queries read the `claims` and `work_queue` read models (projections/claims.py,
projections/work_queue.py) and the `read.ar_aging` view; commands go to the ClaimApplication.
Every query is scoped to the caller's tenant: another tenant's claim is a 404.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
    and_,
    func,
    literal,
    or_,
    select,
)

from application.identity import Principal
from domain.claim_values import AppealLevel
from domain.context import SYSTEM_TENANT
from domain.errors import NotFound
from interfaces.http.commands import (
    CommandAccepted,
    ExpectedVersion,
    JobAccepted,
    command_response,
    etag,
)
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import require
from interfaces.http.problems import Problem, ProblemError
from interfaces.http.reads import (
    Cursor,
    MinPosition,
    Page,
    PageSize,
    decode_cursor,
    encode_cursor,
    wait_for_read_model,
)
from interfaces.http.security import AUTH_RESPONSES
from interfaces.workers.jobs import JobStore, job_id_for_submission
from projections.tables import claim_ledger_entries, claim_lines, claims, work_queue

router = APIRouter(prefix="/v1/claims", tags=["claims"], responses=AUTH_RESPONSES)

_PROBLEM = {"application/problem+json": {"schema": Problem.model_json_schema()}}
NOT_FOUND = {404: {"description": "no such claim in your tenant", "content": _PROBLEM}}
BAD_QUERY = {400: {"description": "malformed cursor", "content": _PROBLEM}}
COMMAND_ERRORS: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {
        "description": "a claim rule refused the command (`rule` names it), or a concurrent "
        "change",
        "content": _PROBLEM,
    },
    412: {"description": "If-Match names a version the claim has moved past", "content": _PROBLEM},
}

# The AR aging view (migration 0006). Declared here, not in projections.tables: it is no
# projection's table, and the migration comparison must not expect a table of that name.
ar_aging = Table(
    "ar_aging",
    MetaData(schema="read"),
    Column("tenant_id", Text),
    Column("payer_id", Text),
    Column("open_claims", Integer),
    Column("balance", Numeric),
    Column("days_0_30", Numeric),
    Column("days_31_60", Numeric),
    Column("days_61_90", Numeric),
    Column("days_91_120", Numeric),
    Column("days_over_120", Numeric),
    Column("as_of", Date),
)


class AgingBucket(StrEnum):
    D0_30 = "0-30"
    D31_60 = "31-60"
    D61_90 = "61-90"
    D91_120 = "91-120"
    OVER_120 = "120+"


BUCKET_DAYS = {
    AgingBucket.D0_30: (None, 30),
    AgingBucket.D31_60: (31, 60),
    AgingBucket.D61_90: (61, 90),
    AgingBucket.D91_120: (91, 120),
    AgingBucket.OVER_120: (121, None),
}

WorkItemKind = Literal[
    "submit_claim",
    "fix_rejection",
    "bill_secondary",
    "appeal_denial",
    "timely_filing_risk",
    "bill_rental",
]

# --- Response models --------------------------------------------------------------------------


class ClaimSummary(BaseModel):
    """A claim as lists show it."""

    id: UUID
    order_id: UUID
    patient_id: UUID
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
    days_outstanding: int = Field(..., description="days since service_from (today, UTC)")
    timely_filing_deadline: dt.date
    version: int = Field(..., examples=[4])


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
    lines: list[ClaimLineView]
    ledger: list[LedgerEntryView]


class WorkItem(BaseModel):
    """Something to do next."""

    kind: WorkItemKind
    subject_id: UUID = Field(..., description="the claim, or for bill_rental the order line")
    claim_id: UUID | None = None
    order_id: UUID
    patient_id: UUID
    payer_id: str | None = Field(None, examples=["MCR-DMEB"])
    due_on: dt.date
    detail: str = Field(..., examples=["draft claim for 2026-06: scrub and submit"])
    opened_at: dt.datetime


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


# --- Request models -----------------------------------------------------------------------------


class AppealRequest(BaseModel):
    level: Literal["redetermination", "reconsideration"] = Field(..., examples=["redetermination"])
    reason: str = Field(
        ..., min_length=1, max_length=2000, examples=["the item meets the LCD's criteria"]
    )
    filed_on: dt.date | None = Field(None, description="default: today")


class VoidRequest(BaseModel):
    reason: str = Field(..., min_length=1, max_length=2000, examples=["billed in error"])


# --- Helpers ------------------------------------------------------------------------------------


def _tenant_filter(column: Any, principal: Principal) -> Any:
    # The system tenant's admins act across tenants, as the applications let them.
    if principal.tenant_id == SYSTEM_TENANT:
        return True
    return column == principal.tenant_id


def _bad_cursor() -> ProblemError:
    return ProblemError(
        400, "Bad cursor", "the cursor is not one this API answered; start from page one",
        type_="https://aries.dev/problems/bad-cursor",
    )


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _summary(row: Any, today: dt.date) -> dict[str, Any]:
    return {
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
        "days_outstanding": (today - row.service_from).days,
        "timely_filing_deadline": row.timely_filing_deadline,
        "version": row.version,
    }


# --- Queries (declared before /{claim_id}, which would otherwise match them) ----------------


@router.get(
    "/work-queue",
    operation_id="read_work_queue",
    response_model=Page[WorkItem],
    responses=BAD_QUERY,
)
def read_work_queue(
    principal: Annotated[Principal, Depends(require("read_work_queue"))],
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
    kind: Annotated[list[WorkItemKind] | None, Query(description="only these kinds")] = None,
    due_by: Annotated[
        dt.date | None, Query(description="only items due on or before this date")
    ] = None,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Page[WorkItem]:
    """What needs doing next (claims to submit, rejections to fix, denials to appeal, rentals
    to bill, timely filing risks), soonest due first. `min_position` is a Claims-log position."""
    wait_for_read_model(aries, response, "work_queue", "claims", min_position)
    q = work_queue.c
    query = select(work_queue).where(_tenant_filter(q.tenant_id, principal))
    if kind:
        query = query.where(q.kind.in_(kind))
    if due_by is not None:
        query = query.where(q.due_on <= due_by)
    after = decode_cursor(cursor, 3)
    if after is not None:
        try:
            due_on, after_kind, subject = dt.date.fromisoformat(after[0]), after[1], UUID(after[2])
        except (TypeError, ValueError):
            raise _bad_cursor() from None
        query = query.where(
            or_(
                q.due_on > due_on,
                and_(q.due_on == due_on, q.kind > after_kind),
                and_(q.due_on == due_on, q.kind == after_kind, q.subject_id > subject),
            )
        )
    query = query.order_by(q.due_on, q.kind, q.subject_id).limit(limit + 1)
    with aries.read_engine.connect() as conn:
        found = conn.execute(query).all()
    items = [
        WorkItem(
            kind=row.kind,
            subject_id=row.subject_id,
            claim_id=row.claim_id,
            order_id=row.order_id,
            patient_id=row.patient_id,
            payer_id=row.payer_id,
            due_on=row.due_on,
            detail=row.detail,
            opened_at=row.opened_at,
        )
        for row in found[:limit]
    ]
    last = found[limit - 1] if len(found) > limit else None
    next_cursor = (
        encode_cursor([last.due_on, last.kind, last.subject_id]) if last is not None else None
    )
    return Page[WorkItem](items=items, next_cursor=next_cursor)


@router.get("/aging", operation_id="read_ar_aging", response_model=AgingReport)
def read_ar_aging(
    principal: Annotated[Principal, Depends(require("read_ar_aging"))],
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
) -> AgingReport:
    """Accounts receivable aging by payer (and patient): open balances in 0-30, 31-60, 61-90,
    91-120 and 120+ days since the first date of service, as of today."""
    wait_for_read_model(aries, response, "claims", "claims", min_position)
    a = ar_aging.c
    query = (
        select(ar_aging)
        .where(_tenant_filter(a.tenant_id, principal))
        .order_by(a.payer_id)
    )
    with aries.read_engine.connect() as conn:
        found = conn.execute(query).all()
        as_of = found[0].as_of if found else conn.execute(select(func.current_date())).scalar()
    rows: dict[str, dict[str, Any]] = {}
    for row in found:  # the system tenant sees every tenant's rows: add them up per payer
        total = rows.setdefault(
            row.payer_id,
            {"payer_id": row.payer_id, "open_claims": 0, "balance": Decimal("0.00"),
             **{b: Decimal("0.00") for b in _BUCKET_COLUMNS}},
        )
        total["open_claims"] += row.open_claims
        total["balance"] += row.balance
        for column in _BUCKET_COLUMNS:
            total[column] += getattr(row, column)
    return AgingReport(as_of=as_of, payers=[AgingRow(**r) for r in rows.values()])


_BUCKET_COLUMNS = ("days_0_30", "days_31_60", "days_61_90", "days_91_120", "days_over_120")


@router.get("", operation_id="list_claims", response_model=Page[ClaimSummary], responses=BAD_QUERY)
def list_claims(
    principal: Annotated[Principal, Depends(require("list_claims"))],
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
    status: Annotated[list[str] | None, Query(description="only these statuses")] = None,
    payer_id: Annotated[
        str | None, Query(max_length=40, description="current payer (or `patient`)")
    ] = None,
    aging: Annotated[
        AgingBucket | None,
        Query(description="open claims whose days since service fall in this bucket"),
    ] = None,
    min_days_outstanding: Annotated[
        int | None, Query(ge=0, description="open claims at least this many days since service")
    ] = None,
    order_id: UUID | None = None,
    patient_id: UUID | None = None,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Page[ClaimSummary]:
    """Claims of your tenant, oldest drafted first. `min_position` is a Claims-log position;
    the claim drafted for a delivered order appears once the worker has drafted it."""
    wait_for_read_model(aries, response, "claims", "claims", min_position)
    c = claims.c
    today = _today()
    days = literal(today, Date) - c.service_from
    query = select(claims).where(_tenant_filter(c.tenant_id, principal))
    if status:
        query = query.where(c.status.in_(status))
    if payer_id is not None:
        query = query.where(c.current_payer_id == payer_id)
    if order_id is not None:
        query = query.where(c.order_id == order_id)
    if patient_id is not None:
        query = query.where(c.patient_id == patient_id)
    if aging is not None or min_days_outstanding is not None:
        query = query.where(c.balance > 0)
    if aging is not None:
        low, high = BUCKET_DAYS[aging]
        if low is not None:
            query = query.where(days >= low)
        if high is not None:
            query = query.where(days <= high)
    if min_days_outstanding is not None:
        query = query.where(days >= min_days_outstanding)
    after = decode_cursor(cursor, 2)
    if after is not None:
        try:
            drafted_at, claim_id = dt.datetime.fromisoformat(after[0]), UUID(after[1])
        except (TypeError, ValueError):
            raise _bad_cursor() from None
        query = query.where(
            or_(c.drafted_at > drafted_at, and_(c.drafted_at == drafted_at, c.claim_id > claim_id))
        )
    query = query.order_by(c.drafted_at, c.claim_id).limit(limit + 1)
    with aries.read_engine.connect() as conn:
        found = conn.execute(query).all()
    items = [ClaimSummary(**_summary(row, today)) for row in found[:limit]]
    last = found[limit - 1] if len(found) > limit else None
    next_cursor = encode_cursor([last.drafted_at, last.claim_id]) if last is not None else None
    return Page[ClaimSummary](items=items, next_cursor=next_cursor)


@router.get(
    "/{claim_id}", operation_id="read_claim", response_model=ClaimDetail, responses=NOT_FOUND
)
def read_claim(
    claim_id: UUID,
    principal: Annotated[Principal, Depends(require("read_claim"))],
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
) -> ClaimDetail:
    """One claim: its lines, its ledger (every payment, adjustment, CARC and RARC), balance and
    current payer. The ETag is the claim's version (send it as If-Match on a command)."""
    wait_for_read_model(aries, response, "claims", "claims", min_position)
    with aries.read_engine.connect() as conn:
        row = conn.execute(
            select(claims).where(
                claims.c.claim_id == claim_id, _tenant_filter(claims.c.tenant_id, principal)
            )
        ).one_or_none()
        if row is None:
            raise NotFound("claim", claim_id)
        lines = conn.execute(
            select(claim_lines)
            .where(claim_lines.c.claim_id == claim_id)
            .order_by(claim_lines.c.line_number)
        ).all()
        l = claim_ledger_entries.c  # noqa: E741
        ledger = conn.execute(
            select(claim_ledger_entries)
            .where(l.claim_id == claim_id)
            .order_by(l.version, l.entry_index)
        ).all()
    detail = ClaimDetail(
        **_summary(row, _today()),
        **{
            name: getattr(row, name)
            for name in (
                "billed_payer_id", "secondary_payer_id", "frequency_code", "replaces_claim_id",
                "adjusted", "patient_responsibility", "patient_paid", "written_off", "filed",
                "submission_count", "interchange_control_number", "submitted_at",
                "accepted_at", "rejected_at", "rejection_reasons", "payer_claim_control_number",
                "adjudication_outcome", "adjudicated_on", "denial_carcs", "first_paid_on",
                "days_to_payment", "appeal_level", "appeal_status", "appeal_deadline",
                "voided_on", "replaced_by_claim_id", "closed_on", "drafted_at", "updated_at",
            )
        },
        lines=[
            ClaimLineView(
                id=line.line_id,
                **{
                    name: getattr(line, name)
                    for name in (
                        "line_number", "order_line_id", "hcpcs", "modifiers", "units",
                        "billing", "rental_month", "from_date", "to_date", "charge",
                        "expected_allowed", "allowed", "paid", "balance", "current_payer_id",
                    )
                },
            )
            for line in lines
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
            for entry in ledger
        ],
    )
    response.headers["ETag"] = etag(row.version)
    return detail


# --- Commands -----------------------------------------------------------------------------------


@router.post(
    "/{claim_id}/submit",
    status_code=202,
    operation_id="submit_claim",
    response_model=JobAccepted,
    responses=COMMAND_ERRORS,
)
def submit_claim(
    claim_id: UUID,
    principal: Annotated[Principal, Depends(require("submit_claim"))],
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Scrub the claim and ask for it to go out in the next 837P batch (202: the clearinghouse
    submission happens in the background; follow it at `Location`, the job). A failed scrub is
    a 409 naming the first rule."""
    result = aries.claims.submit(claim_id, expected_version=expected)
    job_id = job_id_for_submission(claim_id, result.submission_number)
    JobStore(aries.read_engine).queued(
        job_id, "claim_submission", principal.tenant_id, claim_id, str(principal.id)
    )
    return command_response(
        result, 202, location=f"/v1/jobs/{job_id}",
        extra={"job_id": str(job_id), "status": "queued"},
    )


@router.post(
    "/{claim_id}/appeals",
    operation_id="appeal_claim",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def appeal_claim(
    claim_id: UUID,
    body: AppealRequest,
    principal: Annotated[Principal, Depends(require("appeal_claim"))],
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """File a redetermination (within 120 days of the remittance) or a reconsideration (within
    180 days of an unfavourable redetermination)."""
    result = aries.claims.appeal(
        claim_id,
        level=AppealLevel[body.level.upper()],
        reason=body.reason,
        filed_on=body.filed_on,
        expected_version=expected,
    )
    return command_response(result)


@router.post(
    "/{claim_id}/void",
    operation_id="void_claim",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def void_claim(
    claim_id: UUID,
    body: VoidRequest,
    principal: Annotated[Principal, Depends(require("void_claim"))],
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Void a filed claim (frequency code 8): each line's charge is reversed."""
    result = aries.claims.void(claim_id, reason=body.reason, expected_version=expected)
    return command_response(result)
