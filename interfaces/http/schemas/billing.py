"""Request and response bodies of billing runs (interfaces/http/routes/billing.py)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from interfaces.http.schemas.values import IsoDate


class BillingRunRequest(BaseModel):
    as_of: IsoDate = Field(..., description="bill everything due on or before this date",
                           examples=["2026-11-30"])


class BillingRunReport(BaseModel):
    as_of: dt.date
    orders_examined: int = Field(..., description="delivered orders of your tenant looked at")
    months_opened: int = Field(..., description="rental months newly opened by this run")
    claims_drafted: int = Field(..., description="claims drafted by this run")
    refused: dict[str, str] = Field(
        default_factory=dict, description="order id -> the rule that refused its billing"
    )
