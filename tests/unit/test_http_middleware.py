"""The gateway's body checks (no I/O): the size limit reads a declared Content-Length without
trusting it to be a small number, and a chunked body is checked chunk by chunk as the route reads
it, a control character split between two chunks included."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from interfaces.http.middleware import Gateway, install_gateway
from interfaces.http.problems import install_problem_handlers
from interfaces.settings import Settings


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
    gateway = Gateway(_never_called, max_bytes=1024, rate_limit=False, idempotency=False)
    asyncio.run(gateway(scope, receive, send))
    return sent[0]["status"]


@pytest.mark.parametrize("declared", [b"9" * 5000, b"2048"])
def test_a_declared_length_over_the_limit_is_413_however_many_digits(declared):
    assert _answer_status(declared) == 413


def _checked_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_gateway(
        app, Settings(environment="test", max_request_bytes=1024),
        rate_limit=False, idempotency=False,
    )

    @app.post("/v1/echo")
    async def echo(body: dict) -> dict:
        return body

    return app


@pytest.fixture(scope="module")
def checked() -> TestClient:
    return TestClient(_checked_app())


def _chunks(*parts: bytes):
    yield from parts  # no Content-Length: sent chunked, one receive() per part


def test_an_escaped_control_character_split_between_two_chunks_is_400(checked):
    response = checked.post(
        "/v1/echo", content=_chunks(b'{"name": "Ada\\u0', b'001"}'),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["type"] == "https://aries.dev/problems/control-character"


def test_a_raw_control_character_in_a_later_chunk_is_400(checked):
    response = checked.post(
        "/v1/echo", content=_chunks(b'{"name": ', b'"Ada\x01"}'),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["type"] == "https://aries.dev/problems/control-character"


def test_a_clean_chunked_body_reaches_the_route_whole(checked):
    response = checked.post(
        "/v1/echo", content=_chunks(b'{"name": "Ada', b' Lovelace", "note": "a\\nb"}'),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json() == {"name": "Ada Lovelace", "note": "a\nb"}


def test_a_chunked_body_passing_the_limit_is_413_problem(checked):
    response = checked.post(
        "/v1/echo", content=_chunks(b'{"a": "' + b"x" * 600, b"x" * 600 + b'"}'),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-content-type-options"] == "nosniff"
