"""Equipment orders from intake to delivery, one POST per business action: the handlers.

Commands call `OrderApplication` (sync endpoints: the event store has no asyncio API) and answer
`{id, version, position}` with the version as ETag; `If-Match` makes them conditional (412 when
stale). Queries read only the `orders` projection's tables (projections/queries/orders.py),
scoped to the caller's tenant, and wait for `min_position` when given. Bodies are in
interfaces/http/schemas/orders.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from domain.errors import NotFound
from interfaces.http.access import READ, SEARCH, record_access
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
from interfaces.http.schemas.order_documents import DocumentsRequest
from interfaces.http.schemas.orders import (
    AdherenceRequest,
    CancelRequest,
    CoverageVerificationRequest,
    DeliveryRequest,
    DischargeRequest,
    HoldRequest,
    InstitutionalStayRequest,
    OrderDetail,
    OrderPlaced,
    OrderSummary,
    PickupRequest,
    PlaceOrderRequest,
    PriorAuthorizationAffirmedIn,
    PriorAuthorizationRequest,
    RedeliveryRequest,
    ReleaseRequest,
    StatusFilter,
)
from interfaces.http.schemas.values import IsoDate
from interfaces.http.security import AUTH_RESPONSES
from projections.queries import orders as queries

router = APIRouter(prefix="/v1/orders", tags=["orders"], responses=AUTH_RESPONSES)
# The PHI access log's fields class of a read of orders (their diagnoses).
ORDERS = "orders"

READ_MODEL = ReadModel("orders")

_errors = ProblemResponses({
    400: "malformed If-Match header or cursor",
    404: "no such order in your tenant",
    409: "a business rule refused the command (`rule` names it), or a concurrent update",
    412: "If-Match names a version the order has moved on from (reload it)",
    422: "the request is malformed (`errors[].loc` points at each field)",
})
COMMAND_ERRORS = _errors(400, 404, 409, 412, 422)


# --- Commands ---------------------------------------------------------------------------------


@router.post(
    "",
    operation_id="place_order",
    summary="Place an order",
    status_code=201,
    response_model=OrderPlaced,
    responses=_errors(409, 422),
)
def place_order(
    body: PlaceOrderRequest,
    principal: Allowed("place_order"),
    aries: AriesDep,
) -> JSONResponse:
    """Intake: the patient (of your tenant), the ordering practitioner, diagnoses and lines.
    Answers 201 with `Location` and the new lines' ids. A patient that does not exist (or is
    another tenant's) is a 422 on `patient_id`; the domain's intake rules answer 409."""
    lines = [line.to_domain() for line in body.lines]
    try:
        result = aries.orders.place_order(
            patient_id=body.patient_id,
            practitioner=body.practitioner.to_domain(),
            diagnoses=body.diagnoses,
            order_date=body.order_date,
            lines=lines,
            location_id=body.location_id,
        )
    except NotFound as missing:
        if missing.kind not in ("patient", "location"):
            raise
        field = f"{missing.kind}_id"
        raise ProblemError(
            422, "Request is not valid", f"no such {missing.kind}",
            type_="https://aries.dev/problems/validation",
            errors=[{"loc": ["body", field], "msg": f"no such {missing.kind}",
                     "type": "not_found"}],
        ) from None
    return command_response(
        result,
        201,
        location=f"{router.prefix}/{result.id}",
        extra={"line_ids": [str(line.line_id) for line in lines]},
    )


@router.post(
    "/{order_id}/coverage-verification",
    operation_id="verify_order_coverage",
    summary="Record a coverage verification",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def verify_coverage(
    order_id: UUID,
    body: CoverageVerificationRequest,
    principal: Allowed("verify_order_coverage"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """An eligibility (270/271) and same-or-similar check against one of the patient's
    coverages, active on that date; the latest verification counts."""
    result = aries.orders.verify_coverage(
        order_id,
        coverage_id=body.coverage_id,
        verified_on=body.verified_on,
        eligible=body.eligible,
        same_or_similar_found=body.same_or_similar_found,
        expected_version=expected_version,
    )
    return command_response(result)


@router.post(
    "/{order_id}/documents",
    operation_id="record_order_documents",
    summary="Record documents on file (SWO, WOPD, face-to-face, ABN)",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def record_documents(
    order_id: UUID,
    body: DocumentsRequest,
    principal: Allowed("record_order_documents"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """Give any of the documents; all of them are recorded or none (a refused one, e.g.
    an SWO dated before the order, refuses the request)."""
    result = aries.orders.record_documents(
        order_id,
        swo_signed_on=body.swo.signed_on if body.swo else None,
        swo_practitioner_npi=body.swo.practitioner_npi if body.swo else None,
        wopd_signed_on=body.wopd.signed_on if body.wopd else None,
        face_to_face_on=body.face_to_face.encounter_on if body.face_to_face else None,
        abn_signed_on=body.abn.signed_on if body.abn else None,
        abn_decision=body.abn.decision if body.abn else "signed",
        new_period_documents=(
            (body.new_rental_period.medical_necessity_on, body.new_rental_period.statement_on)
            if body.new_rental_period else None
        ),
        expected_version=expected_version,
    )
    return command_response(result)


@router.post(
    "/{order_id}/prior-authorization",
    operation_id="decide_prior_authorization",
    summary="Record a prior authorization decision",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def decide_prior_authorization(
    order_id: UUID,
    body: PriorAuthorizationRequest,
    principal: Allowed("decide_prior_authorization"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """`decision: affirmed` with the UTN (it goes on the claim), or `non_affirmed` with the
    reason, for the given lines or every line that needs prior authorization. The latest
    decision per line counts; decisions are recorded in date order."""
    line_ids = list(body.line_ids) if body.line_ids is not None else None
    if isinstance(body, PriorAuthorizationAffirmedIn):
        result = aries.orders.decide_prior_authorization(
            order_id, affirmed=True, utn=body.utn, decided_on=body.decided_on,
            valid_until=body.valid_until, line_ids=line_ids, expected_version=expected_version,
        )
    else:
        result = aries.orders.decide_prior_authorization(
            order_id, affirmed=False, reason=body.reason, decided_on=body.decided_on,
            line_ids=line_ids, expected_version=expected_version,
        )
    return command_response(result)


@router.post(
    "/{order_id}/delivery",
    operation_id="deliver_order",
    summary="Record the delivery with its proof of delivery",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def deliver(
    order_id: UUID,
    body: DeliveryRequest,
    principal: Allowed("deliver_order"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """The delivery date is the date of service. Refused (409, naming the rule) while coverage,
    prior authorization or WOPD documents are missing, while on hold, or with a flawed proof of
    delivery. Opens each rental's first month. Each serial on the proof of delivery must be in
    stock at the order's location and leaves it in the same transaction (decision 019)."""
    result = aries.orders.deliver(
        order_id,
        delivered_on=body.delivered_on,
        pod=body.proof_of_delivery.to_domain(),
        expected_version=expected_version,
    )
    return command_response(result)


