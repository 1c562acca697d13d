"""Request and response bodies of the order routes (interfaces/http/routes/orders.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from fastapi import Body
from pydantic import BaseModel, ConfigDict, Field

from domain.order_values import (
    LineBilling,
    LineSerial,
    OrderingPractitioner,
    OrderLine,
    ProofOfDelivery,
    SignerRelationship,
)
from interfaces.http.commands import CommandAccepted
from interfaces.http.schemas.values import IsoDate
from projections.queries.orders import OrderRecord

LINE = "9b2e4f61-0c7d-4a5b-8e3f-1d2c3b4a5f60"

Text = Annotated[str, Field(min_length=1, max_length=500)]
Npi = Annotated[str, Field(pattern=r"^[0-9]{10}$", examples=["1234567893"])]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- Request bodies ---------------------------------------------------------------------------


class PractitionerIn(_Request):
    name: Text = Field(..., examples=["Dr Ada Lovelace"])
    npi: Npi

    def to_domain(self) -> OrderingPractitioner:
        return OrderingPractitioner(self.name, self.npi)


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
    oxygen_group: Literal[1, 2, 3] | None = Field(
        None,
        description="oxygen lines: the LCD L33797 coverage group (Medicare rentals carry N1/N2/N3"
        " and are refused without it)",
    )

    def to_domain(self) -> OrderLine:
        """A new line (its id is assigned here)."""
        return OrderLine(
            uuid4(), self.hcpcs.upper(), self.quantity, self.billing, self.oxygen_flow_lpm,
            self.oxygen_group,
        )


class PlaceOrderRequest(_Request):
    patient_id: UUID
    order_date: IsoDate
    practitioner: PractitionerIn
    diagnoses: list[Annotated[str, Field(min_length=3, max_length=8)]] = Field(
        ..., min_length=1, max_length=12, description="ICD-10-CM codes; the first is primary"
    )
    lines: list[OrderLineIn] = Field(..., min_length=1, max_length=50)
    location_id: UUID | None = Field(
        None, description="the branch the order is billed from (default: your first location)"
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "patient_id": "5f0c6b1e-8d2a-4e7f-9a31-2b4c6d8e0f12",
                    "location_id": "0a4e2f8c-51b7-4c3d-9e6a-7b1d2c3e4f50",
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
    verified_on: IsoDate
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


class PriorAuthorizationAffirmedIn(_Request):
    decision: Literal["affirmed"]
    utn: str = Field(..., min_length=1, max_length=50, examples=["JC1234567890PA"])
    decided_on: IsoDate
    valid_until: IsoDate | None = Field(
        None, description="default: the decision date plus the item's validity (catalogue)"
    )
    line_ids: list[UUID] | None = Field(
        None, min_length=1, description="default: every line that needs prior authorization"
    )


class PriorAuthorizationNonAffirmedIn(_Request):
    decision: Literal["non_affirmed"]
    decided_on: IsoDate
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
    signed_on: IsoDate = Field(..., description="must be the delivery date")
    supplier_signed: bool = Field(False, description="the supplier may not sign (refused)")
    serial_numbers: list[SerialNumberIn] = Field(
        default_factory=list, max_length=200,
        description="one per unit of each serialized item",
    )

    def to_domain(self) -> ProofOfDelivery:
        return ProofOfDelivery(
            signer_name=self.signer_name,
            relationship=self.relationship,
            signed_on=self.signed_on,
            supplier_signed=self.supplier_signed,
            designee_relationship=self.designee_relationship,
            serial_numbers=tuple(LineSerial(s.line_id, s.serial) for s in self.serial_numbers),
        )


class DeliveryRequest(_Request):
    delivered_on: IsoDate = Field(..., description="the date of service")
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
    on: IsoDate = Field(..., description="the hold starts on this date")


class ReleaseRequest(_Request):
    on: IsoDate = Field(..., description="not before the hold began")


class PickupRequest(_Request):
    picked_up_on: IsoDate
    reason: Text = Field(..., examples=["no longer medically necessary"])


class RedeliveryRequest(DeliveryRequest):
    """The item back in the home after a pickup, with its proof of delivery (the request
    example is the delivery's)."""


class InstitutionalStayRequest(_Request):
    admitted_on: IsoDate = Field(..., description="admission to the hospital or SNF")
    setting: Literal["hospital", "snf"]
    discharged_on: IsoDate | None = Field(None, description="when known; else record it later")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"admitted_on": "2026-11-02", "setting": "hospital", "discharged_on": "2026-11-20"}
            ]
        },
    )


