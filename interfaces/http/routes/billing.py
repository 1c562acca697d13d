"""Billing runs: bill every rental month due by a date, exactly once."""

from __future__ import annotations

from fastapi import APIRouter

from application.billing import run_billing
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import Allowed
from interfaces.http.schemas.billing import BillingRunReport, BillingRunRequest
from interfaces.http.security import AUTH_RESPONSES

router = APIRouter(prefix="/v1/billing-runs", tags=["billing"], responses=AUTH_RESPONSES)


@router.post("", operation_id="run_billing", response_model=BillingRunReport)
def post_billing_run(
    body: BillingRunRequest,
    principal: Allowed("run_billing"),
    aries: AriesDep,
) -> BillingRunReport:
    """Open every rental month due by `as_of` and draft its claims; running it again, or
    twice at once, creates nothing twice."""
    report = run_billing(aries.orders, aries.claims, body.as_of)
    return BillingRunReport.model_validate(report, from_attributes=True)
