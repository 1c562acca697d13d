"""What command endpoints answer, and optimistic concurrency over HTTP.

A command answers `{id, version, position}` with `ETag: "<version>"`. A client that wants
"change it only if nobody else has" sends that ETag back as `If-Match`; the endpoint passes
`expected_version` to the application (`load(..., expected_version=...)` raises StaleVersion,
which the problem handlers answer as 412 with the current ETag). `If-Match: *` or no header
means "any version". A write that loses a race after the check (ConcurrentUpdate) is a 412 too
when If-Match named a version: that version is no longer current, whichever moment the other
writer won (interfaces/http/problems.py reads it from `request.state.if_match_version`).
Without If-Match it is a 409, except for the commands that do not depend on the state they
read, which the application runs again (`application.eventstore.retried_unless_conditional`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from application.eventstore import CommandResult
from interfaces.http.bounds import BIGINT_MAX
from interfaces.http.problems import ProblemError


class CommandAccepted(BaseModel):
    """A recorded command: the aggregate, its new version (also the ETag) and the event-store
    position to pass as `min_position` to a query that must see it."""

    id: UUID
    version: int = Field(..., examples=[3])
    position: int | None = Field(None, examples=[1042])


class JobAccepted(CommandAccepted):
    """A recorded command whose side effect a worker carries out: follow the job at
    `/v1/jobs/{job_id}` (the answer's `Location`), or stream it at `/v1/jobs/{job_id}/events`."""

    job_id: UUID
    status: Literal["queued"] = "queued"


def etag(version: int) -> str:
    return f'"{version}"'


def command_response(
    result: CommandResult,
    status: int = 200,
    *,
    location: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """The answer to a command: `{id, version, position}` (plus `extra` fields) and its ETag."""
    body = {"id": str(result.id), "version": result.version, "position": result.position}
    body.update(extra or {})
    headers = {"ETag": etag(result.version)}
    if location is not None:
        headers["Location"] = location
    return JSONResponse(body, status_code=status, headers=headers)


def job_response(result: CommandResult, job_id: UUID) -> JSONResponse:
    """202 for a command whose side effect the job `job_id` carries out (`JobAccepted`, with
    the job as `Location`)."""
    return command_response(
        result, 202, location=f"/v1/jobs/{job_id}",
        extra={"job_id": str(job_id), "status": "queued"},
    )


def _bad_if_match(detail: str) -> ProblemError:
    return ProblemError(
        400, "Bad request", detail, type_="https://aries.dev/problems/bad-if-match"
    )


async def expected_version(
    request: Request,
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='the ETag of the version you read, e.g. "3" (412 if it moved on)',
        ),
    ] = None,
) -> int | None:
    """The version `If-Match` expects, or None (no header, or `*`)."""
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip()
    if value.startswith("W/"):
        raise _bad_if_match("If-Match needs a strong ETag, as the command answered it")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(BIGINT_MAX)):
        raise _bad_if_match('If-Match is one ETag such as "3"')
    request.state.if_match_version = int(value)
    if int(value) > BIGINT_MAX:
        raise _bad_if_match("If-Match names a version no resource can reach")
    return int(value)


ExpectedVersion = Annotated[int | None, Depends(expected_version)]

