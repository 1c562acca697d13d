"""The one ASGI middleware in front of the routes (`Gateway`): everything every request goes
through before and after FastAPI's routing, in one layer and one pass over the headers.

In the order a request meets them (the order the separate middleware had):
tracing span -> metrics and the request log line -> correlation (request id, EventContext)
-> security headers -> CORS (when origins are configured) -> unexpected errors (500/503
problem) -> body size (413) -> control characters (400) -> per-IP rate limit (429)
-> Idempotency-Key on POST -> FastAPI's exception handlers and routes.

One layer rather than ten: each pure-ASGI layer cost a coroutine call, a `send` wrapper and its
own header parsing on every request (issue 18's profiles). The body is never buffered here: the
size limit and the control-character check look at each chunk as the route reads it (keeping
the last few bytes of the previous chunk, so an escape split between two chunks is still seen),
and only a POST with an Idempotency-Key is read whole before its route (its fingerprint needs
the body). A body no route reads is not checked: nothing of it is kept. A refusal raised while
a route reads its body is `RequestRefused`, an HTTPException (FastAPI re-raises those from body
parsing) answered by its own handler with the same problem as a refusal before the route.
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections.abc import Sequence
from typing import Any

import structlog
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from application.eventstore import tracing_configured
from domain.context import EventContext, bound_context
from interfaces.http.idempotency import Idempotency
from interfaces.http.metrics import observe
from interfaces.http.problems import ProblemError, unexpected_error_response
from interfaces.http.ratelimit import UNLIMITED_PATHS, too_many_requests
from interfaces.settings import Settings
from interfaces.telemetry import context_of, tracer

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
}
_SECURITY_RAW = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
_NO_STORE = (b"cache-control", b"no-store")
API_PREFIX = "/v1"

CORS_HEADERS = [
    "Authorization",
    "Content-Type",
    "If-Match",
    "Idempotency-Key",
    "X-API-Key",
    "X-Request-ID",
    "X-Min-Position",
]
CORS_EXPOSED = ["ETag", "Location", "Retry-After", "X-Request-ID", "Idempotent-Replayed"]

# The request headers the gateway reads, by their lower-case raw names.
_WANTED = frozenset(
    {b"x-request-id", b"traceparent", b"content-length", b"content-type", b"idempotency-key"}
)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _request_id(given: str | None) -> str:
    # A client's X-Request-ID is kept only when it looks like an id (no PHI smuggling).
    given = given or ""
    if 8 <= len(given) <= 64 and given.replace("-", "").isalnum() and given.isascii():
        return given
    return uuid.uuid4().hex


# C0 controls but tab, line feed and carriage return (free text has lines), DEL, C1 controls.
_RAW_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]")
# The same characters escaped in JSON (`\u0001`) or percent-encoded in a URL or form (`%01`).
_JSON_ESCAPED = re.compile(rb"\\u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF]|[89][0-9a-fA-F])")
_PERCENT_ENCODED = re.compile(
    rb"%(?:0[0-8bBcC]|0[eEfF]|1[0-9a-fA-F]|7[fF])|%[cC]2%[89][0-9a-fA-F]"
)
# The longest pattern above (`\u001f`, `%c2%80`) is 6 bytes: 5 kept from a chunk's end are
# enough to see one that a chunk boundary splits.
_OVERLAP = 5
# Bodies read as they are (an 835): only NUL is refused, X12 may use other controls as
# separators.
RAW_TEXT_TYPES = (
    "text/plain", "application/edi-x12", "application/x12", "application/octet-stream",
)


def _has_control(body: bytes, content_type: str) -> bool:
    if content_type in RAW_TEXT_TYPES or content_type == "multipart/form-data":
        return b"\x00" in body
    return bool(
        _RAW_BYTES.search(body) or _JSON_ESCAPED.search(body) or _PERCENT_ENCODED.search(body)
    )


def control_character() -> ProblemError:
    """400 for a control character (NUL, the other C0 controls but tab and line breaks, DEL,
    C1) in the path, the query or a JSON or form body, raw or escaped. No name, identifier or
    note holds one; PostgreSQL text cannot hold NUL at all: let through, it would fail a query,
    or worse, be recorded in an event that no projection could ever write to its table. Names
    also refuse tab and line breaks (their own pattern)."""
    return ProblemError(
        400, "Bad request",
        "the request contains a control character, which no field accepts",
        type_="https://aries.dev/problems/control-character",
    )


def too_large(max_bytes: int) -> ProblemError:
    return ProblemError(
        413, "Request too large", f"the request body is larger than {max_bytes} bytes"
    )


class RequestRefused(HTTPException):
    """A body refused while it is read (too large, a control character): FastAPI re-raises an
    HTTPException from body parsing, and `install_gateway`'s handler answers `problem`."""

    def __init__(self, problem: ProblemError) -> None:
        super().__init__(problem.status, problem.detail)
        self.problem = problem


