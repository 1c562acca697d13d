"""Bodies of stock and serialised assets (interfaces/http/routes/inventory.py, serials.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from interfaces.http.schemas.values import IsoDate

LOCATION = "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b"
OTHER_LOCATION = "7a2d3b0f-4c5e-4f60-9b8c-2d3e4f5a6b7c"
ITEM = "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b"

# A serial as the maker prints it: letters, digits, dots, dashes, underscores (it is a path
# segment of /v1/serials/{serial}).
SerialNumber = Annotated[
    str, StringConstraints(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
]
Units = Field(..., ge=1, le=100_000, examples=[5])
Reason = Field(..., min_length=1, max_length=200)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReceiptRequest(_Request):
    """Units of a catalogue item received at a location against a purchase order; a serialised
    item names one serial per unit."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"location_id": LOCATION, "item_id": ITEM, "quantity": 2,
                 "purchase_order": "PO-2026-0042", "lot": "L-7731",
                 "serials": ["BED-0001", "BED-0002"], "received_on": "2026-11-02"}
            ]
        },
    )

    location_id: UUID
    item_id: UUID
    quantity: int = Units
    purchase_order: str = Field(..., min_length=1, max_length=60, examples=["PO-2026-0042"])
    lot: str | None = Field(None, min_length=1, max_length=60, examples=["L-7731"])
    serials: list[SerialNumber] = Field(
        default_factory=list, max_length=1000, examples=[["BED-0001"]]
    )
    received_on: IsoDate


class TransferRequest(_Request):
    """Bulk units (`quantity`) or named serialised units (`serials`) from one location to
    another; both locations' stock changes in one transaction."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"from_location_id": LOCATION, "to_location_id": OTHER_LOCATION,
                 "item_id": ITEM, "quantity": 3, "on": "2026-11-03"}
            ]
        },
    )

    from_location_id: UUID
    to_location_id: UUID
    item_id: UUID
    quantity: int | None = Field(None, ge=1, le=100_000, examples=[3])
    serials: list[SerialNumber] = Field(default_factory=list, max_length=1000)
    on: IsoDate


class AdjustmentRequest(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"delta": -1, "reason": "damaged in the van",
                                         "on": "2026-11-04"}]},
    )

    delta: int = Field(..., ge=-100_000, le=100_000, description="units; negative takes away")
    reason: str = Reason
    on: IsoDate


class CountRequest(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"counted": 7, "counted_on": "2026-11-30"}]},
    )

    counted: int = Field(..., ge=0, le=100_000, description="units found on the shelf")
    counted_on: IsoDate


class ReorderPointRequest(_Request):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reorder_point": 4}]}
    )

    reorder_point: int | None = Field(
        ..., ge=0, le=100_000, description="below this many units, restock; null: never"
    )


class ServiceRequest(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"service": "cleaning", "on": "2026-11-20"}]},
    )

    service: Literal["cleaning", "maintenance"]
    note: str | None = Field(None, min_length=1, max_length=200)
    on: IsoDate


class RestockRequest(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"location_id": LOCATION, "on": "2026-11-21"}]},
    )

    location_id: UUID = Field(..., description="the location whose shelf it goes back on")
    on: IsoDate


class RetirementRequest(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "motor failed", "on": "2026-11-22"}]},
    )

    reason: str = Reason
    on: IsoDate


class SaleRequest(_Request):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"on": "2027-11-05"}]}
    )

    on: IsoDate


class CountRecorded(BaseModel):
    id: UUID
    version: int
    position: int | None
    difference: int = Field(..., description="counted minus what the ledger held", examples=[-1])


class StockLevel(BaseModel):
    ledger_id: UUID
    location_id: UUID
    item_id: UUID
    hcpcs: str = Field(..., examples=["E0260"])
    serialised: bool
    on_hand: int = Field(..., examples=[6])
    reorder_point: int | None = Field(None, examples=[4])
    below_reorder_point: bool
    last_moved_on: dt.date | None = None
    version: int

    @classmethod
    def of_row(cls, row: Any) -> StockLevel:
        point = row.reorder_point
        return cls(
            ledger_id=row.ledger_id, location_id=row.location_id, item_id=row.item_id,
            hcpcs=row.hcpcs, serialised=row.serialised, on_hand=row.on_hand,
            reorder_point=point, below_reorder_point=point is not None and row.on_hand < point,
            last_moved_on=row.last_moved_on, version=row.version,
        )


class StockMovement(BaseModel):
    version: int
    movement: str = Field(..., examples=["received"])
    change: int = Field(..., examples=[2])
    on_hand_after: int = Field(..., examples=[8])
    moved_on: dt.date
    purchase_order: str | None = None
    lot: str | None = None
    reason: str | None = None
    transfer_id: UUID | None = None
    other_location_id: UUID | None = None
    recorded_at: dt.datetime

    @classmethod
    def of_row(cls, row: Any) -> StockMovement:
        return cls.model_validate(row, from_attributes=True)


AssetStatus = Literal["in_stock", "rented", "sold", "picked_up", "in_service", "retired"]


class SerialOut(BaseModel):
    """Where a serialised unit is now; `patient_id` while it is rented (the read is
    access-logged)."""

    serial: str = Field(..., examples=["BED-0001"])
    item_id: UUID
    hcpcs: str = Field(..., examples=["E0260"])
    status: AssetStatus
    location_id: UUID | None = Field(None, description="where it is in stock, if it is")
    home_location_id: UUID
    order_id: UUID | None = None
    patient_id: UUID | None = None
    purchase_order: str
    lot: str | None = None
    received_on: dt.date
    last_changed_on: dt.date
    version: int

    @classmethod
    def of_row(cls, row: Any) -> SerialOut:
        return cls.model_validate(row, from_attributes=True)


class SerialEvent(BaseModel):
    version: int
    happened: str = Field(..., examples=["delivered"])
    happened_on: dt.date
    location_id: UUID | None = None
    order_id: UUID | None = None
    patient_id: UUID | None = None
    detail: str | None = None
    recorded_at: dt.datetime

    @classmethod
    def of_row(cls, row: Any) -> SerialEvent:
        return cls.model_validate(row, from_attributes=True)


class SerialHistory(BaseModel):
    serial: SerialOut
    history: list[SerialEvent]


class Rental(BaseModel):
    serial: str = Field(..., examples=["BED-0001"])
    status: AssetStatus
    item_id: UUID
    hcpcs: str = Field(..., examples=["E0260"])
    order_id: UUID
    location_id: UUID
    rented_on: dt.date
    ended_on: dt.date | None = None
    ended_by: Literal["picked_up", "sold"] | None = None

    @classmethod
    def of_row(cls, row: Any) -> Rental:
        return cls.model_validate(row, from_attributes=True)


class CensusRow(BaseModel):
    hcpcs: str = Field(..., examples=["E0260"])
    item_id: UUID
    month: str = Field(..., examples=["2026-11"], description="YYYY-MM")
    units_rented: int = Field(..., examples=[12])

    @classmethod
    def of_row(cls, row: Any) -> CensusRow:
        return cls(hcpcs=row.hcpcs, item_id=row.item_id, month=row.month.strftime("%Y-%m"),
                   units_rented=row.units_rented)
