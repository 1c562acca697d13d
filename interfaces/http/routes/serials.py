"""Serialised units: where serial X is and its history, what patient Y rents, the rental census
by item and month, and the steps of a unit's life off the order (cleaning or maintenance,
back in stock, sold to the patient, retired). Delivery and pickup are the order's own
commands (routes/orders.py), which take the serials out of stock and bring them back.

A serial's location and history name the patient who rents (or rented) it: such a read is
recorded in the PHI access log, as a read of the patient's orders would be.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from application.identity import Principal
from domain.errors import NotFound
from interfaces.http.access import READ, record_access
from interfaces.http.commands import CommandAccepted, ExpectedVersion, command_response, etag
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
from interfaces.http.schemas.inventory import (
    CensusRow,
    Rental,
    RestockRequest,
    RetirementRequest,
    SaleRequest,
    SerialEvent,
    SerialHistory,
    SerialOut,
    ServiceRequest,
)
from interfaces.http.security import AUTH_RESPONSES
from projections.queries import inventory as queries

router = APIRouter(prefix="/v1", tags=["serials"], responses=AUTH_RESPONSES)

READ_MODEL = ReadModel("inventory", "orders")
# The PHI access log's fields class of a read naming who rents which device.
RENTALS = "rentals"
SerialPath = Annotated[
    str, Path(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
              examples=["BED-0001"])
]
MonthQuery = Annotated[
    str, Query(pattern=r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$", examples=["2026-11"])
]

_errors = ProblemResponses({
    400: "malformed If-Match header or cursor",
    404: "no such serial (or patient) in your tenant",
    409: "a business rule refused the command (`rule` names it), or a concurrent update",
    412: "If-Match names a version the serial has moved on from (reload it)",
    422: "the request is malformed (`errors[].loc` points at each field)",
})
COMMAND_ERRORS = _errors(400, 404, 409, 412, 422)


def _read_logged(aries: AriesDep, principal: Principal, request: Request, row) -> None:
    patients = [p for p in (row.patient_id,) if p is not None]
    if patients:
        record_access(aries, principal, request, action=READ, patient_ids=patients,
                      fields_class=RENTALS)


def _serial_row(aries: AriesDep, principal: Principal, serial: str):
    with aries.read_engine.connect() as conn:
        row = queries.serial_row(conn, principal.tenant_id, serial)
    if row is None:
        raise NotFound("serial", serial)
    return row


# --- Queries ---------------------------------------------------------------------------------


@router.get(
    "/serials/{serial}",
    operation_id="read_serial",
    summary="Where is this serial",
    response_model=SerialOut,
    responses={
        200: {"headers": {"ETag": {"description": "the serial's version, for If-Match"}}},
        **_errors(404, 422),
    },
)
@one_hop
def read_serial(
    serial: SerialPath,
    principal: Allowed("read_serial", phi=RENTALS),
    aries: AriesDep,
    request: Request,
    response: Response,
    min_position: MinPosition,
) -> SerialOut:
    """In stock at a location, with a patient (rented), picked up, in cleaning or maintenance,
    sold or retired. Naming the renting patient is access-logged."""
    READ_MODEL.wait(aries, response, min_position)
    row = _serial_row(aries, principal, serial)
    _read_logged(aries, principal, request, row)
    response.headers["ETag"] = etag(row.version)
    return SerialOut.of_row(row)


@router.get(
    "/serials/{serial}/history",
    operation_id="read_serial_history",
    summary="The life of a serial",
    response_model=SerialHistory,
    responses=_errors(404, 422),
)
@one_hop
def read_serial_history(
    serial: SerialPath,
    principal: Allowed("read_serial_history", phi=RENTALS),
    aries: AriesDep,
    request: Request,
    response: Response,
    min_position: MinPosition,
) -> SerialHistory:
    """Received, delivered, picked up, serviced, restocked, transferred, sold, retired, oldest
    first. The patients it names are access-logged."""
    READ_MODEL.wait(aries, response, min_position)
    row = _serial_row(aries, principal, serial)
    with aries.read_engine.connect() as conn:
        history = queries.serial_history_rows(conn, row.asset_id)
    patients = list(dict.fromkeys(h.patient_id for h in history if h.patient_id))
    if patients:
        record_access(aries, principal, request, action=READ, patient_ids=patients,
                      fields_class=RENTALS)
    return SerialHistory(
        serial=SerialOut.of_row(row), history=[SerialEvent.of_row(h) for h in history]
    )


@router.get(
    "/patients/{patient_id}/rentals",
    operation_id="list_patient_rentals",
    summary="What is rented to this patient",
    response_model=Page[Rental],
    responses=_errors(400, 404, 422),
)
@one_hop
def list_patient_rentals(
    patient_id: UUID,
    principal: Allowed("list_patient_rentals", phi=RENTALS),
    aries: AriesDep,
    request: Request,
    response: Response,
    min_position: MinPosition,
    current: Annotated[bool, Query(description="only units still with the patient")] = True,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Page[Rental]:
    """The serialised units the patient rents (or, with `current=false`, ever rented), by
    delivery date. A read of the patient's data: access-logged."""
    aries.patients.get_patient(patient_id)  # NotFound across tenants too
    page = READ_MODEL.page(
        Rental, aries, response, min_position, cursor, (dt.date.fromisoformat, UUID),
        lambda conn, after: queries.rental_page(
            conn, principal.tenant_id, patient_id, current_only=current, after=after,
            limit=limit,
        ),
    )
    record_access(aries, principal, request, action=READ, patient_ids=[patient_id],
                  fields_class=RENTALS)
    return page


