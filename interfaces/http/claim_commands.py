"""What every claim command endpoint shares: its route declaration (If-Match, 404/409/412
problem+json, a `CommandAccepted` or, for one that sends something to a payer, a 202
`JobAccepted`), running a use case with the request body's fields, and the submission job a
202 names. The handlers stay one per operation (each has its own permission, body and
OpenAPI summary) and hold only what differs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from application.claims import SubmissionResult
from application.eventstore import CommandResult
from application.identity import Principal
from interfaces.bootstrap import Aries
from interfaces.http.commands import CommandAccepted, JobAccepted, job_response
from interfaces.http.problems import ProblemResponses
from interfaces.workers.jobs import JobStore, job_id_for_submission

_errors = ProblemResponses({
    404: "no such claim in your tenant",
    409: "a claim rule refused the command (`rule` names it), or a concurrent change",
    412: "If-Match names a version the claim has moved past",
})
COMMAND_ERRORS = _errors(404, 409, 412)


def claim_command(
    router: APIRouter, path: str, operation_id: str, *, status_code: int = 200
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare `POST /v1/claims{path}`: a 202 answers the job that sends the claim."""
    return router.post(
        path,
        status_code=status_code,
        operation_id=operation_id,
        response_model=JobAccepted if status_code == 202 else CommandAccepted,
        responses=COMMAND_ERRORS,
    )


def run_claim_command(
    use_case: Callable[..., CommandResult],
    aries: Aries,
    claim_id: UUID,
    body: BaseModel | None,
    expected: int | None,
    **more: Any,
) -> CommandResult:
    """`use_case(claims, claim_id, **body fields, **more, expected_version=...)`."""
    fields = body.model_dump(exclude_none=True) if body is not None else {}
    return use_case(aries.claims, claim_id, **fields, **more, expected_version=expected)


def submission_job(
    aries: Aries, principal: Principal, claim_id: UUID, result: SubmissionResult
) -> JSONResponse:
    """202 with the job that sends this submission of the claim."""
    job_id = job_id_for_submission(claim_id, result.submission_number)
    JobStore(aries.read_engine).queued(
        job_id, "claim_submission", principal.tenant_id, claim_id, str(principal.id)
    )
    return job_response(result, job_id)
