"""The claim lifecycle after the payer's first answer: correct, replace, resubmit, bill the
secondary, patient payments and refunds, write-offs, appeal decisions, close: the handlers.

Each command takes `If-Match` (412 when the claim moved on), answers `{id, version, position}`
with the claim's ETag, and refuses what the Claim's rules refuse with 409 problem+json naming
the rule. Commands that send something to a payer answer 202 with the submission's job. The
use cases are in application/claim_lifecycle.py; bodies in schemas/claim_lifecycle.py.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from application import claim_lifecycle as lifecycle
from application.claims import SubmissionResult
from application.identity import Principal
from interfaces.bootstrap import Aries
from interfaces.http.commands import (
    CommandAccepted,
    ExpectedVersion,
    JobAccepted,
    command_response,
    job_response,
)
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import Allowed
from interfaces.http.problems import ProblemResponses
from interfaces.http.schemas.claim_lifecycle import (
    AppealDecisionRequest,
    CloseRequest,
    CorrectionRequest,
    PatientPaymentRequest,
    PatientRefundRequest,
    ReplacementRequest,
    WriteOffRequest,
)
from interfaces.http.security import AUTH_RESPONSES
from interfaces.workers.jobs import JobStore, job_id_for_submission

router = APIRouter(prefix="/v1/claims", tags=["claims"], responses=AUTH_RESPONSES)

_errors = ProblemResponses({
    404: "no such claim in your tenant",
    409: "a claim rule refused the command (`rule` names it), or a concurrent change",
    412: "If-Match names a version the claim has moved past",
})
COMMAND_ERRORS = _errors(404, 409, 412)


def _submission_job(
    aries: Aries, principal: Principal, claim_id: UUID, result: SubmissionResult
) -> JSONResponse:
    """202 with the job that sends this submission of the claim."""
    job_id = job_id_for_submission(claim_id, result.submission_number)
    JobStore(aries.read_engine).queued(
        job_id, "claim_submission", principal.tenant_id, claim_id, str(principal.id)
    )
    return job_response(result, job_id)


@router.post(
    "/{claim_id}/corrections",
    operation_id="correct_claim",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def correct_claim(
    claim_id: UUID,
    body: CorrectionRequest,
    principal: Allowed("correct_claim"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Correct a claim the payer never filed (a draft, or one rejected by the clearinghouse):
    it goes back to draft, to be submitted again as an original claim (frequency 1)."""
    result = lifecycle.correct_claim(
        aries.claims, claim_id, **body.model_dump(exclude_none=True), expected_version=expected
    )
    return command_response(result)


@router.post(
    "/{claim_id}/replacement",
    status_code=201,
    operation_id="replace_claim",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def replace_claim(
    claim_id: UUID,
    body: ReplacementRequest,
    principal: Allowed("replace_claim"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Replace an adjudicated claim: its charges are reversed and a replacement claim
    (frequency 7, REF*F8 the payer's claim number) is drafted with the corrections. The answer
    is the replacement (`Location`); submit it when ready."""
    result = lifecycle.replace_claim(
        aries.claims, claim_id, **body.model_dump(exclude_none=True), expected_version=expected
    )
    return command_response(result, 201, location=f"/v1/claims/{result.id}")


@router.post(
    "/{claim_id}/resubmission",
    status_code=202,
    operation_id="resubmit_claim",
    response_model=JobAccepted,
    responses=COMMAND_ERRORS,
)
def resubmit_claim(
    claim_id: UUID,
    body: ReplacementRequest,
    principal: Allowed("resubmit_claim"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Correct and resubmit an adjudicated (e.g. denied) claim in one call: the replacement
    (frequency 7 with the payer's claim number) is drafted, scrubbed and sent. The answer is
    the replacement claim and its submission job."""
    result = lifecycle.replace_claim(
        aries.claims, claim_id, **body.model_dump(exclude_none=True), submit=True,
        expected_version=expected,
    )
    assert isinstance(result, SubmissionResult)
    return _submission_job(aries, principal, result.id, result)


@router.post(
    "/{claim_id}/secondary-billing",
    status_code=202,
    operation_id="bill_secondary",
    response_model=JobAccepted,
    responses=COMMAND_ERRORS,
)
def bill_secondary(
    claim_id: UUID,
    principal: Allowed("bill_secondary"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Bill what the primary payer left to the patient's secondary coverage (crossover): the
    balance moves to the secondary payer and the claim goes out to it with the primary's
    adjudication (loops 2320/2330/2430)."""
    result = lifecycle.bill_secondary(aries.claims, claim_id, expected_version=expected)
    return _submission_job(aries, principal, claim_id, result)


@router.post(
    "/{claim_id}/patient-payments",
    operation_id="record_patient_payment",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def record_patient_payment(
    claim_id: UUID,
    body: PatientPaymentRequest,
    principal: Allowed("record_patient_payment"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Record a payment from the patient; it may not exceed what the patient owes."""
    result = lifecycle.record_patient_payment(
        aries.claims, claim_id, **body.model_dump(exclude_none=True), expected_version=expected
    )
    return command_response(result)


@router.post(
    "/{claim_id}/patient-refunds",
    operation_id="refund_patient",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def refund_patient(
    claim_id: UUID,
    body: PatientRefundRequest,
    principal: Allowed("refund_patient"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Record a refund to the patient; it may not exceed the patient's credit on the claim."""
    result = lifecycle.refund_patient(
        aries.claims, claim_id, **body.model_dump(exclude_none=True), expected_version=expected
    )
    return command_response(result)


@router.post(
    "/{claim_id}/write-offs",
    operation_id="write_off_claim",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def write_off_claim(
    claim_id: UUID,
    body: WriteOffRequest,
    principal: Allowed("write_off_claim"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Write off every remaining balance (or credit) on a filed claim, with a reason code."""
    result = lifecycle.write_off(
        aries.claims, claim_id, reason=body.reason(), on=body.on, expected_version=expected
    )
    return command_response(result)


@router.post(
    "/{claim_id}/appeal-decision",
    operation_id="decide_claim_appeal",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def decide_claim_appeal(
    claim_id: UUID,
    body: AppealDecisionRequest,
    principal: Allowed("decide_claim_appeal"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Record the payer's decision on the open appeal (the money follows as a remittance)."""
    result = lifecycle.decide_appeal(
        aries.claims, claim_id, **body.model_dump(exclude_none=True), expected_version=expected
    )
    return command_response(result)


@router.post(
    "/{claim_id}/close",
    operation_id="close_claim",
    response_model=CommandAccepted,
    responses=COMMAND_ERRORS,
)
def close_claim(
    claim_id: UUID,
    principal: Allowed("close_claim"),
    aries: AriesDep,
    expected: ExpectedVersion,
    body: CloseRequest | None = None,
) -> JSONResponse:
    """Close a claim at zero balance, with no appeal or submission open."""
    on = body.on if body is not None else None
    result = lifecycle.close_claim(aries.claims, claim_id, on=on, expected_version=expected)
    return command_response(result)
