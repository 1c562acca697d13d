"""Bodies of the equipment catalogue (interfaces/http/routes/catalogue.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

Category = Literal["rental", "purchase"]
Name = Field(..., min_length=1, max_length=120)


class AddItemRequest(BaseModel):
    """A make and model billed under a code of the HCPCS reference list. `category` and
    `serialised` default from the code (capped rental and oxygen items are rented; supplies
    are sold)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"hcpcs": "E0260", "manufacturer": "Invacare", "model": "G5510",
                 "category": "rental", "serialised": True}
            ]
        },
    )

    hcpcs: str = Field(..., pattern=r"^[A-Va-v][0-9]{4}$", examples=["E0260"])
    manufacturer: str = Field(..., min_length=1, max_length=120, examples=["Invacare"])
    model: str = Field(..., min_length=1, max_length=120, examples=["G5510"])
    category: Category | None = Field(None, examples=["rental"])
    serialised: bool | None = Field(None, examples=[True])


class ReviseItemRequest(BaseModel):
    """The fields to change; those left out keep their values. The HCPCS code never changes
    (another code is another item)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"model": "G5510 Deluxe", "serialised": True}]},
    )

    manufacturer: str | None = Field(None, min_length=1, max_length=120, examples=["Drive"])
    model: str | None = Field(None, min_length=1, max_length=120, examples=["G5510 Deluxe"])
    category: Category | None = Field(None, examples=["rental"])
    serialised: bool | None = Field(None, examples=[True])


class EquipmentItemOut(BaseModel):
    item_id: UUID
    hcpcs: str = Field(..., examples=["E0260"])
    manufacturer: str = Field(..., examples=["Invacare"])
    model: str = Field(..., examples=["G5510"])
    category: Category
    serialised: bool
    active: bool
    added_at: dt.datetime
    updated_at: dt.datetime
    version: int = Field(..., examples=[1])

    @classmethod
    def of_row(cls, row: Any) -> EquipmentItemOut:
        return cls.model_validate(row, from_attributes=True)
