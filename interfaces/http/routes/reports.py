"""Report files (issue 20): ask for one (202 + job id; a worker makes it), then download it
once the job has succeeded. Reports read the read models only and name no patient; the
timely-filing report lists claims one by one, so analysts (aggregate figures only) may not
have it. A file is kept ARIES_REPORT_RETENTION_HOURS (interfaces/reports/files.py)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from domain.identity import Role
from interfaces.http.deps import AriesDep
from interfaces.http.job_queue import start_job
from interfaces.http.permissions import Allowed
from interfaces.http.problems import ProblemError, ProblemResponses
from interfaces.http.reads import one_hop
from interfaces.http.schemas.reports import ReportAccepted, ReportRequest
from interfaces.http.security import AUTH_RESPONSES
from interfaces.reports.files import RENDERERS, ReportFileStore
from interfaces.workers.actors import GENERATE_REPORT
from interfaces.workers.jobs import JobStore
from projections.queries.local_today import AskedAt

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=AUTH_RESPONSES)

# Reports listing single claims are for the billing office and auditors, not analysts.
CLAIM_LEVEL_KINDS = frozenset({"timely_filing"})

_errors = ProblemResponses({
    403: "your role may not have this kind of report",
    404: "no such report in your tenant",
    409: "the report is not made yet (follow its job)",
    410: "the report file has expired and was deleted; ask for a new one",
    422: "from_date after as_of, or as_of after the supplier's today",
    503: "the job could not be queued",
})

FILE_CONTENT = {
    media_type.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
    for media_type, _ in RENDERERS.values()
}


def _may_have(role: Role, kind: str) -> bool:
    return role is not Role.ANALYST or kind not in CLAIM_LEVEL_KINDS


def _forbidden(kind: str) -> ProblemError:
    return ProblemError(403, "Forbidden", f"your role may not have the {kind} report",
                        type_="https://aries.dev/problems/forbidden")


@router.post(
    "",
    status_code=202,
    operation_id="request_report",
    response_model=ReportAccepted,
    responses=_errors(403, 422, 503),
)
def request_report(
    body: ReportRequest,
    principal: Allowed("request_report"),
    aries: AriesDep,
    request: Request,
) -> JSONResponse:
    """Make a report file (AR aging, denials, cash posting, DSO, rental census or timely-
    filing risk) as CSV, Excel or PDF: a job; download the file when it has succeeded."""
    if not _may_have(principal.role, body.kind):
        raise _forbidden(body.kind)
    asked = AskedAt.of(aries.claims.clock)
    today = asked.supplier_today
    as_of = body.as_of or today
    if as_of > today:
        raise ProblemError(422, "Unprocessable", "as_of is after the supplier's today",
                           type_="https://aries.dev/problems/validation")
    if body.from_date is not None and body.from_date > as_of:
        raise ProblemError(422, "Unprocessable", "from_date is after as_of",
                           type_="https://aries.dev/problems/validation")
    job_id = uuid4()
    start_job(
        request.app, aries, principal, GENERATE_REPORT, job_id=job_id,
        report_id=str(job_id), kind=body.kind, format=body.format, as_of=as_of.isoformat(),
        start=body.from_date.isoformat() if body.from_date else None,
        # Of today (no as_of chosen): claims count to today at their own locations.
        **({} if body.as_of else {"at": asked.at.isoformat(), "zone": asked.zone}),
    )
    accepted = ReportAccepted(
        job_id=job_id, download=f"/v1/reports/{job_id}/file",
        retention_hours=aries.settings.report_retention_hours,
    )
    return JSONResponse(accepted.model_dump(mode="json"), status_code=202,
                        headers={"Location": f"/v1/jobs/{job_id}"})


@router.get(
    "/{job_id}/file",
    operation_id="download_report",
    response_class=Response,
    responses={
        200: {"description": "the report file (Content-Disposition: attachment)",
              "content": FILE_CONTENT},
        **_errors(403, 404, 409, 410),
    },
)
@one_hop
def download_report(
    job_id: UUID,
    principal: Allowed("download_report"),
    aries: AriesDep,
) -> Response:
    """Download a report file the report job made."""
    job = JobStore(aries.read_engine).get(job_id, principal.tenant_id)
    if job is None or job.kind != GENERATE_REPORT.job_kind:
        raise ProblemError(404, "Not found", "no such report",
                           type_="https://aries.dev/problems/not-found")
    store = ReportFileStore(aries.read_engine,
                            timedelta(hours=aries.settings.report_retention_hours))
    stored = store.get(job_id, principal.tenant_id)
    if stored is None and job.status == "succeeded":
        raise _gone()
    if stored is None:
        raise ProblemError(409, "Conflict", f"the report is {job.status}",
                           type_="https://aries.dev/problems/not-ready")
    if not _may_have(principal.role, stored.kind):
        raise _forbidden(stored.kind)
    if stored.expired:
        raise _gone()
    file = stored.file
    return Response(
        file.content, media_type=file.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "Cache-Control": "private, no-store",
        },
    )


def _gone() -> ProblemError:
    return ProblemError(410, "Gone", "the report file has expired; ask for a new one",
                        type_="https://aries.dev/problems/expired")
