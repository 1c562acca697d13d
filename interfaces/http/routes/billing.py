"""Billing runs: bill every rental month due by a date, exactly once."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel, Field

from application.billing import run_billing
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import Allowed
from interfaces.http.security import AUTH_RESPONSES

router = APIRouter(prefix="/v1/billing-runs", tags=["billing"], responses=AUTH_RESPONSES)


class BillingRunRequest(BaseModel):
    as_of: dt.date = Field(..., description="bill everything due on or before this date",
                           examples=["2026-11-30"])


class BillingRunReport(BaseModel):
    as_of: dt.date
    orders_examined: int = Field(..., description="delivered orders of your tenant looked at")
    months_opened: int = Field(..., description="rental months newly opened by this run")
    claims_drafted: int = Field(..., description="claims drafted by this run")
    refused: dict[str, str] = Field(
        default_factory=dict, description="order id -> the rule that refused its billing"
    )


@router.post("", operation_id="run_billing", response_model=BillingRunReport)
def post_billing_run(
    body: BillingRunRequest,
    principal: Allowed("run_billing"),
    aries: AriesDep,
) -> BillingRunReport:
    """Open every rental month due by `as_of` and draft its claims; running it again, or
    twice at once, creates nothing twice."""
    report = run_billing(aries.orders, aries.claims, body.as_of)
    return BillingRunReport(
        as_of=report.as_of,
        orders_examined=report.orders_examined,
        months_opened=report.months_opened,
        claims_drafted=report.claims_drafted,
        refused=report.refused,
    )