@router.get(
    "/rental-census",
    operation_id="read_rental_census",
    summary="Units out on rental by item and month",
    response_model=list[CensusRow],
    responses=_errors(422),
)
@one_hop
def read_rental_census(
    principal: Allowed("read_rental_census"),
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
    from_month: MonthQuery = "2000-01",
    to_month: MonthQuery = "2999-12",
    hcpcs: Annotated[
        str | None, Query(pattern=r"^[A-Va-v][0-9]{4}$", description="one HCPCS code")
    ] = None,
) -> list[CensusRow]:
    """Per HCPCS code, item and calendar month: the units out on rental at some time in the
    month (delivery to pickup or sale, both months included). Counts only, no patient."""
    start = dt.date.fromisoformat(f"{from_month}-01")
    end = dt.date.fromisoformat(f"{to_month}-01")
    if end < start:
        raise ProblemError(
            422, "Request is not valid", "to_month is before from_month",
            type_="https://aries.dev/problems/validation",
            errors=[{"loc": ["query", "to_month"], "msg": "before from_month",
                     "type": "value_error"}],
        )
    READ_MODEL.wait(aries, response, min_position)
    with aries.read_engine.connect() as conn:
        rows = queries.rental_census(
            conn, principal.tenant_id, from_month=start, to_month=end, hcpcs=hcpcs
        )
    return [CensusRow.of_row(row) for row in rows]


# --- Commands --------------------------------------------------------------------------------


@router.post(
    "/serials/{serial}/service",
    operation_id="service_serial",
    summary="Send a picked-up serial for cleaning or maintenance",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def service_serial(
    serial: SerialPath,
    body: ServiceRequest,
    principal: Allowed("service_serial"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """After a pickup: a unit back from a patient is cleaned before it is stocked again."""
    result = aries.orders.service_serial(
        serial, service=body.service, note=body.note, on=body.on,
        expected_version=expected_version,
    )
    return command_response(result)


@router.post(
    "/serials/{serial}/restock",
    operation_id="restock_serial",
    summary="Put a serviced serial back in stock",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def restock_serial(
    serial: SerialPath,
    body: RestockRequest,
    principal: Allowed("restock_serial"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """On the shelf of `location_id` again, available for the next delivery."""
    result = aries.orders.restock_serial(
        serial, location_id=body.location_id, on=body.on, expected_version=expected_version
    )
    return command_response(result)


@router.post(
    "/serials/{serial}/sale",
    operation_id="sell_serial",
    summary="Pass a rented serial to its patient",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def sell_serial(
    serial: SerialPath,
    body: SaleRequest,
    principal: Allowed("sell_serial"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """Ownership passes to the patient (a capped rental's end): it never comes back."""
    result = aries.orders.sell_serial(serial, on=body.on, expected_version=expected_version)
    return command_response(result)


@router.post(
    "/serials/{serial}/retirement",
    operation_id="retire_serial",
    summary="Retire a serial",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def retire_serial(
    serial: SerialPath,
    body: RetirementRequest,
    principal: Allowed("retire_serial"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """Worn out, lost or recalled: from stock (its location's stock goes down) or from
    cleaning; a unit with a patient is picked up first."""
    result = aries.orders.retire_serial(
        serial, reason=body.reason, on=body.on, expected_version=expected_version
    )
    return command_response(result)
