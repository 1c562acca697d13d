"""835 remittance files, posted by the workers.

`POST /v1/remittances` validates the 835 and records it; a worker posts it to the claims (the
job id is the remittance id). `GET /v1/remittances/{id}` reads the remittance aggregate itself
(no read model yet): what was received and, once posted, what was posted and what matched
nothing.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from application.remittances import receive_remittance
from application.x12.remittance835 import InvalidRemittance
from domain.remittance import Remittance
from interfaces.http.commands import JobAccepted, job_response
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import Allowed
from interfaces.http.problems import ProblemError, ProblemResponses
from interfaces.http.schemas.remittances import RemittanceOut
from interfaces.http.security import AUTH_RESPONSES
from interfaces.workers.jobs import JobStore

router = APIRouter(prefix="/v1/remittances", tags=["remittances"], responses=AUTH_RESPONSES)

_errors = ProblemResponses({
    400: "the 835 is empty, or the multipart form has no `file`",
    415: "the body is neither text/plain (or an X12 type) nor a multipart form",
    422: "not a valid 835 (the rule is named)",
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


async def _body_text(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ProblemError(400, "Bad request", "send the 835 as the form field `file`")
        return await upload.read()
    if content_type in TEXT_TYPES:
        return await request.body()
    raise ProblemError(
        415, "Unsupported media type",
        "send the 835 as text/plain (or application/edi-x12), or as a multipart field `file`",
    )


@router.post(
    "",
    operation_id="receive_remittance",
    status_code=202,
    response_model=JobAccepted,
    responses={
        202: {"description": "recorded; a worker posts it (poll the job)"},
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
    body = await _body_text(request)
    if not body.strip():
        raise ProblemError(400, "Bad request", "the 835 is empty")
    try:
        result = await run_in_threadpool(receive_remittance, aries.claims, body, str(principal.id))
    except InvalidRemittance as error:
        raise _not_an_835(error) from None
    await run_in_threadpool(
        JobStore(aries.read_engine).queued,
        result.id, "remittance", principal.tenant_id, result.id, str(principal.id),
    )
    return job_response(result, result.id)


@router.get("/{remittance_id}", operation_id="read_remittance", response_model=RemittanceOut)
def get_remittance(
    remittance_id: UUID,
    principal: Allowed("read_remittance"),
    aries: AriesDep,
) -> RemittanceOut:
    """A received remittance: its payment and, once posted, its claims and unmatched lines."""
    return RemittanceOut.of(aries.claims.load(remittance_id, Remittance))
