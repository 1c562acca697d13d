"""Insurance claims: lines, ledger, balance; submission (and settling an unconfirmed
transmission), appeals, void; the work queue and the AR aging: the handlers. (The 837P,
`GET /v1/claims/{id}/x12`, is in routes/x12.py.)

Queries read the `claims` and `work_queue` read models and the `read.ar_aging` view
(projections/queries/claims.py, work_queue.py); commands go to the ClaimApplication. Every
query is scoped to the caller's tenant: another tenant's claim is a 404. Bodies are in
interfaces/http/schemas/claims.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Connection

from application.identity import Principal
from domain.claim_values import AppealLevel
from domain.errors import NotFound
from interfaces.http.access import READ, SEARCH, record_access
from interfaces.http.bounds import INTEGER_MAX
from interfaces.http.claim_commands import claim_command, submission_job
from interfaces.http.commands import (
    ExpectedVersion,
    command_response,
    etag,
)
from interfaces.http.csv_pages import CSV_RESPONSES, csv_page, wants_csv
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import Allowed
from interfaces.http.problems import ProblemResponses
from interfaces.http.reads import (
    Cursor,
    MinPosition,
    Page,
    PageSize,
    decode_cursor,
    next_cursor,
    one_hop,
    wait_for_read_model,
)
from interfaces.http.schemas.claims import (
    BUCKET_DAYS,
    AgingBucket,
    AgingReport,
    AppealRequest,
    ClaimDetail,
    ClaimSummary,
    TransmissionSettlement,
    VoidRequest,
    WorkItem,
    WorkItemKind,
)
from interfaces.http.schemas.values import IsoDate
from interfaces.http.security import AUTH_RESPONSES
from projections.queries import claims as queries
from projections.queries.local_today import AskedAt
from projections.queries.work_queue import work_item_page

P = TypeVar("P", bound=Page[Any])

router = APIRouter(prefix="/v1/claims", tags=["claims"], responses=AUTH_RESPONSES)
# The PHI access log's fields class of a read of claims (their diagnoses).
CLAIMS = "claims"

_errors = ProblemResponses({400: "malformed cursor", 404: "no such claim in your tenant"})


# --- Queries (declared before /{claim_id}, which would otherwise match them) ----------------


@router.get(
    "/work-queue",
    operation_id="read_work_queue",
    response_model=Page[WorkItem],
    responses={**CSV_RESPONSES, **_errors(400)},
)
@one_hop
def read_work_queue(
    principal: Allowed("read_work_queue", phi=CLAIMS),
    aries: AriesDep,
    request: Request,
    response: Response,
    min_position: MinPosition,
    kind: Annotated[list[WorkItemKind] | None, Query(description="only these kinds")] = None,
    due_by: Annotated[
        IsoDate | None, Query(description="only items due on or before this date")
    ] = None,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Page[WorkItem] | Response:
    """What needs doing next (claims to submit, rejections to fix, denials to appeal, rentals
    to bill, timely filing risks), soonest due first, each with the patient's name and account
    number (access-logged), the claim's amounts and age. `min_position` is a Claims-log
    position."""
    return _named_page(
        Page[WorkItem], WorkItem, aries, principal, request, response,
        projection="work_queue", min_position=min_position,
        cursor=decode_cursor(cursor, (dt.date.fromisoformat, str, UUID)),
        query=lambda conn, after, asked: work_item_page(
            conn, principal.tenant_id, kinds=kind, due_by=due_by, asked=asked, after=after,
            limit=limit,
        ),
        csv_name="work-queue.csv",
    )


@router.get("/aging", operation_id="read_ar_aging", response_model=AgingReport)
@one_hop
def read_ar_aging(
    principal: Allowed("read_ar_aging"),
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
) -> AgingReport:
    """Accounts receivable aging by payer (and patient): open balances in 0-30, 31-60, 61-90,
    91-120 and 120+ days since the first date of service, each claim's as of today at the
    location it bills as (in the location's time zone)."""
    wait_for_read_model(aries, response, "claims", "claims", min_position)
    with aries.read_engine.connect() as conn:
        return AgingReport.of(
            queries.aging(conn, principal.tenant_id, AskedAt.of(aries.claims.clock))
        )


@router.get(
    "", operation_id="list_claims", response_model=Page[ClaimSummary],
    responses={**CSV_RESPONSES, **_errors(400)},
)
@one_hop
def list_claims(
    principal: Allowed("list_claims", phi=CLAIMS),
    aries: AriesDep,
    request: Request,
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
        int | None,
        Query(
            ge=0, le=INTEGER_MAX, description="open claims at least this many days since service"
        ),
    ] = None,
    order_id: UUID | None = None,
    patient_id: UUID | None = None,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Page[ClaimSummary] | Response:
    """Claims of your tenant, oldest drafted first, each with the patient's name and account
    number (access-logged) and the next action and why. `min_position` is a Claims-log
    position; the claim drafted for a delivered order appears once the worker has drafted it."""
    return _named_page(
        Page[ClaimSummary], ClaimSummary, aries, principal, request, response,
        projection="claims", min_position=min_position,
        cursor=decode_cursor(cursor, (dt.datetime.fromisoformat, UUID)),
        query=lambda conn, after, asked: queries.claim_page(
            conn, principal.tenant_id, asked=asked, statuses=status, payer_id=payer_id,
            order_id=order_id, patient_id=patient_id,
            days_outstanding=BUCKET_DAYS[aging] if aging is not None else None,
            min_days_outstanding=min_days_outstanding, after=after, limit=limit,
        ),
        csv_name="claims.csv",
    )


@router.get(
    "/{claim_id}", operation_id="read_claim", response_model=ClaimDetail, responses=_errors(404)
)
@one_hop
def read_claim(
    claim_id: UUID,
    principal: Allowed("read_claim", phi=CLAIMS),
    aries: AriesDep,
    request: Request,
    response: Response,
    min_position: MinPosition,
) -> ClaimDetail:
    """One claim: its lines, its ledger (every payment, adjustment, CARC and RARC), balance and
    current payer. The ETag is the claim's version (send it as If-Match on a command)."""
    wait_for_read_model(aries, response, "claims", "claims", min_position)
    with aries.read_engine.connect() as conn:
        record = queries.claim_record(
            conn, claim_id, principal.tenant_id, AskedAt.of(aries.claims.clock)
        )
    if record is None:
        raise NotFound("claim", claim_id)
    detail = ClaimDetail.of_record(record)
    record_access(aries, principal, request, action=READ, fields_class=CLAIMS,
                  patient_ids=[detail.patient_id])
    response.headers["ETag"] = etag(record.claim.version)
    return detail


def _named_page(
    page_type: type[P],
    model: Any,
    aries: AriesDep,
    principal: Principal,
    request: Request,
    response: Response,
    *,
    projection: str,
    min_position: int | None,
    cursor: Sequence[Any] | None,
    query: Callable[[Connection, Sequence[Any] | None, AskedAt], Any],
    csv_name: str,
) -> P | Response:
    """One page of a claims list: wait until `projection` has reached `min_position`, read the
    page after `cursor` (`query(conn, after, asked)`: asked at the clock's instant, so each row
    carries today at its claim's location), log the patients it names, answer each row as
    `model.of_row(row)`, as JSON or (when asked) as the CSV file `csv_name`."""
    wait_for_read_model(aries, response, projection, "claims", min_position)
    asked = AskedAt.of(aries.claims.clock)
    with aries.read_engine.connect() as conn:
        found = query(conn, cursor, asked)
    _record_search(aries, principal, request, found.rows)
    page = page_type(
        items=[model.of_row(row) for row in found.rows],
        next_cursor=next_cursor(found.next_key),
    )
    if wants_csv(request):
        return csv_page(page.items, model, page.next_cursor, csv_name)
    return page


def _record_search(
    aries: AriesDep, principal: Principal, request: Request, rows: Sequence[Any]
) -> None:
    """A list names patients: one SEARCH entry with every patient on the page."""
    patient_ids = list(dict.fromkeys(row.patient_id for row in rows if row.patient_id))
    # Claims carry diagnoses: a page of them is a search of the patients they name.
    record_access(aries, principal, request, action=SEARCH, patient_ids=patient_ids,
                  fields_class=CLAIMS)


# --- Commands -----------------------------------------------------------------------------------


@claim_command(router, "/{claim_id}/submit", "submit_claim", status_code=202)
def submit_claim(
    claim_id: UUID,
    principal: Allowed("submit_claim"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Scrub the claim and ask for it to go out in the next 837P batch (202: the clearinghouse
    submission happens in the background; follow it at `Location`, the job). A failed scrub is
    a 409 naming the first rule."""
    result = aries.claims.submit(claim_id, expected_version=expected)
    return submission_job(aries, principal, claim_id, result)


@claim_command(router, "/{claim_id}/transmission-settlement", "settle_claim_transmission")
def settle_claim_transmission(
    claim_id: UUID,
    body: TransmissionSettlement,
    principal: Allowed("settle_claim_transmission"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Record what the clearinghouse says of an interchange it could not confirm by itself
    (work-queue kind `confirm_transmission`): received, or never received. 409 unless the
    claim's transmission is unconfirmed."""
    result = aries.claims.settle_transmission(
        claim_id, received=body.received, expected_version=expected
    )
    return command_response(result)


@claim_command(router, "/{claim_id}/appeals", "appeal_claim")
def appeal_claim(
    claim_id: UUID,
    body: AppealRequest,
    principal: Allowed("appeal_claim"),
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


@claim_command(router, "/{claim_id}/void", "void_claim")
def void_claim(
    claim_id: UUID,
    body: VoidRequest,
    principal: Allowed("void_claim"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Void a filed claim (frequency code 8): each line's charge is reversed."""
    result = aries.claims.void(claim_id, reason=body.reason, expected_version=expected)
    return command_response(result)
