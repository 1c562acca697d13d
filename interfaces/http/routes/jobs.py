"""Side-effect jobs: status and live updates.

- `GET /v1/jobs/{job_id}`: the job as it stands (queued, running, succeeded, failed with its
  reason and whether a retry is scheduled, dead).
- `GET /v1/jobs/{job_id}/events`: Server-Sent Events. One `status` event at once, one more at
  every change (the `id` is the job's revision: reconnect with `Last-Event-ID` to skip what
  you have), and the stream ends once the job has succeeded or is dead. A stream lasts at most
  `STREAM_SECONDS`; clients reconnect (EventSource does so by itself).

A job is visible to its tenant only, and by kind to the roles that may start it (another
tenant's job, or a kind the role may not follow, is a 404).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from application.identity import Principal
from domain.identity import Role
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import Allowed
from interfaces.http.problems import ProblemError
from interfaces.http.reads import one_hop
from interfaces.http.schemas.jobs import JobOut
from interfaces.http.security import AUTH_RESPONSES
from interfaces.workers.jobs import Job, JobStore

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=AUTH_RESPONSES)

POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0
STREAM_SECONDS = 300.0
RECONNECT_MILLISECONDS = 2000

FOLLOWERS: dict[str, frozenset[Role]] = {
    "summary": frozenset({Role.CLINICIAN, Role.ADMIN, Role.AUDITOR}),
    "claim_submission": frozenset({Role.BILLER, Role.ADMIN, Role.AUDITOR}),
    "remittance": frozenset({Role.BILLER, Role.ADMIN, Role.AUDITOR}),
    "claim_batch": frozenset({Role.BILLER, Role.ADMIN, Role.AUDITOR}),
    "patient_statements": frozenset({Role.BILLER, Role.ADMIN, Role.AUDITOR}),
    "billing_run": frozenset({Role.BILLER, Role.ADMIN, Role.AUDITOR}),
    # routes/reports.py narrows further by report kind when the file is fetched
    "report": frozenset({Role.BILLER, Role.ADMIN, Role.AUDITOR, Role.ANALYST}),
}


def _out(job: Job) -> JobOut:
    return JobOut.model_validate(job, from_attributes=True)


def _visible(store: JobStore, job_id: UUID, principal: Principal) -> Job:
    job = store.get(job_id, principal.tenant_id)
    if job is None or principal.role not in FOLLOWERS.get(job.kind, frozenset()):
        raise ProblemError(
            404, "Not found", "no such job", type_="https://aries.dev/problems/not-found"
        )
    return job


@router.get("/{job_id}", operation_id="read_job", response_model=JobOut)
@one_hop
def read_job(
    job_id: UUID,
    principal: Allowed("read_job"),
    aries: AriesDep,
) -> JobOut:
    """A side-effect job's status."""
    return _out(_visible(JobStore(aries.read_engine), job_id, principal))


@router.get(
    "/{job_id}/events",
    operation_id="stream_job_events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "`status` events (data: the job as JSON) until it has finished",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        404: {"description": "no such job"},
    },
)
async def stream_job_events(
    job_id: UUID,
    principal: Allowed("stream_job_events"),
    aries: AriesDep,
    last_event_id: Annotated[str | None, Header(description="last revision received")] = None,
) -> StreamingResponse:
    """Follow a job's status as Server-Sent Events."""
    store = JobStore(aries.read_engine)
    job = await run_in_threadpool(_visible, store, job_id, principal)
    # A revision is an integer column: anything else (or larger) starts from the beginning.
    given = last_event_id or ""
    seen = int(given) if given.isascii() and given.isdigit() and len(given) <= 9 else 0
    return StreamingResponse(
        _events(store, job, principal.tenant_id, seen),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(
    store: JobStore, job: Job | None, tenant_id: str, seen: int
) -> AsyncIterator[str]:
    yield f"retry: {RECONNECT_MILLISECONDS}\n\n"
    started = last_sent = time.monotonic()
    while job is not None:
        if job.revision > seen:
            seen = job.revision
            last_sent = time.monotonic()
            yield f"id: {job.revision}\nevent: status\ndata: {_out(job).model_dump_json()}\n\n"
        if job.finished or time.monotonic() - started >= STREAM_SECONDS:
            return
        if time.monotonic() - last_sent >= KEEPALIVE_SECONDS:
            last_sent = time.monotonic()
            yield ": keep-alive\n\n"  # a comment: keeps proxies from closing an idle stream
        await asyncio.sleep(POLL_SECONDS)
        job = await run_in_threadpool(store.get, job.job_id, tenant_id)
