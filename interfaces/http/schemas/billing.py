"""The request body of a billing run (interfaces/http/routes/billing.py); its report is the
result of its job (`application.billing.BillingRunReport.as_dict`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from interfaces.http.schemas.values import IsoDate


class BillingRunRequest(BaseModel):
    as_of: IsoDate = Field(
        ...,
        description="bill everything due on or before this date (not after the supplier's "
        "today)",
        examples=["2026-11-30"],
    )
