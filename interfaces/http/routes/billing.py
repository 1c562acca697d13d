"""Billing runs: bill every rental month due by a date, exactly once.

A run walks every delivered order of the tenant, so it is a job: `POST /v1/billing-runs`
records the request and answers 202 with the job (follow it at `/v1/jobs/{job_id}`; its result
is the run's report). A worker bills in bounded batches (`application.billing`). An as-of date
after the supplier's today is refused (409, rule `billing_run_is_not_in_the_future`) and
nothing is recorded.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from application.billing import request_billing_run
from interfaces.http.commands import JobAccepted, job_response
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import Allowed
from interfaces.http.problems import ProblemResponses
from interfaces.http.schemas.billing import BillingRunRequest
from interfaces.http.security import AUTH_RESPONSES
from interfaces.workers.jobs import JobStore

router = APIRouter(prefix="/v1/billing-runs", tags=["billing"], responses=AUTH_RESPONSES)

errors = ProblemResponses(
    {
        409: "refused by a rule (`billing_run_is_not_in_the_future`: as_of is after today)",
        422: "as_of is missing or not a YYYY-MM-DD date",
    }
)


@router.post(
    "",
    operation_id="run_billing",
    status_code=202,
    response_model=JobAccepted,
    responses={
        202: {"description": "recorded; a worker runs it (poll the job for the report)"},
        **errors(409, 422),
    },
)
async def post_billing_run(
    body: BillingRunRequest,
    principal: Allowed("run_billing"),
    aries: AriesDep,
) -> JSONResponse:
    """Open every rental month due by `as_of` and draft its claims, as a job; running it
    again, or twice at once, creates nothing twice."""
    result = await run_in_threadpool(
        request_billing_run, aries.claims, body.as_of, str(principal.id)
    )
    await run_in_threadpool(
        JobStore(aries.read_engine).queued,
        result.id, "billing_run", principal.tenant_id, result.id, str(principal.id),
    )
    return job_response(result, result.id)