class DischargeRequest(_Request):
    discharged_on: IsoDate = Field(..., description="the patient is home again on this date")

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"discharged_on": "2026-11-20"}]}
    )


class CancelRequest(_Request):
    on: IsoDate
    reason: Text = Field(..., examples=["patient declined the equipment"])


class AdherenceRequest(_Request):
    line_id: UUID = Field(..., description="a PAP line (E0601, E0470)")
    evaluated_on: IsoDate = Field(..., description="after delivery")
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


StatusFilter = Literal["intake", "on_hold", "delivered", "picked_up", "cancelled"]


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

    @classmethod
    def of_row(cls, row: Any) -> OrderSummary:
        """From an `order_page` row."""
        return cls(
            id=row.order_id, patient_id=row.patient_id, status=row.status, on_hold=row.on_hold,
            order_date=row.order_date, payer_id=row.payer_id,
            documentation_complete=row.documentation_complete,
            prior_authorization=row.prior_authorization, delivered_on=row.delivered_on,
            line_count=row.line_count, updated_at=row.updated_at, version=row.version,
        )


class OrderLineView(BaseModel):
    line_id: UUID
    line_number: int
    hcpcs: str = Field(..., examples=["E0260"])
    description: str
    quantity: int
    billing: LineBilling
    oxygen_flow_lpm: Decimal | None
    oxygen_group: int | None = Field(..., description="oxygen coverage group: N1/N2/N3")
    prior_auth_required: bool
    prior_auth_status: Literal["affirmed", "non_affirmed"] | None
    prior_auth_decided_on: dt.date | None
    utn: str | None
    utn_valid_until: dt.date | None
    prior_auth_reason: str | None
    serial_numbers: list[str]
    rental_months_opened: int
    rental_period: int | None = Field(
        ..., description="period of the latest month opened (a new one after a 60+ day break)"
    )
    last_rental_month_from: dt.date | None
    last_rental_month_to: dt.date | None
    adherence_met: bool | None
    adherence_evaluated_on: dt.date | None


class OrderDetail(BaseModel):
    id: UUID
    patient_id: UUID
    location_id: UUID | None = Field(
        None, description="the branch it is billed from (null: placed before locations)"
    )
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
    redelivered_on: dt.date | None
    inpatient_since: dt.date | None = Field(
        ..., description="open hospital or SNF stay: no rental month is billed until discharge"
    )
    cancelled_on: dt.date | None
    cancellation_reason: str | None
    placed_at: dt.datetime
    updated_at: dt.datetime
    version: int = Field(..., examples=[4], description="also the ETag")
    lines: list[OrderLineView]

    @classmethod
    def of_record(cls, record: OrderRecord) -> OrderDetail:
        row = record.order
        return cls(
            id=row.order_id,
            patient_id=row.patient_id,
            location_id=row.location_id,
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
            redelivered_on=row.redelivered_on,
            inpatient_since=row.inpatient_since,
            cancelled_on=row.cancelled_on,
            cancellation_reason=row.cancellation_reason,
            placed_at=row.placed_at,
            updated_at=row.updated_at,
            version=row.version,
            lines=[
                OrderLineView.model_validate(line, from_attributes=True) for line in record.lines
            ],
        )
