"""An internal error answers like every other error: a 500 problem with the security headers and
the request id, the connection kept, and nothing of the request's values in the log."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from interfaces.http.app import create_app
from interfaces.http.middleware import SECURITY_HEADERS
from tests.e2e.conftest import aries_of

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"
SENTINEL = "Doe-Jane-1AA0AA00AA00"  # stands for PHI bound into a statement


@pytest.fixture
def failing(api) -> Iterator[TestClient]:
    """The product's app on the running Aries, plus one route whose statement fails inside
    PostgreSQL with a bound value in it (the shape of a query fed a value it cannot hold)."""
    aries = aries_of(api)
    app: FastAPI = create_app(aries)

    @app.get("/v1/_boom")
    def boom() -> dict:
        with aries.read_engine.connect() as conn:
            conn.execute(text("SELECT CAST(:value AS integer)"), {"value": SENTINEL})
        return {}

    # raise_server_exceptions: an exception reaching the server would fail the request here.
    with TestClient(app, raise_server_exceptions=True) as client:
        yield client


def test_an_internal_error_is_a_500_problem_with_the_security_headers_and_request_id(failing):
    response = failing.get("/v1/_boom", headers={"X-Request-ID": "req-12345678"})

    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["request_id"] == "req-12345678"
    assert response.headers["x-request-id"] == "req-12345678"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["cache-control"] == "no-store"


def test_the_connection_serves_the_next_request_after_an_internal_error(failing):
    assert failing.get("/v1/_boom").status_code == 500
    assert failing.get("/health").status_code == 200


def test_an_internal_error_logs_no_bound_parameters_nor_the_database_message(failing, capsys):
    failing.get("/v1/_boom")

    logged = capsys.readouterr().err
    assert "unhandled error" in logged
    assert "SQLSTATE 22P02" in logged  # the kind of error is there to debug with
    assert SENTINEL not in logged
