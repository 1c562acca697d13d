"""Payers the tenant bills, the handlers: what claims need of a payer (SBR09, the X12 payer id
the clearinghouse routes on, the timely filing limit) is maintained here; coverages name a
payer by its payer id. Reads are scoped to the caller's tenant (another tenant's payer: 404).
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from interfaces.http.commands import CommandAccepted, ExpectedVersion, command_response
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import Allowed
from interfaces.http.problems import ProblemResponses
from interfaces.http.reads import (
    Cursor,
    MinPosition,
    Page,
    PageSize,
    one_hop,
)
from interfaces.http.resource_routes import ReadModel
from interfaces.http.schemas.setup import NewPayer, PayerCorrection, PayerView
from interfaces.http.security import AUTH_RESPONSES
from projections.queries import setup as queries

router = APIRouter(prefix="/v1/payers", tags=["payers"], responses=AUTH_RESPONSES)

READ_MODEL = ReadModel("setup")

_errors = ProblemResponses({
    400: "malformed If-Match or cursor",
    404: "no such payer (or not in your tenant)",
    409: "a business rule refused the command (`rule` names it: a payer id you have "
         "already, a filing limit in both months and days, an unknown SBR09 code)",
    412: "If-Match names a version that is no longer current",
    422: "the request is not valid (`errors` gives each field's path)",
})


@router.post(
    "",
    operation_id="register_payer",
    summary="Register a payer",
    status_code=201,
    response_model=CommandAccepted,
    responses=_errors(409, 422),
)
def register_payer(
    body: NewPayer, principal: Allowed("register_payer"), aries: AriesDep
) -> JSONResponse:
    """A payer your coverages may name by `payer_id` (unique in your tenant)."""
    result = aries.setup.register_payer(body.to_domain())
    return command_response(result, 201, location=f"{router.prefix}/{result.id}")


@router.get(
    "",
    operation_id="list_payers",
    summary="List your payers",
    response_model=Page[PayerView],
    responses=_errors(400, 422),
)
@one_hop
def list_payers(
    principal: Allowed("list_payers"),
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
    payer_type: Annotated[
        Literal["medicare", "medicaid", "commercial"] | None, Query(description="only these")
    ] = None,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Page[PayerView]:
    """Your payers by payer id."""
    return READ_MODEL.page(
        PayerView, aries, response, min_position, cursor, (str, UUID),
        lambda conn, after: queries.payer_page(
            conn, principal.tenant_id, payer_type=payer_type, after=after, limit=limit
        ),
    )


@router.get(
    "/{payer_record_id}",
    operation_id="read_payer",
    summary="Read a payer",
    response_model=PayerView,
    responses=_errors(404, 422),
)
@one_hop
def read_payer(
    payer_record_id: UUID,
    principal: Allowed("read_payer"),
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
) -> PayerView:
    """One payer; the ETag is its version."""
    row = READ_MODEL.versioned_row(
        aries, response, min_position, "payer", payer_record_id,
        lambda conn: queries.payer(conn, payer_record_id, principal.tenant_id),
    )
    return PayerView.of_row(row)


@router.patch(
    "/{payer_record_id}",
    operation_id="correct_payer",
    summary="Correct a payer",
    response_model=CommandAccepted,
    responses=_errors(400, 404, 409, 412, 422),
)
def correct_payer(
    payer_record_id: UUID,
    body: PayerCorrection,
    principal: Allowed("correct_payer"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Change the named fields (the payer id never changes); send If-Match. Claims drafted
    later use the new filing limit and SBR09."""
    return command_response(
        aries.setup.correct_payer(payer_record_id, body.changes(), expected_version=expected)
    )


@router.post(
    "/{payer_record_id}/retire",
    operation_id="retire_payer",
    summary="Retire a payer",
    response_model=CommandAccepted,
    responses=_errors(400, 404, 409, 412, 422),
)
def retire_payer(
    payer_record_id: UUID,
    principal: Allowed("retire_payer"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Keep the payer for the claims that name it, but add no new coverage for it."""
    return command_response(aries.setup.retire_payer(payer_record_id, expected_version=expected))