class _CheckedBody:
    """The request's `receive`, counting and scanning each chunk as it passes."""

    __slots__ = ("receive", "max_bytes", "content_type", "scan", "received", "tail")

    def __init__(self, receive: Receive, max_bytes: int, content_type: str, scan: bool) -> None:
        self.receive = receive
        self.max_bytes = max_bytes
        self.content_type = content_type
        self.scan = scan
        self.received = 0
        self.tail = b""

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            self.received += len(chunk)
            if self.received > self.max_bytes:
                raise RequestRefused(too_large(self.max_bytes))
            if self.scan and chunk:
                seen = self.tail + chunk
                if _has_control(seen, self.content_type):
                    raise RequestRefused(control_character())
                self.tail = seen[-_OVERLAP:]
        return message


class Gateway:
    """The middleware (see the module's docstring). `rate_limit=False` and
    `idempotency=False` are for test apps without a Redis."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int = 1_000_000,
        ip_limit_per_minute: int = 0,
        idempotency_ttl_seconds: int = 86_400,
        key_prefix: str = "",
        cors_origins: Sequence[str] = (),
        rate_limit: bool = True,
        idempotency: bool = True,
    ) -> None:
        self.app = app
        trace.get_tracer_provider()  # loads one named by the environment (see `tracing_configured`)
        self.max_bytes = max_bytes
        self.ip_limit = ip_limit_per_minute
        self.rate_limit = rate_limit
        self.idempotency = (
            Idempotency(ttl_seconds=idempotency_ttl_seconds, key_prefix=key_prefix)
            if idempotency else None
        )
        # CORS answers preflights and decorates answers inside the headers, outside the checks.
        self.checked: ASGIApp = self._checked
        if cors_origins:
            self.checked = CORSMiddleware(
                self._checked,
                allow_origins=list(cors_origins),
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                allow_headers=CORS_HEADERS,
                expose_headers=CORS_EXPOSED,
                max_age=600,
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        wanted: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            lowered = name.lower()
            if lowered in _WANTED and lowered not in wanted:
                wanted[lowered] = value
        request_id = _request_id(wanted.get(b"x-request-id", b"").decode("latin-1"))
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        scope["aries.headers"] = wanted
        path: str = scope["path"]
        method: str = scope["method"]
        api = path == API_PREFIX or path.startswith(API_PREFIX + "/")
        answer = {"status": 500, "started": False}
        id_header = (b"x-request-id", request_id.encode())

        async def send_decorated(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["started"] = True
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers = [h for h in headers if h[0].lower() != b"x-request-id"]
                headers.append(id_header)
                headers.extend(h for h in _SECURITY_RAW if h[0] not in present)
                if api and b"cache-control" not in present:
                    headers.append(_NO_STORE)
                message["headers"] = headers
            await send(message)

        traceparent = wanted.get(b"traceparent", b"").decode("latin-1") or None
        if traceparent is None and not tracing_configured():
            # No tracer provider (tracing off) and no client trace to carry on: the span
            # would be OpenTelemetry's no-op one, which still costs its context switching.
            scope_of_span: Any = contextlib.nullcontext()
        else:
            scope_of_span = tracer.start_as_current_span(
                f"{method} unmatched", context=context_of(traceparent), kind=SpanKind.SERVER,
                attributes={"http.request.method": method},
            )
        with scope_of_span as opened:
            span = opened
            structlog.contextvars.clear_contextvars()
            structlog.contextvars.bind_contextvars(request_id=request_id)
            try:
                with bound_context(
                    EventContext(correlation_id=request_id, causation_id=request_id)
                ):
                    try:
                        await self.checked(scope, receive, send_decorated)
                    except Exception as exc:
                        if answer["started"]:
                            raise
                        await self._unexpected(exc, scope, receive, send_decorated)
            finally:
                structlog.contextvars.clear_contextvars()
                status = int(answer["status"])
                route = getattr(scope.get("route"), "path", None)
                if span is not None:
                    if route is not None:
                        span.update_name(f"{method} {route}")
                        span.set_attribute("http.route", route)
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                observe(method, route, status, time.perf_counter() - started, request_id)

    async def _unexpected(
        self, exc: Exception, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if isinstance(exc, RequestRefused):
            response = exc.problem.to_response(Request(scope))
        else:
            response = unexpected_error_response(Request(scope), exc)
        await response(scope, receive, send)

    async def _checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Size, control characters, the per-IP limit and Idempotency-Key, then the routes."""
        wanted: dict[bytes, bytes] = scope["aries.headers"]
        declared = wanted.get(b"content-length")
        if (
            declared is not None and declared.isdigit()
            and (len(declared) > 18 or int(declared) > self.max_bytes)
        ):
            await self._refuse(too_large(self.max_bytes), scope, receive, send)
            return
        raw_path = scope["path"].encode("utf-8", "surrogateescape")
        if _RAW_BYTES.search(raw_path) or _PERCENT_ENCODED.search(scope.get("query_string", b"")):
            await self._refuse(control_character(), scope, receive, send)
            return
        if self.rate_limit and scope["path"] not in UNLIMITED_PATHS:
            # Health, readiness and metrics are never limited. The address is the connection's
            # peer: run uvicorn with --proxy-headers behind a trusted proxy.
            client = scope.get("client")
            address = client[0] if client else "unknown"
            limiter = scope["app"].state.rate_limiter
            wait = await limiter.retry_after(f"ip:{address}", self.ip_limit)
            if wait is not None:
                await self._refuse(too_many_requests(wait), scope, receive, send)
                return
        method = scope["method"]
        content_type = (
            wanted.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
        )
        checked_receive = _CheckedBody(
            receive, self.max_bytes, content_type, scan=method in _BODY_METHODS
        )
        key = wanted.get(b"idempotency-key")
        if method == "POST" and key is not None and self.idempotency is not None:
            await self.idempotency(self.app, key.decode("latin-1"), scope, checked_receive, send)
            return
        await self.app(scope, checked_receive, send)

    async def _refuse(self, problem: ProblemError, scope: Scope, receive: Receive,
                      send: Send) -> None:
        await problem.to_response(Request(scope))(scope, receive, send)


def install_gateway(app: FastAPI, settings: Settings, **overrides: Any) -> None:
    """Put the gateway in front of `app`'s routes, and answer its refusals raised in a route.
    `overrides` replace the settings' options (test apps: `rate_limit=False`)."""

    async def refused(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestRefused)
        return exc.problem.to_response(request)

    app.add_exception_handler(RequestRefused, refused)
    options: dict[str, Any] = {
        "max_bytes": settings.max_request_bytes,
        "ip_limit_per_minute": settings.rate_limit_ip_per_minute,
        "idempotency_ttl_seconds": settings.idempotency_ttl_seconds,
        "key_prefix": settings.redis_key_prefix,
        "cors_origins": tuple(settings.cors_origins or ()),
    }
    app.add_middleware(Gateway, **{**options, **overrides})
