"""Stock per location and item: receipts, transfers, adjustments, counts and reorder points,
and what is on hand. Commands call the Orders application's inventory use cases
(application/inventory.py: stock lives in the Orders family, decision 019); queries read the
`inventory` projection's tables (projections/queries/inventory.py), scoped to the caller's
tenant. Bodies are in interfaces/http/schemas/inventory.py. Nothing here names a patient."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from domain.errors import NotFound
from interfaces.http.commands import CommandAccepted, ExpectedVersion, command_response
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
)
from interfaces.http.resource_routes import ReadModel
from interfaces.http.schemas.inventory import (
    AdjustmentRequest,
    CountRecorded,
    CountRequest,
    ReceiptRequest,
    ReorderPointRequest,
    StockLevel,
    StockMovement,
    TransferRequest,
)
from interfaces.http.security import AUTH_RESPONSES
from projections.queries import inventory as queries

router = APIRouter(prefix="/v1/inventory", tags=["inventory"], responses=AUTH_RESPONSES)

READ_MODEL = ReadModel("inventory", "orders")
LEDGER = "/stock/{location_id}/{item_id}"

_errors = ProblemResponses({
    400: "malformed If-Match header or cursor",
    404: "no such location, item or stock in your tenant",
    409: "a business rule refused the command (`rule` names it: stock_is_never_negative, ...)"
    ", or a concurrent update",
    412: "If-Match names a version the stock ledger has moved on from (reload it)",
    422: "the request is malformed (`errors[].loc` points at each field)",
})
COMMAND_ERRORS = _errors(400, 404, 409, 412, 422)


# --- Commands -------------------------------------------------------------------------------


@router.post(
    "/receipts",
    operation_id="receive_stock",
    summary="Receive stock against a purchase order",
    status_code=201,
    response_model=CommandAccepted,
    responses=_errors(404, 409, 422),
)
def receive_stock(
    body: ReceiptRequest, principal: Allowed("receive_stock"), aries: AriesDep
) -> JSONResponse:
    """Units of a catalogue item arrived at a location (with their lot, if any). A serialised
    item names one new serial per unit; each becomes an asset in stock there. Answers for the
    location's stock ledger of the item."""
    result = aries.orders.receive_stock(
        location_id=body.location_id, item_id=body.item_id, quantity=body.quantity,
        purchase_order=body.purchase_order, lot=body.lot, serials=body.serials,
        received_on=body.received_on,
    )
    return command_response(
        result, 201, location=f"{router.prefix}/stock/{body.location_id}/{body.item_id}"
    )


@router.post(
    "/transfers",
    operation_id="transfer_stock",
    summary="Transfer stock between locations",
    response_model=CommandAccepted,
    responses=_errors(404, 409, 422),
)
def transfer_stock(
    body: TransferRequest, principal: Allowed("transfer_stock"), aries: AriesDep
) -> JSONResponse:
    """Out of one location and into the other in one transaction (both or neither); never
    more than the source holds. Answers for the source ledger."""
    result = aries.orders.transfer_stock(
        from_location_id=body.from_location_id, to_location_id=body.to_location_id,
        item_id=body.item_id, quantity=body.quantity, serials=body.serials, on=body.on,
    )
    return command_response(result)


@router.post(
    f"{LEDGER}/adjustments",
    operation_id="adjust_stock",
    summary="Adjust stock with a reason",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def adjust_stock(
    location_id: UUID,
    item_id: UUID,
    body: AdjustmentRequest,
    principal: Allowed("adjust_stock"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """Damaged, found, expired: never below zero. A serialised item's stock moves with its
    serials instead (retire one, receive one)."""
    result = aries.orders.adjust_stock(
        location_id=location_id, item_id=item_id, delta=body.delta, reason=body.reason,
        on=body.on, expected_version=expected_version,
    )
    return command_response(result)


@router.post(
    f"{LEDGER}/counts",
    operation_id="count_stock",
    summary="Record a physical count",
    response_model=CountRecorded,
    responses=COMMAND_ERRORS,
)
def count_stock(
    location_id: UUID,
    item_id: UUID,
    body: CountRequest,
    principal: Allowed("count_stock"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """What was found on the shelf; records and answers the difference from the ledger."""
    difference, result = aries.orders.count_stock(
        location_id=location_id, item_id=item_id, counted=body.counted,
        counted_on=body.counted_on, expected_version=expected_version,
    )
    return command_response(result, extra={"difference": difference})


@router.put(
    f"{LEDGER}/reorder-point",
    operation_id="set_reorder_point",
    summary="Set the reorder point of an item at a location",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def set_reorder_point(
    location_id: UUID,
    item_id: UUID,
    body: ReorderPointRequest,
    principal: Allowed("set_reorder_point"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """Below it, the work queue shows a `restock` item until stock is back (null: never)."""
    result = aries.orders.set_reorder_point(
        location_id=location_id, item_id=item_id, point=body.reorder_point,
        expected_version=expected_version,
    )
    return command_response(result)


# --- Queries ---------------------------------------------------------------------------------


@router.get(
    "/stock",
    operation_id="list_stock",
    summary="List stock on hand",
    response_model=Page[StockLevel],
    responses=_errors(400, 422),
)
@one_hop
def list_stock(
    principal: Allowed("list_stock"),
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
    location_id: Annotated[UUID | None, Query(description="one location's")] = None,
    item_id: Annotated[UUID | None, Query(description="one item's")] = None,
    low: Annotated[bool, Query(description="only below the reorder point")] = False,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Page[StockLevel]:
    """By HCPCS code, then location. `min_position` is an Orders-log position."""
    return READ_MODEL.page(
        StockLevel, aries, response, min_position, cursor, (str, UUID, UUID),
        lambda conn, after: queries.stock_page(
            conn, principal.tenant_id, location_id=location_id, item_id=item_id, low_only=low,
            after=after, limit=limit,
        ),
    )


@router.get(
    LEDGER,
    operation_id="read_stock",
    summary="Read the stock of an item at a location",
    response_model=StockLevel,
    responses={
        200: {"headers": {"ETag": {"description": "the ledger's version, for If-Match"}}},
        **_errors(404, 422),
    },
)
@one_hop
def read_stock(
    location_id: UUID,
    item_id: UUID,
    principal: Allowed("read_stock"),
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
) -> StockLevel:
    row = READ_MODEL.versioned_row(
        aries, response, min_position, "stock", f"{item_id} at {location_id}",
        lambda conn: queries.stock_row(conn, principal.tenant_id, location_id, item_id),
    )
    return StockLevel.of_row(row)


@router.get(
    f"{LEDGER}/movements",
    operation_id="list_stock_movements",
    summary="List the movements of an item's stock at a location",
    response_model=Page[StockMovement],
    responses=_errors(400, 404, 422),
)
@one_hop
def list_stock_movements(
    location_id: UUID,
    item_id: UUID,
    principal: Allowed("list_stock_movements"),
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Page[StockMovement]:
    """Receipts (purchase order, lot), transfers, adjustments (reason), counts, issues and
    restocks, oldest first, each with what was on hand after it."""
    READ_MODEL.wait(aries, response, min_position)
    after = decode_cursor(cursor, (int,))
    with aries.read_engine.connect() as conn:
        row = queries.stock_row(conn, principal.tenant_id, location_id, item_id)
        if row is None:
            raise NotFound("stock", f"{item_id} at {location_id}")
        found = queries.movement_page(conn, row.ledger_id, after=after, limit=limit)
    return Page[StockMovement](
        items=[StockMovement.of_row(r) for r in found.rows],
        next_cursor=next_cursor(found.next_key),
    )
