"""Command answers, If-Match and the 412/409 problems (an app without I/O)."""

from __future__ import annotations

import uuid

import eventsourcing.persistence
import psycopg
import pytest
import sqlalchemy.exc
from fastapi import FastAPI
from fastapi.testclient import TestClient

from application.eventstore import CommandResult, ConcurrentUpdate, StaleVersion
from interfaces.http.commands import ExpectedVersion, command_response
from interfaces.http.middleware import Gateway
from interfaces.http.problems import install_problem_handlers

ID = uuid.uuid4()


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)
    # Unexpected errors are answered by the gateway, inside the headers and request id.
    app.add_middleware(Gateway, rate_limit=False, idempotency=False)

    @app.post("/expected")
    async def expected(version: ExpectedVersion) -> dict:
        return {"expected": version}

    @app.post("/command")
    def command():
        return command_response(CommandResult(ID, 5, 99), 201)

    @app.post("/stale")
    def stale():
        raise StaleVersion("order", expected=2, actual=4)

    @app.post("/race")
    def race():
        raise ConcurrentUpdate("another command changed this order; reload and retry")

    @app.get("/pool-exhausted")
    def pool_exhausted():
        raise sqlalchemy.exc.TimeoutError("QueuePool limit of size 1 overflow 0 reached")

    @app.get("/refused")
    def refused():
        raise sqlalchemy.exc.OperationalError(
            "SELECT 1", None, psycopg.OperationalError("sorry, too many clients already")
        )

    @app.get("/event-store-down")
    def event_store_down():
        raise eventsourcing.persistence.OperationalError("connection failed")

    @app.get("/bug")
    def bug():
        raise KeyError("a bug, not an outage")

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("header", "expected"), [(None, None), ("*", None), ('"3"', 3), ("3", 3), (' "12" ', 12)]
)
def test_if_match_gives_the_expected_version(client, header, expected):
    headers = {"If-Match": header} if header is not None else {}
    assert client.post("/expected", headers=headers).json() == {"expected": expected}


@pytest.mark.parametrize("header", ['W/"3"', '"three"', '"1", "2"', '"-1"'])
def test_a_malformed_if_match_is_400_problem(client, header):
    response = client.post("/expected", headers={"If-Match": header})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_a_command_answers_id_version_position_and_the_etag(client):
    response = client.post("/command")
    assert response.status_code == 201
    assert response.json() == {"id": str(ID), "version": 5, "position": 99}
    assert response.headers["etag"] == '"5"'


def test_stale_version_from_the_application_is_412_with_the_current_etag(client):
    response = client.post("/stale")
    assert (response.status_code, response.headers["etag"]) == (412, '"4"')
    assert response.json()["current_version"] == 4


def test_a_concurrent_update_is_409(client):
    response = client.post("/race")
    assert response.status_code == 409
    assert response.json()["type"].endswith("concurrent-update")


@pytest.mark.parametrize("path", ["/pool-exhausted", "/refused", "/event-store-down"])
def test_an_unavailable_database_is_503_problem_with_retry_after(client, path):
    response = client.get(path)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    assert response.json()["type"].endswith("database-unavailable")


def test_a_bug_is_still_500_and_says_nothing_of_its_cause(client):
    response = client.get("/bug")
    assert response.status_code == 500
    assert "KeyError" not in response.text


@pytest.mark.parametrize("etag", ['"9223372036854775808"', '"' + "9" * 5000 + '"'])
def test_an_if_match_no_version_can_reach_is_400(client, etag):
    response = client.post("/expected", headers={"If-Match": etag})
    assert response.status_code == 400
