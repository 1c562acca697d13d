"""Fee schedules: import CMS's quarterly DMEPOS file or a payer's contracted rates, and list
what was imported. An import is one transaction (`application.fee_schedules`), quick even for
CMS's whole file, so it answers at once rather than as a job. Queries read the `catalogue`
projection's tables, scoped to the caller's tenant."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from domain.errors import NotFound
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import Allowed
from interfaces.http.problems import ProblemError, ProblemResponses
from interfaces.http.reads import (
    Cursor,
    MinPosition,
    Page,
    PageSize,
    one_hop,
)
from interfaces.http.resource_routes import ReadModel
from interfaces.http.schemas.fee_schedules import (
    EXAMPLE_CMS_CSV,
    FeeScheduleImported,
    FeeScheduleOut,
    Source,
)
from interfaces.http.schemas.values import IsoDate
from interfaces.http.security import AUTH_RESPONSES
from interfaces.http.uploads import uploaded_file
from projections.queries import catalogue as queries

router = APIRouter(prefix="/v1/fee-schedules", tags=["fee schedules"], responses=AUTH_RESPONSES)

READ_MODEL = ReadModel("catalogue")
CSV_TYPES = ("text/csv", "text/plain", "application/octet-stream")
PAYER = Query(min_length=1, max_length=40, description="the payer it prices", examples=["MCR-DMEB"])

_errors = ProblemResponses({
    400: "the body is empty, the multipart form has no `file`, or a bad cursor",
    404: "no such fee schedule in your tenant",
    409: "the file or its date is refused (`rule` names why: not a DMEPOS file, an unknown "
    "payer, a CMS file not starting on a quarter)",
    415: "the body is neither text/csv nor a multipart form",
    422: "the request is malformed (`errors[].loc` points at each field)",
})


@router.post(
    "",
    operation_id="import_fee_schedule",
    summary="Import a CMS DMEPOS fee schedule file or a payer's contracted rates",
    status_code=201,
    response_model=FeeScheduleImported,
    responses={
        200: {"description": "the same file was imported before: nothing recorded"},
        **_errors(400, 409, 415, 422),
    },
    # The body is read raw (not a model): describe it here.
    openapi_extra={"requestBody": {"required": True, "content": {
        "text/csv": {"schema": {"type": "string"}, "example": EXAMPLE_CMS_CSV},
    }}},
)
async def import_fee_schedule(
    request: Request,
    principal: Allowed("import_fee_schedule"),
    aries: AriesDep,
    payer_id: Annotated[str, PAYER],
    effective_from: Annotated[
        IsoDate, Query(description="first date of service it prices (CMS: a quarter's first day)")
    ],
    source: Annotated[Source, Query(description="cms_dmepos or contract")] = "cms_dmepos",
    file_name: Annotated[
        str, Query(min_length=1, max_length=200, description="the file's name, for the record")
    ] = "upload.csv",
) -> JSONResponse:
    """The CSV as the body (text/csv) or a multipart `file`. CMS's file in its published layout
    (`HCPCS, Mod, Mod2, JURIS, CATG, Ceiling, Floor, AL (NR), AL (R), ...`); a contract file
    with `hcpcs, modifier, amount` (optional `modifier_2, state, rural_amount`). 201 when
    imported, 200 when the same file was imported before."""
    content = await uploaded_file(request, CSV_TYPES, "the file")
    if not content.strip():
        raise ProblemError(400, "Bad request", "the file is empty")
    result = await run_in_threadpool(
        aries.fee_schedules.import_file,
        payer_id=payer_id, source=source, effective_from=effective_from,
        file_name=file_name, content=content,
    )
    body = FeeScheduleImported(
        schedule_id=result.schedule_id, imported=result.imported,
        row_count=result.row_count, position=result.position,
    )
    return JSONResponse(
        body.model_dump(mode="json"), status_code=201 if result.imported else 200,
        headers={"Location": f"{router.prefix}/{result.schedule_id}"},
    )


@router.get(
    "",
    operation_id="list_fee_schedules",
    summary="List imported fee schedules",
    response_model=Page[FeeScheduleOut],
    responses=_errors(400, 422),
)
@one_hop
def list_fee_schedules(
    principal: Allowed("list_fee_schedules"),
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
    payer_id: Annotated[str | None, PAYER] = None,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Page[FeeScheduleOut]:
    """Latest effective date first; for a payer, the first one effective on or before a date
    of service is the one in force (of equal dates, the later import)."""
    return READ_MODEL.page(
        FeeScheduleOut, aries, response, min_position, cursor, (dt.date.fromisoformat, UUID),
        lambda conn, after: queries.schedule_page(
            conn, principal.tenant_id, payer_id=payer_id, after=after, limit=limit
        ),
    )


@router.get(
    "/{schedule_id}",
    operation_id="read_fee_schedule",
    summary="Read an imported fee schedule",
    response_model=FeeScheduleOut,
    responses=_errors(404, 422),
)
@one_hop
def read_fee_schedule(
    schedule_id: UUID,
    principal: Allowed("read_fee_schedule"),
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
) -> FeeScheduleOut:
    """What was imported: payer, source, effective date, file name and SHA-256, row count."""
    READ_MODEL.wait(aries, response, min_position)
    with aries.read_engine.connect() as conn:
        row = queries.schedule_row(conn, schedule_id, principal.tenant_id)
    if row is None:
        raise NotFound("fee schedule", schedule_id)
    return FeeScheduleOut.of_row(row)
