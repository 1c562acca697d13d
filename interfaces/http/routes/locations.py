"""The supplier: its company (the tenant) and its locations (branches), the handlers.

Commands go to the Setup application and answer `{id, version, position}` with an ETag;
queries read the `setup` projection's tables (projections/queries/setup.py), scoped to the
caller's tenant (another tenant's location is a 404), and wait for `min_position`.
"""

from __future__ import annotations

from typing import Annotated
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
from interfaces.http.schemas.setup import (
    CompanyCorrection,
    CompanyView,
    LocationClosing,
    LocationCorrection,
    LocationView,
    NewCompany,
    NewLocation,
)
from interfaces.http.security import AUTH_RESPONSES
from projections.queries import setup as queries

router = APIRouter(tags=["supplier"], responses=AUTH_RESPONSES)

READ_MODEL = ReadModel("setup")
LOCATIONS = "/v1/locations"

_errors = ProblemResponses({
    400: "malformed If-Match or cursor",
    404: "no such company or location (or not in your tenant)",
    409: "a business rule refused the command (`rule` names it: an NPI failing its check, "
         "an unknown time zone, a closed location)",
    412: "If-Match names a version that is no longer current",
    422: "the request is not valid (`errors` gives each field's path)",
})


# --- the company ---------------------------------------------------------------------------


@router.post(
    "/v1/company",
    operation_id="register_company",
    summary="Register your company",
    status_code=201,
    response_model=CommandAccepted,
    responses=_errors(409, 422),
)
def register_company(
    body: NewCompany, principal: Allowed("register_company"), aries: AriesDep
) -> JSONResponse:
    """Register the supplier your tenant is (once: again is a 409 `a_tenant_is_one_company`)."""
    result = aries.setup.register_company(body.to_domain())
    return command_response(result, 201, location="/v1/company")


@router.get(
    "/v1/company",
    operation_id="read_company",
    summary="Read your company",
    response_model=CompanyView,
    responses=_errors(404, 422),
)
@one_hop
def read_company(
    principal: Allowed("read_company"),
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
) -> CompanyView:
    """Your company; the ETag is its version."""
    row = READ_MODEL.versioned_row(
        aries, response, min_position, "company", principal.tenant_id,
        lambda conn: queries.company(conn, principal.tenant_id),
    )
    return CompanyView.of_row(row)


@router.patch(
    "/v1/company",
    operation_id="correct_company",
    summary="Correct your company's details",
    response_model=CommandAccepted,
    responses=_errors(400, 404, 409, 412, 422),
)
def correct_company(
    body: CompanyCorrection,
    principal: Allowed("correct_company"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Change the named fields (an address or contact is replaced whole); send If-Match."""
    return command_response(aries.setup.correct_company(body.changes(),
                                                        expected_version=expected))


# --- locations -----------------------------------------------------------------------------


@router.post(
    LOCATIONS,
    operation_id="open_location",
    summary="Open a location",
    status_code=201,
    response_model=CommandAccepted,
    responses=_errors(409, 422),
)
def open_location(
    body: NewLocation, principal: Allowed("open_location"), aries: AriesDep
) -> JSONResponse:
    """A branch that bills on its own: NPI, PTAN, tax id, address, contact and time zone."""
    result = aries.setup.open_location(body.to_domain())
    return command_response(result, 201, location=f"{LOCATIONS}/{result.id}")


@router.get(
    LOCATIONS,
    operation_id="list_locations",
    summary="List your locations",
    response_model=Page[LocationView],
    responses=_errors(400, 422),
)
@one_hop
def list_locations(
    principal: Allowed("list_locations"),
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
    include_closed: Annotated[bool, Query(description="closed locations too")] = False,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Page[LocationView]:
    """Your locations by name (open ones unless `include_closed`)."""
    return READ_MODEL.page(
        LocationView, aries, response, min_position, cursor, (str, UUID),
        lambda conn, after: queries.location_page(
            conn, principal.tenant_id, include_closed=include_closed, after=after, limit=limit
        ),
    )


@router.get(
    f"{LOCATIONS}/{{location_id}}",
    operation_id="read_location",
    summary="Read a location",
    response_model=LocationView,
    responses=_errors(404, 422),
)
@one_hop
def read_location(
    location_id: UUID,
    principal: Allowed("read_location"),
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
) -> LocationView:
    """One location; the ETag is its version."""
    row = READ_MODEL.versioned_row(
        aries, response, min_position, "location", location_id,
        lambda conn: queries.location(conn, location_id, principal.tenant_id),
    )
    return LocationView.of_row(row)


@router.patch(
    f"{LOCATIONS}/{{location_id}}",
    operation_id="correct_location",
    summary="Correct a location's details",
    response_model=CommandAccepted,
    responses=_errors(400, 404, 409, 412, 422),
)
def correct_location(
    location_id: UUID,
    body: LocationCorrection,
    principal: Allowed("correct_location"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Change the named fields (an address or contact is replaced whole); send If-Match.
    Claims drafted later bill with the new details; a closed location is refused."""
    return command_response(
        aries.setup.correct_location(location_id, body.changes(), expected_version=expected)
    )


@router.post(
    f"{LOCATIONS}/{{location_id}}/close",
    operation_id="close_location",
    summary="Close a location",
    response_model=CommandAccepted,
    responses=_errors(400, 404, 409, 412, 422),
)
def close_location(
    location_id: UUID,
    body: LocationClosing,
    principal: Allowed("close_location"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Close a branch: its orders still bill as it, but no new order is placed at it."""
    return command_response(
        aries.setup.close_location(location_id, body.closed_on, expected_version=expected)
    )
