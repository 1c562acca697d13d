"""Logs: the standard library's loggers (uvicorn, alembic) rendered as JSON by structlog in
production, and one log line per HTTP request without PHI. The output is captured from stderr,
where the processes write it."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.middleware import Middleware

from interfaces.http.middleware import Gateway
from interfaces.logging import configure_logging

A_NAME = "Margaret Oyelaran-Whitfield"  # stands for PHI that a path or a query may carry


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def json_logs() -> Iterator[None]:
    configure_logging("INFO", json=True)
    yield
    configure_logging("INFO", json=False)


def test_uvicorn_and_alembic_lines_are_json_through_structlog(json_logs, capsys):
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 4242)
    logging.getLogger("alembic.runtime.migration").info("Running upgrade %s -> %s", "a", "b")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")

    lines = _json_lines(capsys.readouterr().err)
    assert [(line["logger"], line["level"], line["event"]) for line in lines] == [
        ("uvicorn.error", "info", "Started server process [4242]"),
        ("alembic.runtime.migration", "info", "Running upgrade a -> b"),
        ("uvicorn.error", "error", "Exception in ASGI application"),
    ]
    assert all(line["timestamp"].endswith("Z") for line in lines)
    assert "ValueError: boom" in lines[2]["exception"]


def test_configuring_again_keeps_one_handler_and_others_alone():
    root = logging.getLogger()
    foreign = logging.NullHandler()
    root.addHandler(foreign)
    try:
        before = len(root.handlers)
        configure_logging("INFO", json=True)
        configure_logging("INFO", json=False)
        assert len(root.handlers) == before  # ours replaced, not added
        assert foreign in root.handlers
    finally:
        root.removeHandler(foreign)


def test_development_lines_are_not_json(capsys):
    configure_logging("INFO", json=False)
    logging.getLogger("alembic.runtime.migration").info("Running upgrade a -> b")
    err = capsys.readouterr().err
    assert "Running upgrade a -> b" in err
    assert _json_lines(err) == []


def _app() -> FastAPI:
    app = FastAPI(middleware=[Middleware(Gateway, rate_limit=False, idempotency=False)])

    @app.get("/v1/things/{thing_id}")
    def thing(thing_id: str, q: str | None = None) -> dict:
        return {"ok": True}

    @app.get("/v1/broken")
    def broken() -> dict:
        raise RuntimeError("no")

    return app


def test_one_line_per_request_with_route_template_status_duration_and_request_id(
    json_logs, capsys
):
    with TestClient(_app(), raise_server_exceptions=False) as client:
        capsys.readouterr()
        found = client.get(f"/v1/things/{A_NAME}", params={"q": A_NAME})
        missing = client.get(f"/v1/nothing/{A_NAME}", headers={"X-Request-ID": "req-12345678"})
        failed = client.get("/v1/broken")
    err = capsys.readouterr().err

    requests = [line for line in _json_lines(err) if line.get("event") == "request"]
    assert [(r["method"], r["route"], r["status"], r["request_id"]) for r in requests] == [
        ("GET", "/v1/things/{thing_id}", 200, found.headers["X-Request-ID"]),
        ("GET", "unmatched", 404, "req-12345678"),
        ("GET", "/v1/broken", 500, failed.headers.get("X-Request-ID", requests[2]["request_id"])),
    ]
    assert missing.status_code == 404
    assert [r["level"] for r in requests] == ["info", "info", "warning"]
    assert all(isinstance(r["duration_ms"], float) and r["duration_ms"] >= 0 for r in requests)
    assert A_NAME not in err and "Oyelaran" not in err
