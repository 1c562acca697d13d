"""RFC 9457 problem details for every error the API answers: no stack traces, no PHI."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from pydantic import BaseModel, Field
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from application.eventstore import ConcurrentUpdate, StaleVersion
from domain.errors import DomainError, NotFound, RuleViolated
from projections.batches import describe, is_transient

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("aries.http")


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field("about:blank", examples=["https://aries.dev/problems/rule-violated"])
    title: str = Field(..., examples=["Business rule violated"])
    status: int = Field(..., examples=[409])
    detail: str | None = Field(
        None, examples=["HCPCS E0193 needs an unexpired prior authorization"]
    )
    instance: str | None = Field(None, examples=["/v1/orders/7d3c.../delivery"])
    rule: str | None = Field(None, description="the domain rule's stable name (409 only)")
    errors: list[dict[str, Any]] | None = Field(None, description="field errors (422 only)")
    request_id: str | None = None


PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": Problem.model_json_schema()}}


@dataclass(frozen=True)
class ProblemResponses:
    """The problem answers of one resource's routes, as OpenAPI documents them: what each
    status means there. Declare them once per resource and name the codes per route:

        errors = ProblemResponses({404: "no such order in your tenant", 422: "..."})

        @router.get("/{order_id}", responses=errors(404, 422))
    """

    descriptions: Mapping[int, str]

    def __call__(self, *codes: int) -> dict[int | str, dict[str, Any]]:
        return {
            code: {"description": self.descriptions[code], "content": PROBLEM_CONTENT}
            for code in codes
        }


class ProblemError(Exception):
    """Raise from an endpoint to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.headers = headers or {}
        self.extra = extra

    def to_response(self, request: Request) -> JSONResponse:
        return problem_response(
            request, self.status, self.title, self.detail, type_=self.type,
            headers=self.headers, **self.extra,
        )


def precondition_failed(actual: int, expected: int) -> ProblemError:
    """412 for a resource at version `actual` when the client's If-Match said `expected`;
    the answer's ETag is the current version."""
    return ProblemError(
        412, "Precondition failed",
        f"the resource is at version {actual}, not {expected}; reload it and retry",
        type_="https://aries.dev/problems/stale-version",
        headers={"ETag": f'"{actual}"'},
        current_version=actual,
    )


def problem_response(
    request: Request,
    status: int,
    title: str,
    detail: str | None = None,
    *,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title,
        "status": status,
        "instance": request.url.path,
        "request_id": getattr(request.state, "request_id", None),
    }
    if detail:
        body["detail"] = detail
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_errors(error: RequestValidationError) -> list[dict[str, Any]]:
    # Echoing `input` back could repeat PHI (a name, an MBI) into logs and proxies: drop it.
    return [
        {"loc": list(item.get("loc", ())), "msg": item.get("msg"), "type": item.get("type")}
        for item in error.errors()
    ]


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return exc.to_response(request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(
            request,
            422,
            "Request is not valid",
            "one or more fields are missing or malformed",
            type_="https://aries.dev/problems/validation",
            errors=_field_errors(exc),
        )

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return problem_response(
            request, 404, "Not found", f"no such {exc.kind}", type_="https://aries.dev/problems/not-found"
        )

    @app.exception_handler(RuleViolated)
    async def _rule(request: Request, exc: RuleViolated) -> JSONResponse:
        return problem_response(
            request,
            409,
            "Business rule violated",
            exc.message,
            type_="https://aries.dev/problems/rule-violated",
            rule=exc.rule,
        )

    @app.exception_handler(StaleVersion)
    async def _stale(request: Request, exc: StaleVersion) -> JSONResponse:
        return precondition_failed(exc.actual, exc.expected).to_response(request)

    @app.exception_handler(ConcurrentUpdate)
    async def _concurrent(request: Request, exc: ConcurrentUpdate) -> JSONResponse:
        # Another command recorded the aggregate's next version between our load and save.
        expected = getattr(request.state, "if_match_version", None)
        if expected is not None:
            # The client's If-Match version is no longer current: the precondition failed,
            # however late the other writer won.
            actual = exc.current_version if exc.current_version is not None else expected + 1
            return precondition_failed(actual, expected).to_response(request)
        return problem_response(
            request, 409, "Conflict", "the resource changed concurrently; reload and retry",
            type_="https://aries.dev/problems/concurrent-update",
        )

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(
            request, 409, "Command refused", str(exc), type_="https://aries.dev/problems/refused"
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            request, exc.status_code, _TITLES.get(exc.status_code, "Error"),
            exc.detail if isinstance(exc.detail, str) else None,
            headers=getattr(exc, "headers", None),
        )

def unexpected_error_response(request: Request, exc: BaseException) -> JSONResponse:
    """The answer to an exception no handler knew: 503 when the database is unavailable, else
    500. Logged without the error's message: a database error's message and SQL parameters
    can hold the values of the request (PHI), so the log gets `describe` (type, SQLSTATE,
    schema object names, where raised) instead."""
    route = request.scope.get("route")
    path = route.path if route is not None else "unmatched"
    if database_unavailable(exc):
        # Not the request's fault and not a bug: the server is full, restarting or gone.
        # A command whose connection was lost during COMMIT may have been recorded, so
        # the client retries with the same Idempotency-Key (or reads before retrying).
        log.warning("database unavailable", path=path, error=describe(exc))
        return problem_response(
            request, 503, "Service unavailable", "the database is unavailable; retry shortly",
            type_="https://aries.dev/problems/database-unavailable",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    log.error("unhandled error", path=path, error=describe(exc), frames=_frames(exc))
    return problem_response(request, 500, "Internal error", "the error was logged")


RETRY_AFTER_SECONDS = 1


def _frames(exc: BaseException, depth: int = 12) -> list[str]:
    # Where it happened, frame by frame, without the message or the frames' locals.
    frames = traceback.extract_tb(exc.__traceback__)[-depth:]
    return [f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in frames]


def database_unavailable(error: BaseException) -> bool:
    """A lost or refused connection, or no pooled connection free in time."""
    return is_transient(error) or isinstance(error, sa_exc.TimeoutError | PoolTimeout)


_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request too large",
    415: "Unsupported media type",
    429: "Too many requests",
    502: "Bad gateway",
    503: "Service unavailable",
}
