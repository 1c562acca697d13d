"""Real-time inquiries through the clearinghouse: a patient's coverage eligibility (270/271)
and a claim's status (276/277): the handlers. The use cases are in application/inquiries.py.

Each asks the payer now and records the answer (on the patient or the claim): the answer is
the recorded command with what the payer said. The clearinghouse unavailable is a 503 (retry
later); no usable answer (refused, a 999, X12 that fails its implementation guide) a 502.
Every call is scoped to the caller's tenant: another tenant's patient or claim is a 404.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from application.inquiries import InquiryService, InquiryUnanswered
from application.ports import ClearinghouseUnavailable
from domain.errors import NotFound, RuleViolated
from interfaces.bootstrap import Aries
from interfaces.clearinghouse import inquiry_service_from
from interfaces.http.commands import etag
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import Allowed
from interfaces.http.problems import ProblemError, ProblemResponses
from interfaces.http.schemas.inquiries import (
    ClaimStatusAnswer,
    EligibilityAnswer,
    EligibilityCheckRequest,
)
from interfaces.http.security import AUTH_RESPONSES

T = TypeVar("T")

router = APIRouter(prefix="/v1", responses=AUTH_RESPONSES)

_errors = ProblemResponses({
    404: "no such patient, coverage or claim in your tenant",
    409: "a rule refused the inquiry (`rule` names it): a claim never submitted, a coverage "
    "without its subscriber",
    502: "the clearinghouse or payer gave no usable answer",
    503: "the clearinghouse is unavailable; retry later",
})
INQUIRY_ERRORS = _errors(404, 409, 502, 503)


@router.post(
    "/patients/{patient_id}/coverages/{coverage_id}/eligibility-checks",
    tags=["patients"],
    operation_id="check_eligibility",
    response_model=EligibilityAnswer,
    responses=INQUIRY_ERRORS,
)
def check_eligibility(
    patient_id: UUID,
    coverage_id: UUID,
    principal: Allowed("check_eligibility"),
    aries: AriesDep,
    body: EligibilityCheckRequest | None = None,
) -> JSONResponse:
    """Ask the coverage's payer whether it covers the patient (a 270, answered with a 271):
    active, inactive (the work queue asks a person to look) or rejected with the AAA reason."""
    asked = body or EligibilityCheckRequest()
    try:
        with _inquiries(aries) as inquiries:
            result = _answered(lambda: inquiries.check_eligibility(
                patient_id, coverage_id, as_of=asked.as_of, service_type=asked.service_type,
            ))
    except RuleViolated as error:
        if error.rule == "coverage_exists":
            raise NotFound("coverage", coverage_id) from None
        raise
    return _answer(EligibilityAnswer.of(result).model_dump(mode="json"), result.version)


@router.post(
    "/claims/{claim_id}/status-inquiries",
    tags=["claims"],
    operation_id="request_claim_status",
    response_model=ClaimStatusAnswer,
    responses=INQUIRY_ERRORS,
)
def request_claim_status(
    claim_id: UUID,
    principal: Allowed("request_claim_status"),
    aries: AriesDep,
) -> JSONResponse:
    """Ask the payer billed now what became of the claim (a 276, answered with a 277): its
    status category (A* acknowledged or rejected, P* pending, F* finalized) and status code."""
    with _inquiries(aries) as inquiries:
        result = _answered(lambda: inquiries.request_claim_status(claim_id))
    return _answer(ClaimStatusAnswer.of(result).model_dump(mode="json"), result.version)


@contextmanager
def _inquiries(aries: Aries) -> Iterator[InquiryService]:
    service = inquiry_service_from(aries)
    try:
        yield service
    finally:
        close = getattr(service.clearinghouse, "close", None)
        if close is not None:
            close()


def _answered(ask: Callable[[], T]) -> T:
    try:
        return ask()
    except ClearinghouseUnavailable:
        raise ProblemError(503, "Service unavailable", "the clearinghouse is unavailable; "
                           "retry later", headers={"Retry-After": "30"}) from None
    except InquiryUnanswered as unanswered:
        raise ProblemError(502, "Bad gateway", str(unanswered)) from None


def _answer(body: dict, version: int) -> JSONResponse:
    return JSONResponse(body, headers={"ETag": etag(version)})
