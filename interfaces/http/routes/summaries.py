"""Clinical-note summaries: requested as jobs, read, reviewed.

- `POST /v1/patients/{id}/summaries` records `SummaryRequested` and answers 202 with the job
  (job id = summary id); a worker writes it with the configured provider and records it.
- `GET /v1/patients/{id}/summary` answers at once, for small histories: the latest recorded
  summary if it read every note at its current version (`source: recorded`), else a summary
  computed now by the local (offline) provider and not recorded (`source: computed`): a read
  does not write, and only a recorded summary has provenance a clinician can review. More than
  20 notes and no current recorded summary: 409 `sync_summary_is_for_small_histories`.
- `GET /v1/patients/{id}/summaries/{summary_id}` reads one recorded summary.
- `POST /v1/patients/{id}/summaries/{summary_id}/review` marks it reviewed (approved or not).
"""

from __future__ import annotations

from uuid import UUID, uuid4

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from application.summaries import preview_summary, recorded_view, request_summary
from domain.errors import NotFound
from domain.patient import Patient
from interfaces.http.access import READ, record_access
from interfaces.http.commands import (
    CommandAccepted,
    ExpectedVersion,
    command_response,
    job_response,
)
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import Allowed
from interfaces.http.reads import one_hop
from interfaces.http.schemas.summaries import ReviewRequest, SummaryJobAccepted, SummaryOut
from interfaces.http.security import AUTH_RESPONSES
from interfaces.summarisers import LocalSummariser
from interfaces.workers.jobs import JobStore

router = APIRouter(prefix="/v1/patients", tags=["summaries"], responses=AUTH_RESPONSES)


@router.post(
    "/{patient_id}/summaries",
    operation_id="request_summary",
    status_code=202,
    response_model=SummaryJobAccepted,
)
def post_summary_request(
    patient_id: UUID,
    principal: Allowed("request_summary"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Ask for a summary of the patient's notes: 202 with the job that writes it."""
    summary_id = uuid4()
    result = request_summary(
        aries.patients, patient_id, requested_by=str(principal.id), summary_id=summary_id,
        expected_version=expected,
    )
    JobStore(aries.read_engine).queued(
        summary_id, "summary", principal.tenant_id, patient_id, str(principal.id)
    )
    return job_response(result, summary_id)


@router.get("/{patient_id}/summary", operation_id="read_current_summary",
            response_model=SummaryOut)
@one_hop
def get_current_summary(
    patient_id: UUID,
    principal: Allowed("read_current_summary", phi="summary"),
    aries: AriesDep,
    request: Request,
) -> SummaryOut:
    """The patient's current summary: recorded if one covers every note, else computed now
    (offline, not recorded) for histories of up to 20 notes."""
    summary = SummaryOut.model_validate(
        preview_summary(aries.patients, LocalSummariser(), patient_id), from_attributes=True
    )
    record_access(aries, principal, request, action=READ, patient_ids=[patient_id],
                  fields_class="summary")
    return summary


@router.get("/{patient_id}/summaries/{summary_id}", operation_id="read_summary",
            response_model=SummaryOut)
@one_hop
def get_summary(
    patient_id: UUID,
    summary_id: UUID,
    principal: Allowed("read_summary", phi="summary"),
    aries: AriesDep,
    request: Request,
) -> SummaryOut:
    """One recorded summary with its provenance and review."""
    patient = aries.patients.load(patient_id, Patient)
    summary = patient.summaries.get(summary_id)
    if summary is None:
        raise NotFound("summary", summary_id)
    record_access(aries, principal, request, action=READ, patient_ids=[patient_id],
                  fields_class="summary")
    return SummaryOut.model_validate(recorded_view(summary), from_attributes=True)


@router.post(
    "/{patient_id}/summaries/{summary_id}/review",
    operation_id="review_summary",
    response_model=CommandAccepted,
)
def post_review(
    patient_id: UUID,
    summary_id: UUID,
    body: ReviewRequest,
    principal: Allowed("review_summary"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Mark a recorded summary reviewed (approved or not), once."""
    result = aries.patients.review_summary(
        patient_id, summary_id, reviewer_id=str(principal.id), approved=body.approved,
        comment=body.comment, expected_version=expected,
    )
    return command_response(result)
