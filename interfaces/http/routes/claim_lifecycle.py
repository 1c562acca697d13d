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
from interfaces.http.claim_commands import claim_command, run_claim_command, submission_job
from interfaces.http.commands import ExpectedVersion, command_response
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import Allowed
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

router = APIRouter(prefix="/v1/claims", tags=["claims"], responses=AUTH_RESPONSES)


@claim_command(router, "/{claim_id}/corrections", "correct_claim")
def correct_claim(
    claim_id: UUID,
    body: CorrectionRequest,
    principal: Allowed("correct_claim"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Correct a claim the payer never filed (a draft, or one rejected by the clearinghouse):
    it goes back to draft, to be submitted again as an original claim (frequency 1)."""
    result = run_claim_command(lifecycle.correct_claim, aries, claim_id, body, expected)
    return command_response(result)


@claim_command(router, "/{claim_id}/replacement", "replace_claim", status_code=201)
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
    result = run_claim_command(lifecycle.replace_claim, aries, claim_id, body, expected)
    return command_response(result, 201, location=f"/v1/claims/{result.id}")


@claim_command(router, "/{claim_id}/resubmission", "resubmit_claim", status_code=202)
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
    result = run_claim_command(
        lifecycle.replace_claim, aries, claim_id, body, expected, submit=True
    )
    assert isinstance(result, SubmissionResult)
    return submission_job(aries, principal, result.id, result)


@claim_command(router, "/{claim_id}/secondary-billing", "bill_secondary", status_code=202)
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
    return submission_job(aries, principal, claim_id, result)


@claim_command(router, "/{claim_id}/patient-payments", "record_patient_payment")
def record_patient_payment(
    claim_id: UUID,
    body: PatientPaymentRequest,
    principal: Allowed("record_patient_payment"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Record a payment from the patient; it may not exceed what the patient owes."""
    result = run_claim_command(lifecycle.record_patient_payment, aries, claim_id, body, expected)
    return command_response(result)


@claim_command(router, "/{claim_id}/patient-refunds", "refund_patient")
def refund_patient(
    claim_id: UUID,
    body: PatientRefundRequest,
    principal: Allowed("refund_patient"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Record a refund to the patient; it may not exceed the patient's credit on the claim."""
    result = run_claim_command(lifecycle.refund_patient, aries, claim_id, body, expected)
    return command_response(result)


@claim_command(router, "/{claim_id}/write-offs", "write_off_claim")
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


@claim_command(router, "/{claim_id}/appeal-decision", "decide_claim_appeal")
def decide_claim_appeal(
    claim_id: UUID,
    body: AppealDecisionRequest,
    principal: Allowed("decide_claim_appeal"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Record the payer's decision on the open appeal (the money follows as a remittance)."""
    result = run_claim_command(lifecycle.decide_appeal, aries, claim_id, body, expected)
    return command_response(result)


@claim_command(router, "/{claim_id}/close", "close_claim")
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