@router.post(
    "/{order_id}/hold",
    operation_id="hold_order",
    summary="Put an order on hold",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def hold(
    order_id: UUID,
    body: HoldRequest,
    principal: Allowed("hold_order"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """A hold blocks delivery and defers rental billing until the order is released."""
    result = aries.orders.hold(
        order_id, reason=body.reason, on=body.on, expected_version=expected_version
    )
    return command_response(result)


@router.post(
    "/{order_id}/release",
    operation_id="release_order",
    summary="Release an order from hold",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def release(
    order_id: UUID,
    body: ReleaseRequest,
    principal: Allowed("release_order"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """Rental months that came due during the hold are billed by the next billing run."""
    result = aries.orders.release(order_id, on=body.on, expected_version=expected_version)
    return command_response(result)


@router.post(
    "/{order_id}/pickup",
    operation_id="pick_up_order",
    summary="Record that the equipment was picked up",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def pick_up(
    order_id: UUID,
    body: PickupRequest,
    principal: Allowed("pick_up_order"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """Ends the rental: no month starting on or after the pickup date is billed."""
    result = aries.orders.pick_up(
        order_id, picked_up_on=body.picked_up_on, reason=body.reason,
        expected_version=expected_version,
    )
    return command_response(result)


@router.post(
    "/{order_id}/redelivery",
    operation_id="redeliver_order",
    summary="Record that picked-up equipment is back in the home",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def redeliver(
    order_id: UUID,
    body: RedeliveryRequest,
    principal: Allowed("redeliver_order"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """Back within 60 days after the rental month in which use ceased, the count goes on; later,
    a new rental period starts at month 1. Its months are billed once a new SWO and the
    `new_rental_period` documents, made after the pickup, are recorded (`/documents`); until
    then each is a billing hold naming the rule (`new_rental_period_requires_a_new_swo`,
    `new_rental_period_documents_medical_necessity`, and for an item on the Required List
    `new_rental_period_of_a_listed_item_needs_a_new_wopd_and_face_to_face`)."""
    result = aries.orders.redeliver(
        order_id,
        delivered_on=body.delivered_on,
        pod=body.proof_of_delivery.to_domain(),
        expected_version=expected_version,
    )
    return command_response(result)


@router.post(
    "/{order_id}/institutional-stays",
    operation_id="record_institutional_stay",
    summary="Record a hospital or SNF stay, which pauses rental billing",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def record_institutional_stay(
    order_id: UUID,
    body: InstitutionalStayRequest,
    principal: Allowed("record_institutional_stay"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """No rental month whose anniversary falls in the stay is billed; the month resumes on the
    discharge date and the count goes on (a stay never starts a new rental period)."""
    result = aries.orders.record_admission(
        order_id, admitted_on=body.admitted_on, setting=body.setting,
        discharged_on=body.discharged_on, expected_version=expected_version,
    )
    return command_response(result)


@router.post(
    "/{order_id}/discharge",
    operation_id="record_discharge",
    summary="Record the discharge that ends an open hospital or SNF stay",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def record_discharge(
    order_id: UUID,
    body: DischargeRequest,
    principal: Allowed("record_discharge"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """The paused rental month resumes on the discharge date."""
    result = aries.orders.record_discharge(
        order_id, discharged_on=body.discharged_on, expected_version=expected_version
    )
    return command_response(result)


@router.post(
    "/{order_id}/cancel",
    operation_id="cancel_order",
    summary="Cancel an order before delivery",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def cancel(
    order_id: UUID,
    body: CancelRequest,
    principal: Allowed("cancel_order"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """A cancelled order accepts nothing more. After delivery, record a pickup instead."""
    result = aries.orders.cancel(
        order_id, reason=body.reason, on=body.on, expected_version=expected_version
    )
    return command_response(result)


@router.post(
    "/{order_id}/adherence",
    operation_id="record_adherence",
    summary="Record a PAP adherence evaluation",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def record_adherence(
    order_id: UUID,
    body: AdherenceRequest,
    principal: Allowed("record_adherence"),
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """For CPAP/RAD lines after delivery: the latest evaluation decides KX on rental claims."""
    result = aries.orders.record_adherence(
        order_id, line_id=body.line_id, evaluated_on=body.evaluated_on,
        compliant=body.compliant, expected_version=expected_version,
    )
    return command_response(result)


# --- Queries ----------------------------------------------------------------------------------


@router.get(
    "",
    operation_id="list_orders",
    summary="List orders",
    response_model=Page[OrderSummary],
    responses=_errors(400, 422),
)
@one_hop
def list_orders(
    principal: Allowed("list_orders", phi=ORDERS),
    aries: AriesDep,
    request: Request,
    response: Response,
    min_position: MinPosition,
    status: Annotated[StatusFilter | None, Query(description="current status")] = None,
    patient_id: Annotated[UUID | None, Query(description="one patient's orders")] = None,
    order_date_from: Annotated[IsoDate | None, Query(description="order date on or after")] = None,
    order_date_to: Annotated[IsoDate | None, Query(description="order date on or before")] = None,
    on_hold: Annotated[bool | None, Query(description="only orders (not) on hold")] = None,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Page[OrderSummary]:
    """Newest order date first (then by id), one page at a time: pass `next_cursor` back as
    `cursor`. Filters combine."""
    page = READ_MODEL.page(
        OrderSummary, aries, response, min_position, cursor, (dt.date.fromisoformat, UUID),
        lambda conn, after: queries.order_page(
            conn, principal.tenant_id, status=status, patient_id=patient_id,
            order_date_from=order_date_from, order_date_to=order_date_to, on_hold=on_hold,
            after=after, limit=limit,
        ),
    )
    # Orders carry diagnoses: a page of them is a search of the patients they name.
    record_access(aries, principal, request, action=SEARCH, fields_class=ORDERS,
                  patient_ids=[item.patient_id for item in page.items])
    return page


@router.get(
    "/{order_id}",
    operation_id="read_order",
    summary="Read an order with its lines",
    response_model=OrderDetail,
    responses={
        200: {"headers": {"ETag": {"description": "the order's version, for If-Match"}}},
        **_errors(404, 422),
    },
)
@one_hop
def read_order(
    order_id: UUID,
    principal: Allowed("read_order", phi=ORDERS),
    aries: AriesDep,
    request: Request,
    response: Response,
    min_position: MinPosition,
) -> OrderDetail:
    """The order as the read model has it (pass a command's `position` as `min_position` to
    read your own write); `ETag` is its version."""
    READ_MODEL.wait(aries, response, min_position)
    with aries.read_engine.connect() as conn:
        record = queries.order_record(conn, order_id, principal.tenant_id)
    if record is None:
        raise NotFound("order", order_id)
    detail = OrderDetail.of_record(record)
    record_access(aries, principal, request, action=READ, fields_class=ORDERS,
                  patient_ids=[detail.patient_id])
    response.headers["ETag"] = etag(record.order.version)
    return detail
