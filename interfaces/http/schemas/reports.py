"""Bodies of the report routes (interfaces/http/routes/reports.py)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from interfaces.http.schemas.values import IsoDate

ReportKind = Literal["ar_aging", "denials", "cash_posting", "dso", "rental_census",
                     "timely_filing"]
ReportFormat = Literal["csv", "xlsx", "pdf"]


class ReportRequest(BaseModel):
    """Which report, in which file format, as of which day. `from_date` starts the period of
    the period reports (denials, cash_posting; default: the first of as_of's month)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"kind": "ar_aging", "format": "xlsx"},
            {"kind": "denials", "format": "pdf", "from_date": "2026-11-01",
             "as_of": "2026-11-30"},
        ]},
    )

    kind: ReportKind = Field(..., description=(
        "ar_aging: open balances by payer and age; denials: by payer, CARC and RARC; "
        "cash_posting: deposits and provider-level adjustments; dso: days sales outstanding; "
        "rental_census: rental items out by HCPCS and month; timely_filing: unfiled claims "
        "near their filing deadline"))
    format: ReportFormat = Field(..., description="csv, xlsx (Excel) or pdf (with charts)")
    as_of: IsoDate | None = Field(
        None, description="the day the figures are counted to (default: the supplier's today)"
    )
    from_date: IsoDate | None = Field(None, description="first day of the period")


class ReportAccepted(BaseModel):
    """A report job: follow it at `/v1/jobs/{job_id}` (the answer's `Location`); the file is
    at `download` once it has succeeded."""

    job_id: UUID
    status: Literal["queued"] = "queued"
    download: str = Field(..., examples=["/v1/reports/0b7c.../file"])
    retention_hours: int = Field(..., description="the file is deleted this long after it "
                                 "is made")
