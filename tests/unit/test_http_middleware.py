"""The body size limit reads a declared Content-Length without trusting it to be a small
number (no I/O: the middleware is called with an ASGI scope)."""

from __future__ import annotations

import asyncio

import pytest

from interfaces.http.middleware import BodySizeLimitMiddleware


async def _never_called(scope, receive, send) -> None:
    raise AssertionError("the body should have been refused before the app")


def _answer_status(content_length: bytes) -> int:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "method": "POST", "path": "/v1/users", "raw_path": b"/v1/users",
        "query_string": b"", "headers": [(b"content-length", content_length)],
        "state": {},
    }
    asyncio.run(BodySizeLimitMiddleware(_never_called, max_bytes=1024)(scope, receive, send))
    return sent[0]["status"]


@pytest.mark.parametrize("declared", [b"9" * 5000, b"2048"])
def test_a_declared_length_over_the_limit_is_413_however_many_digits(declared):
    assert _answer_status(declared) == 413
