"""Equipment orders from intake to delivery, one POST per business action.

Commands call `OrderApplication` (sync endpoints: the event store has no asyncio API) and answer
`{id, version, position}` with the version as ETag; `If-Match` makes them conditional (412 when
stale). Queries read only `read.orders` / `read.order_lines` (projection `orders`), scoped to the
caller's tenant, and wait for `min_position` when given.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Row, select, tuple_

from application.identity import Principal
from domain.errors import NotFound
from domain.order_values import (
    LineBilling,
    LineSerial,
    OrderingPractitioner,
    OrderLine,
    ProofOfDelivery,
    SignerRelationship,
)
from interfaces.http.commands import CommandAccepted, ExpectedVersion, command_response, etag
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
from projections.tables import order_lines, orders

router = APIRouter(prefix="/v1/orders", tags=["orders"], responses=AUTH_RESPONSES)

PROJECTION = UPSTREAM = "orders"

_PROBLEM = {"application/problem+json": {"schema": Problem.model_json_schema()}}
_ERRORS: dict[int, str] = {
    400: "malformed If-Match header or cursor",
    404: "no such order in your tenant",
    409: "a business rule refused the command (`rule` names it), or a concurrent update",
    412: "If-Match names a version the order has moved on from (reload it)",
    422: "the request is malformed (`errors[].loc` points at each field)",
}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"description": _ERRORS[code], "content": _PROBLEM} for code in codes}


COMMAND_ERRORS = _errors(400, 404, 409, 412, 422)
LINE = "9b2e4f61-0c7d-4a5b-8e3f-1d2c3b4a5f60"

Text = Annotated[str, Field(min_length=1, max_length=500)]
Npi = Annotated[str, Field(pattern=r"^[0-9]{10}$", examples=["1234567893"])]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- Request bodies ---------------------------------------------------------------------------


class PractitionerIn(_Request):
    name: Text = Field(..., examples=["Dr Ada Lovelace"])
    npi: Npi


class OrderLineIn(_Request):
    hcpcs: str = Field(..., pattern=r"^[A-Va-v][0-9]{4}$", examples=["E0260"])
    quantity: int = Field(1, ge=1, le=99)
    billing: LineBilling = Field(
        ..., description="rental (RR), purchase_new (NU) or purchase_used (UE)"
    )
    oxygen_flow_lpm: Decimal | None = Field(
        None, gt=0, le=15, decimal_places=2,
        description="prescribed flow in litres per minute: oxygen lines only, and required there",
    )


class PlaceOrderRequest(_Request):
    patient_id: UUID
    order_date: dt.date
    practitioner: PractitionerIn
    diagnoses: list[Annotated[str, Field(min_length=3, max_length=8)]] = Field(
        ..., min_length=1, max_length=12, description="ICD-10-CM codes; the first is primary"
    )
    lines: list[OrderLineIn] = Field(..., min_length=1, max_length=50)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "patient_id": "5f0c6b1e-8d2a-4e7f-9a31-2b4c6d8e0f12",
                    "order_date": "2026-11-02",
                    "practitioner": {"name": "Dr Ada Lovelace", "npi": "1234567893"},
                    "diagnoses": ["G47.33", "E11.9"],
                    "lines": [
                        {"hcpcs": "E0260", "quantity": 1, "billing": "rental"},
                        {"hcpcs": "E0143", "quantity": 1, "billing": "purchase_new"},
                    ],
                }
            ]
        },
    )


class CoverageVerificationRequest(_Request):
    coverage_id: UUID = Field(..., description="one of the patient's coverages")
    verified_on: dt.date
    eligible: bool = Field(..., description="the payer's eligibility answer (271)")
    same_or_similar_found: bool = Field(
        ..., description="the payer already covers the same or similar equipment (blocks delivery)"
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "coverage_id": "0d3e5f7a-9b1c-4d2e-8f3a-5b7c9d1e3f50",
                    "verified_on": "2026-11-03",
                    "eligible": True,
                    "same_or_similar_found": False,
                }
            ]
        },
    )


class SwoIn(_Request):
    signed_on: dt.date
    practitioner_npi: Npi | None = Field(
        None, description="the signing practitioner (default: the ordering practitioner)"
    )


class SignedIn(_Request):
    signed_on: dt.date


class FaceToFaceIn(_Request):
    encounter_on: dt.date


class DocumentsRequest(_Request):
    """The documents now on file; each one given is recorded, all or none."""

    swo: SwoIn | None = Field(None, description="Standard Written Order (needed to bill)")
    wopd: SignedIn | None = Field(
        None, description="Written Order Prior to Delivery (required-list items)"
    )
    face_to_face: FaceToFaceIn | None = Field(
        None, description="face-to-face encounter (required-list items)"
    )
    abn: SignedIn | None = Field(None, description="Advance Beneficiary Notice")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "swo": {"signed_on": "2026-11-03"},
                    "wopd": {"signed_on": "2026-11-03"},
                    "face_to_face": {"encounter_on": "2026-10-28"},
                }
            ]
        },
    )

    @model_validator(mode="after")
    def _names_a_document(self) -> DocumentsRequest:
        if not any((self.swo, self.wopd, self.face_to_face, self.abn)):
            raise ValueError("give at least one of swo, wopd, face_to_face, abn")
        return self


class PriorAuthorizationAffirmedIn(_Request):
    decision: Literal["affirmed"]
    utn: str = Field(..., min_length=1, max_length=50, examples=["JC1234567890PA"])
    decided_on: dt.date
    valid_until: dt.date | None = Field(
        None, description="default: the decision date plus the item's validity (catalogue)"
    )
    line_ids: list[UUID] | None = Field(
        None, min_length=1, description="default: every line that needs prior authorization"
    )


class PriorAuthorizationNonAffirmedIn(_Request):
    decision: Literal["non_affirmed"]
    decided_on: dt.date
    reason: Text = Field(..., examples=["documentation does not support medical need"])
    line_ids: list[UUID] | None = Field(
        None, min_length=1, description="default: every line that needs prior authorization"
    )


PriorAuthorizationRequest = Annotated[
    PriorAuthorizationAffirmedIn | PriorAuthorizationNonAffirmedIn,
    Body(
        discriminator="decision",
        openapi_examples={
            "affirmed": {
                "summary": "affirmed, with its UTN",
                "value": {
                    "decision": "affirmed", "utn": "JC1234567890PA", "decided_on": "2026-11-04",
                },
            },
            "non_affirmed": {
                "summary": "non-affirmed, for one line",
                "value": {
                    "decision": "non_affirmed", "decided_on": "2026-11-04",
                    "reason": "documentation does not support medical need", "line_ids": [LINE],
                },
            },
        },
    ),
]


class SerialNumberIn(_Request):
    line_id: UUID
    serial: str = Field(..., min_length=1, max_length=64, examples=["BED-0001"])


class ProofOfDeliveryIn(_Request):
    signer_name: Text = Field(..., description="printed name of who signed")
    relationship: SignerRelationship = Field(..., description="patient, or a designee")
    designee_relationship: str | None = Field(
        None, max_length=100, description="a designee's relationship to the patient",
        examples=["daughter"],
    )
    signed_on: dt.date = Field(..., description="must be the delivery date")
    supplier_signed: bool = Field(False, description="the supplier may not sign (refused)")
    serial_numbers: list[SerialNumberIn] = Field(
        default_factory=list, max_length=200,
        description="one per unit of each serialized item",
    )


class DeliveryRequest(_Request):
    delivered_on: dt.date = Field(..., description="the date of service")
    proof_of_delivery: ProofOfDeliveryIn

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "delivered_on": "2026-11-05",
                    "proof_of_delivery": {
                        "signer_name": "Ana Rivera",
                        "relationship": "patient",
                        "signed_on": "2026-11-05",
                        "serial_numbers": [{"line_id": LINE, "serial": "BED-0001"}],
                    },
                }
            ]
        },
    )


class HoldRequest(_Request):
    reason: Text = Field(..., examples=["awaiting the face-to-face notes"])
    on: dt.date = Field(..., description="the hold starts on this date")


class ReleaseRequest(_Request):
    on: dt.date = Field(..., description="not before the hold began")


class PickupRequest(_Request):
    picked_up_on: dt.date
    reason: Text = Field(..., examples=["no longer medically necessary"])


class CancelRequest(_Request):
    on: dt.date
    reason: Text = Field(..., examples=["patient declined the equipment"])


class AdherenceRequest(_Request):
    line_id: UUID = Field(..., description="a PAP line (E0601, E0470)")
    evaluated_on: dt.date = Field(..., description="after delivery")
    compliant: bool = Field(..., description=">= 4 h/night on 70% of nights in 30 days")


# --- Responses --------------------------------------------------------------------------------


class OrderPlaced(CommandAccepted):
    line_ids: list[UUID] = Field(..., description="ids of the lines, in the order given")


class Practitioner(BaseModel):
    name: str
    npi: str = Field(..., examples=["1234567893"])


class CoverageState(BaseModel):
    coverage_id: UUID
    payer_id: str = Field(..., examples=["MCR-DMEB"])
    verified_on: dt.date
    eligible: bool
    same_or_similar_found: bool


class DocumentationState(BaseModel):
    swo_signed_on: dt.date | None
    wopd_required: bool = Field(..., description="an item is on the CMS required list")
    wopd_signed_on: dt.date | None
    face_to_face_on: dt.date | None
    abn_signed_on: dt.date | None
    complete: bool = Field(
        ..., description="SWO on file and, where required, WOPD and face-to-face on file"
    )


class PriorAuthorizationState(BaseModel):
    status: Literal["not_required", "pending", "affirmed", "non_affirmed"]
    valid_until: dt.date | None = Field(
        None, description="when affirmed, the earliest UTN expiry among the lines"
    )


class HoldState(BaseModel):
    reason: str
    since: dt.date


class OrderSummary(BaseModel):
    id: UUID
    patient_id: UUID
    status: Literal["intake", "on_hold", "delivered", "picked_up", "cancelled"]
    on_hold: bool
    order_date: dt.date
    payer_id: str | None
    documentation_complete: bool
    prior_authorization: Literal["not_required", "pending", "affirmed", "non_affirmed"]
    delivered_on: dt.date | None
    line_count: int
    updated_at: dt.datetime
    version: int = Field(..., examples=[4])


class OrderLineView(BaseModel):
    line_id: UUID
    line_number: int
    hcpcs: str = Field(..., examples=["E0260"])
    description: str
    quantity: int
    billing: LineBilling
    oxygen_flow_lpm: Decimal | None
    prior_auth_required: bool
    prior_auth_status: Literal["affirmed", "non_affirmed"] | None
    prior_auth_decided_on: dt.date | None
    utn: str | None
    utn_valid_until: dt.date | None
    prior_auth_reason: str | None
    serial_numbers: list[str]
    rental_months_opened: int
    last_rental_month_from: dt.date | None
    last_rental_month_to: dt.date | None
    adherence_met: bool | None
    adherence_evaluated_on: dt.date | None


class OrderDetail(BaseModel):
    id: UUID
    patient_id: UUID
    status: Literal["intake", "on_hold", "delivered", "picked_up", "cancelled"]
    hold: HoldState | None
    order_date: dt.date
    practitioner: Practitioner
    diagnoses: list[str] = Field(..., examples=[["G47.33", "E11.9"]])
    coverage: CoverageState | None
    documentation: DocumentationState
    prior_authorization: PriorAuthorizationState
    delivered_on: dt.date | None
    pod_signer_relationship: SignerRelationship | None
    picked_up_on: dt.date | None
    pickup_reason: str | None
    cancelled_on: dt.date | None
    cancellation_reason: str | None
    placed_at: dt.datetime
    updated_at: dt.datetime
    version: int = Field(..., examples=[4], description="also the ETag")
    lines: list[OrderLineView]


# --- Commands ---------------------------------------------------------------------------------


def _allowed(operation: str) -> Any:
    return Depends(require(operation))


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
    principal: Annotated[Principal, _allowed("place_order")],
    aries: AriesDep,
) -> JSONResponse:
    """Intake: the patient (of your tenant), the ordering practitioner, diagnoses and lines.
    Answers 201 with `Location` and the new lines' ids. A patient that does not exist (or is
    another tenant's) is a 422 on `patient_id`; the domain's intake rules answer 409."""
    lines = [
        OrderLine(uuid4(), line.hcpcs.upper(), line.quantity, line.billing, line.oxygen_flow_lpm)
        for line in body.lines
    ]
    try:
        result = aries.orders.place_order(
            patient_id=body.patient_id,
            practitioner=OrderingPractitioner(body.practitioner.name, body.practitioner.npi),
            diagnoses=body.diagnoses,
            order_date=body.order_date,
            lines=lines,
        )
    except NotFound as missing:
        if missing.kind != "patient":
            raise
        raise ProblemError(
            422, "Request is not valid", "no such patient",
            type_="https://aries.dev/problems/validation",
            errors=[{"loc": ["body", "patient_id"], "msg": "no such patient", "type": "not_found"}],
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
    principal: Annotated[Principal, _allowed("verify_order_coverage")],
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
    principal: Annotated[Principal, _allowed("record_order_documents")],
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """Give any of the four documents; all of them are recorded or none (a refused one, e.g.
    an SWO dated before the order, refuses the request)."""
    result = aries.orders.record_documents(
        order_id,
        swo_signed_on=body.swo.signed_on if body.swo else None,
        swo_practitioner_npi=body.swo.practitioner_npi if body.swo else None,
        wopd_signed_on=body.wopd.signed_on if body.wopd else None,
        face_to_face_on=body.face_to_face.encounter_on if body.face_to_face else None,
        abn_signed_on=body.abn.signed_on if body.abn else None,
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
    principal: Annotated[Principal, _allowed("decide_prior_authorization")],
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
    principal: Annotated[Principal, _allowed("deliver_order")],
    aries: AriesDep,
    expected_version: ExpectedVersion,
) -> JSONResponse:
    """The delivery date is the date of service. Refused (409, naming the rule) while coverage,
    prior authorization or WOPD documents are missing, while on hold, or with a flawed proof of
    delivery. Opens each rental's first month."""
    pod = body.proof_of_delivery
    result = aries.orders.deliver(
        order_id,
        delivered_on=body.delivered_on,
        pod=ProofOfDelivery(
            signer_name=pod.signer_name,
            relationship=pod.relationship,
            signed_on=pod.signed_on,
            supplier_signed=pod.supplier_signed,
            designee_relationship=pod.designee_relationship,
            serial_numbers=tuple(LineSerial(s.line_id, s.serial) for s in pod.serial_numbers),
        ),
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
    principal: Annotated[Principal, _allowed("hold_order")],
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
    principal: Annotated[Principal, _allowed("release_order")],
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
    principal: Annotated[Principal, _allowed("pick_up_order")],
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
    "/{order_id}/cancel",
    operation_id="cancel_order",
    summary="Cancel an order before delivery",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def cancel(
    order_id: UUID,
    body: CancelRequest,
    principal: Annotated[Principal, _allowed("cancel_order")],
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
    principal: Annotated[Principal, _allowed("record_adherence")],
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

ORD, LINE_COLUMNS = orders.c, order_lines.c
StatusFilter = Literal["intake", "on_hold", "delivered", "picked_up", "cancelled"]


def _summary(row: Row[Any]) -> OrderSummary:
    return OrderSummary(
        id=row.order_id, patient_id=row.patient_id, status=row.status, on_hold=row.on_hold,
        order_date=row.order_date, payer_id=row.payer_id,
        documentation_complete=row.documentation_complete,
        prior_authorization=row.prior_authorization, delivered_on=row.delivered_on,
        line_count=row.line_count, updated_at=row.updated_at, version=row.version,
    )


def _cursor_key(cursor: str | None) -> tuple[dt.date, UUID] | None:
    values = decode_cursor(cursor, 2)
    if values is None:
        return None
    try:
        return dt.date.fromisoformat(values[0]), UUID(values[1])
    except (TypeError, ValueError):
        raise ProblemError(
            400, "Bad cursor", "the cursor is not one this API answered; start from page one",
            type_="https://aries.dev/problems/bad-cursor",
        ) from None


@router.get(
    "",
    operation_id="list_orders",
    summary="List orders",
    response_model=Page[OrderSummary],
    responses=_errors(400, 422),
)
def list_orders(
    principal: Annotated[Principal, _allowed("list_orders")],
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
    status: Annotated[StatusFilter | None, Query(description="current status")] = None,
    patient_id: Annotated[UUID | None, Query(description="one patient's orders")] = None,
    order_date_from: Annotated[dt.date | None, Query(description="order date on or after")] = None,
    order_date_to: Annotated[dt.date | None, Query(description="order date on or before")] = None,
    on_hold: Annotated[bool | None, Query(description="only orders (not) on hold")] = None,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Page[OrderSummary]:
    """Newest order date first (then by id), one page at a time: pass `next_cursor` back as
    `cursor`. Filters combine."""
    wait_for_read_model(aries, response, PROJECTION, UPSTREAM, min_position)
    query = select(orders).where(ORD.tenant_id == principal.tenant_id)
    if status is not None:
        query = query.where(ORD.status == status)
    if patient_id is not None:
        query = query.where(ORD.patient_id == patient_id)
    if order_date_from is not None:
        query = query.where(ORD.order_date >= order_date_from)
    if order_date_to is not None:
        query = query.where(ORD.order_date <= order_date_to)
    if on_hold is not None:
        query = query.where(ORD.on_hold == on_hold)
    after = _cursor_key(cursor)
    if after is not None:
        query = query.where(tuple_(ORD.order_date, ORD.order_id) < tuple_(*after))
    query = query.order_by(ORD.order_date.desc(), ORD.order_id.desc()).limit(limit + 1)
    with aries.read_engine.connect() as conn:
        rows = conn.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1].order_date, rows[-1].order_id]) if more else None
    return Page[OrderSummary](items=[_summary(r) for r in rows], next_cursor=next_cursor)


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
def read_order(
    order_id: UUID,
    principal: Annotated[Principal, _allowed("read_order")],
    aries: AriesDep,
    response: Response,
    min_position: MinPosition,
) -> OrderDetail:
    """The order as the read model has it (pass a command's `position` as `min_position` to
    read your own write); `ETag` is its version."""
    wait_for_read_model(aries, response, PROJECTION, UPSTREAM, min_position)
    with aries.read_engine.connect() as conn:
        row = conn.execute(
            select(orders).where(ORD.order_id == order_id, ORD.tenant_id == principal.tenant_id)
        ).first()
        if row is None:
            raise NotFound("order", order_id)
        lines = conn.execute(
            select(order_lines)
            .where(LINE_COLUMNS.order_id == order_id)
            .order_by(LINE_COLUMNS.line_number)
        ).all()
    response.headers["ETag"] = etag(row.version)
    return OrderDetail(
        id=row.order_id,
        patient_id=row.patient_id,
        status=row.status,
        hold=HoldState(reason=row.hold_reason, since=row.held_on) if row.on_hold else None,
        order_date=row.order_date,
        practitioner=Practitioner(name=row.practitioner_name, npi=row.practitioner_npi),
        diagnoses=list(row.diagnoses),
        coverage=(
            CoverageState(
                coverage_id=row.coverage_id, payer_id=row.payer_id,
                verified_on=row.coverage_verified_on, eligible=row.coverage_eligible,
                same_or_similar_found=row.same_or_similar_found,
            )
            if row.coverage_id is not None
            else None
        ),
        documentation=DocumentationState(
            swo_signed_on=row.swo_signed_on, wopd_required=row.wopd_required,
            wopd_signed_on=row.wopd_signed_on, face_to_face_on=row.face_to_face_on,
            abn_signed_on=row.abn_signed_on, complete=row.documentation_complete,
        ),
        prior_authorization=PriorAuthorizationState(
            status=row.prior_authorization, valid_until=row.prior_authorization_valid_until
        ),
        delivered_on=row.delivered_on,
        pod_signer_relationship=row.pod_signer_relationship,
        picked_up_on=row.picked_up_on,
        pickup_reason=row.pickup_reason,
        cancelled_on=row.cancelled_on,
        cancellation_reason=row.cancellation_reason,
        placed_at=row.placed_at,
        updated_at=row.updated_at,
        version=row.version,
        lines=[OrderLineView.model_validate(line, from_attributes=True) for line in lines],
    )
