"""The equipment catalogue: makes and models a supplier stocks, each under a HCPCS code of the
reference list. Commands call `CatalogueApplication`; queries read the `catalogue`
projection's tables (projections/queries/catalogue.py), scoped to the caller's tenant. Bodies
are in interfaces/http/schemas/catalogue.py."""

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
from interfaces.http.schemas.catalogue import AddItemRequest, EquipmentItemOut, ReviseItemRequest
from interfaces.http.security import AUTH_RESPONSES
from projections.queries import catalogue as queries

router = APIRouter(prefix="/v1/equipment-items", tags=["catalogue"], responses=AUTH_RESPONSES)

READ_MODEL = ReadModel("catalogue")

_errors = ProblemResponses({
    400: "malformed If-Match header or cursor",
    404: "no such item in your tenant",
    409: "a business rule refused the command (`rule` names it), or a concurrent update",
    412: "If-Match names a version the item has moved on from (reload it)",
    422: "the request is malformed (`errors[].loc` points at each field)",
})
COMMAND_ERRORS = _errors(400, 404, 409, 412, 422)


@router.post(
    "",
    operation_id="add_equipment_item",
    summary="Add an item to the equipment catalogue",
    status_code=201,
    response_model=CommandAccepted,
    responses=_errors(409, 422),
)
def add_item(
    body: AddItemRequest, principal: Allowed("add_equipment_item"), aries: AriesDep
) -> JSONResponse:
    """A HCPCS code missing from the reference list, or a category the code's payment
    category does not allow (a capped rental item sold), is a 409 naming the rule."""
    result = aries.catalogue.add_item(
        hcpcs=body.hcpcs, manufacturer=body.manufacturer, model=body.model,
        category=body.category, serialised=body.serialised,
    )
    return command_response(result, 201, location=f"{router.prefix}/{result.id}")


@router.patch(
    "/{item_id}",
    operation_id="revise_equipment_item",
    summary="Change an item's manufacturer, model, category or serialisation",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def revise_item(
    item_id: UUID,
    body: ReviseItemRequest,
    principal: Allowed("revise_equipment_item"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """Only the fields given change; the same values again record nothing."""
    result = aries.catalogue.revise_item(
        item_id, manufacturer=body.manufacturer, model=body.model, category=body.category,
        serialised=body.serialised, expected_version=expected_version,
    )
    return command_response(result)


@router.post(
    "/{item_id}/discontinue",
    operation_id="discontinue_equipment_item",
    summary="Discontinue an item (no longer stocked)",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def discontinue_item(
    item_id: UUID,
    principal: Allowed("discontinue_equipment_item"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """Its history stays; a discontinued item is not revised again."""
    result = aries.catalogue.discontinue_item(item_id, expected_version=expected_version)
    return command_response(result)


@router.get(
    "",
    operation_id="list_equipment_items",
    summary="List the equipment catalogue",
    response_model=Page[EquipmentItemOut],
    responses=_errors(400, 422),
)
@one_hop
def list_items(
    principal: Allowed("list_equipment_items"),
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
    hcpcs: Annotated[
        str | None, Query(pattern=r"^[A-Va-v][0-9]{4}$", description="one HCPCS code's items")
    ] = None,
    active: Annotated[bool | None, Query(description="only (dis)continued items")] = None,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Page[EquipmentItemOut]:
    """By HCPCS code, then id, one page at a time: pass `next_cursor` back as `cursor`."""
    return READ_MODEL.page(
        EquipmentItemOut, aries, response, min_position, cursor, (str, UUID),
        lambda conn, after: queries.item_page(
            conn, principal.tenant_id, hcpcs=hcpcs, active=active, after=after, limit=limit
        ),
    )


@router.get(
    "/{item_id}",
    operation_id="read_equipment_item",
    summary="Read a catalogue item",
    response_model=EquipmentItemOut,
    responses={
        200: {"headers": {"ETag": {"description": "the item's version, for If-Match"}}},
        **_errors(404, 422),
    },
)
@one_hop
def read_item(
    item_id: UUID,
    principal: Allowed("read_equipment_item"),
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
) -> EquipmentItemOut:
    """The item as the read model has it; `ETag` is its version."""
    row = READ_MODEL.versioned_row(
        aries, response, min_position, "equipment item", item_id,
        lambda conn: queries.item_row(conn, item_id, principal.tenant_id),
    )
    return EquipmentItemOut.of_row(row)
