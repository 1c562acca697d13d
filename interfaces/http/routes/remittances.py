"""835 remittance files, posted by the workers.

`POST /v1/remittances` validates the 835 file and records each of its 835 transactions (one
remittance per payment); a worker posts each to the claims (each job id is its remittance id;
the answer follows the first and lists all in `remittances`). `GET /v1/remittances/{id}` reads
the remittance aggregate itself (no read model yet): what was received and, once posted, what
was posted and what matched nothing, with its provider-level adjustments (PLB) and whether it
reconciles with BPR02.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from application.remittances import receive_remittances
from application.x12.remittance835 import InvalidRemittance
from domain.remittance import Remittance
from interfaces.http.commands import command_response
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import Allowed
from interfaces.http.problems import ProblemError, ProblemResponses
from interfaces.http.reads import one_hop
from interfaces.http.schemas.remittances import RemittanceOut, RemittancesAccepted
from interfaces.http.security import AUTH_RESPONSES
from interfaces.http.uploads import uploaded_file
from interfaces.workers.jobs import JobStore

router = APIRouter(prefix="/v1/remittances", tags=["remittances"], responses=AUTH_RESPONSES)

_errors = ProblemResponses({
    400: "the 835 is empty, or the multipart form has no `file`",
    415: "the body is neither text/plain (or an X12 type) nor a multipart form",
    422: "not a valid, balanced 835 (each error by segment and element)",
})
EXAMPLE_835 = (
    "ISA*00*          *00*          *ZZ*MCRDMEJB       *ZZ*ARIESDME       *261110*1200*^*00501"
    "*000000101*0*P*:~GS*HP*MCRDMEJB*ARIESDME*20261110*1200*101*X*005010X221A1~ST*835*0001~..."
)
TEXT_TYPES = ("text/plain", "application/edi-x12", "application/x12", "application/octet-stream")


def _not_an_835(error: InvalidRemittance) -> ProblemError:
    return ProblemError(
        422, "Not a valid 835", error.message,
        type_="https://aries.dev/problems/invalid-remittance", rule=error.rule,
        errors=[{"msg": e} for e in error.errors] or None,
    )


@router.post(
    "",
    operation_id="receive_remittance",
    status_code=202,
    response_model=RemittancesAccepted,
    responses={
        202: {"description": "recorded; a worker posts each payment (poll the jobs)"},
        **_errors(400, 415, 422),
    },
    # The body is read raw (not a model): describe it here.
    openapi_extra={"requestBody": {"required": True, "content": {
        kind: {"schema": {"type": "string"}, "example": EXAMPLE_835}
        for kind in ("text/plain",)
    }}},
)
async def post_remittance(
    request: Request,
    principal: Allowed("receive_remittance"),
    aries: AriesDep,
) -> JSONResponse:
    """Receive an 835 (text/plain body, or a multipart `file`): 202 with the posting job."""
    body = await uploaded_file(request, TEXT_TYPES, "the 835")
    if not body.strip():
        raise ProblemError(400, "Bad request", "the 835 is empty")
    try:
        results = await run_in_threadpool(
            receive_remittances, aries.claims, body, str(principal.id)
        )
    except InvalidRemittance as error:
        raise _not_an_835(error) from None
    jobs = JobStore(aries.read_engine)
    for result in results:
        await run_in_threadpool(
            jobs.queued,
            result.id, "remittance", principal.tenant_id, result.id, str(principal.id),
        )
    first = results[0]
    return command_response(
        first, 202, location=f"/v1/jobs/{first.id}",
        extra={
            "job_id": str(first.id), "status": "queued",
            "remittances": [{"id": str(r.id), "job_id": str(r.id)} for r in results],
        },
    )


@router.get("/{remittance_id}", operation_id="read_remittance", response_model=RemittanceOut)
@one_hop
def get_remittance(
    remittance_id: UUID,
    principal: Allowed("read_remittance"),
    aries: AriesDep,
) -> RemittanceOut:
    """A received remittance: its payment and, once posted, its claims and unmatched lines."""
    return RemittanceOut.of(aries.claims.load(remittance_id, Remittance))
