"""Cross-cutting ASGI middleware: request correlation, security headers, request size.

Pure ASGI (no BaseHTTPMiddleware): no extra task per request, and the ContextVars the
correlation middleware binds are the request task's own.
"""

from __future__ import annotations

import re
import uuid

import structlog
from fastapi import HTTPException, Request
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.context import EventContext, bound_context
from interfaces.http.problems import ProblemError, unexpected_error_response

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
}
API_PREFIX = "/v1"


def _request_id(given: str | None) -> str:
    # A client's X-Request-ID is kept only when it looks like an id (no PHI smuggling).
    given = given or ""
    if 8 <= len(given) <= 64 and given.replace("-", "").isalnum() and given.isascii():
        return given
    return uuid.uuid4().hex


class CorrelationMiddleware:
    """Gives every request an id (the client's X-Request-ID if it looks like one), binds it as the
    EventContext's correlation and causation id and in the logs, and echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(Headers(scope=scope).get("x-request-id"))
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            with bound_context(EventContext(correlation_id=request_id, causation_id=request_id)):
                await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.clear_contextvars()


class SecurityHeadersMiddleware:
    """Adds the security headers to every answer, and `Cache-Control: no-store` under /v1
    (unless the endpoint set its own Cache-Control)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"] == API_PREFIX or scope["path"].startswith(API_PREFIX + "/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if api:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class TrackedSend:
    """`send`, noting whether the answer has begun: after that an error cannot replace it."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


class UnexpectedErrorMiddleware:
    """Answers an exception nothing else handled as a 500 (or 503) problem, from inside the
    correlation and security-header middleware, so the answer carries X-Request-ID and the
    security headers like any other, and the connection stays open (Starlette's own
    ServerErrorMiddleware sits outside every middleware and re-raises to the server).
    An exception after the answer began cannot change it: it goes on to the server."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracked = TrackedSend(send)
        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if tracked.started:
                raise
            response = unexpected_error_response(Request(scope), exc)
            await response(scope, receive, send)


class RequestTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, "the request body is larger than this API accepts")


class BodySizeLimitMiddleware:
    """413 problem for a body over `max_bytes`: at once from Content-Length, or as soon as a
    streamed (chunked) body passes the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if (
            declared is not None and declared.isascii() and declared.isdigit()
            and (len(declared) > 18 or int(declared) > self.max_bytes)
        ):
            await self._refuse(scope, receive, send)
            return
        received = 0
        tracked = TrackedSend(send)

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI re-raises HTTPExceptions from body parsing: the problem handler
                    # answers; a middleware reading the body lets it reach us.
                    raise RequestTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, tracked)
        except RequestTooLarge:
            if tracked.started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = ProblemError(
            413, "Request too large",
            f"the request body is larger than {self.max_bytes} bytes",
        )
        await problem.to_response(Request(scope))(scope, receive, send)


# C0 controls but tab, line feed and carriage return (free text has lines), DEL, C1 controls.
_RAW_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]")
# The same characters escaped in JSON (`\u0001`) or percent-encoded in a URL or form (`%01`).
_JSON_ESCAPED = re.compile(rb"\\u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF]|[89][0-9a-fA-F])")
_PERCENT_ENCODED = re.compile(
    rb"%(?:0[0-8bBcC]|0[eEfF]|1[0-9a-fA-F]|7[fF])|%[cC]2%[89][0-9a-fA-F]"
)
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


class ControlCharacterMiddleware:
    """400 problem for a request carrying a control character (NUL, the other C0 controls but
    tab and line breaks, DEL, C1) in the path, the query or a JSON or form body, raw or
    escaped. No name, identifier or note holds one; PostgreSQL text cannot hold NUL at all:
    let through, it would fail a query, or worse, be recorded in an event that no projection
    could ever write to its table. Names also refuse tab and line breaks (their own pattern)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"].encode("utf-8", "surrogateescape")
        if _RAW_BYTES.search(path) or _PERCENT_ENCODED.search(scope.get("query_string", b"")):
            await self._refuse(scope, receive, send)
            return
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        content_type = Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower()
        if _has_control(body, content_type):
            await self._refuse(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = ProblemError(
            400, "Bad request",
            "the request contains a control character, which no field accepts",
            type_="https://aries.dev/problems/control-character",
        )
        await problem.to_response(Request(scope))(scope, receive, send)
