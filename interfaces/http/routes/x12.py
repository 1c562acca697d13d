"""A claim's X12 837P, as text: what goes (or went) to the clearinghouse."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from interfaces.clearinghouse import submission_service_from
from interfaces.http.access import READ, record_access
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import Allowed
from interfaces.http.problems import Problem
from interfaces.http.reads import one_hop
from interfaces.http.security import AUTH_RESPONSES

router = APIRouter(prefix="/v1/claims", tags=["claims"], responses=AUTH_RESPONSES)

X12_EXAMPLE = "ISA*00*          *00*          *ZZ*ARIESDME ...~\nST*837*0001*005010X222A1~"


@router.get(
    "/{claim_id}/x12",
    operation_id="read_claim_x12",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/plain": {"example": X12_EXAMPLE}},
              "description": "the claim's 837P (005010X222A1) interchange"},
        404: {"model": Problem, "description": "no such claim in your tenant"},
        409: {"model": Problem, "description": "the claim cannot be rendered (rule named)"},
    },
)
@one_hop
def read_claim_x12(
    claim_id: UUID,
    principal: Allowed("read_claim_x12", phi="full_record"),
    aries: AriesDep,
    request: Request,
) -> PlainTextResponse:
    """The claim's 837P: as submitted (its control number), or as it would be sent now.
    It names the patient, so reading it is recorded in the PHI access log."""
    text = submission_service_from(aries).preview(claim_id)
    patient_id = aries.claims.get_claim(claim_id).patient_id
    record_access(aries, principal, request, action=READ, patient_ids=[patient_id],
                  fields_class="full_record", operation="read_claim_x12")
    return PlainTextResponse(text, headers={"Cache-Control": "no-store"})
