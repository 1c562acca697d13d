"""Bodies of the fee schedule endpoints (interfaces/http/routes/fee_schedules.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

Source = Literal["cms_dmepos", "contract"]

EXAMPLE_CMS_CSV = (
    "HCPCS,Mod,Mod2,JURIS,CATG,Ceiling,Floor,CA (NR),CA (R),IL (NR),IL (R),Description\n"
    "E0260,RR,,D,CR,0,0,72.69,125.35,73.9,125.35,Hosp bed semi-electr w/ matt\n"
)


class FeeScheduleImported(BaseModel):
    """The schedule the file is. `imported: false`: the same file was imported before (for the
    same payer, source and date) and nothing was recorded now."""

    schedule_id: UUID
    imported: bool
    row_count: int = Field(..., examples=[47])
    position: int | None = Field(None, examples=[1042])


class FeeScheduleOut(BaseModel):
    schedule_id: UUID
    payer_id: str = Field(..., examples=["MCR-DMEB"])
    source: Source
    effective_from: dt.date
    file_name: str = Field(..., examples=["DMEPOS25_APR.csv"])
    content_sha256: str
    row_count: int
    imported_at: dt.datetime

    @classmethod
    def of_row(cls, row: Any) -> FeeScheduleOut:
        return cls.model_validate(row, from_attributes=True)
