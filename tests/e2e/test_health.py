from __future__ import annotations

import socket

import pytest
from fastapi.testclient import TestClient

from interfaces.http.app import create_app

pytestmark = pytest.mark.e2e


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ready_answers_ok_when_database_and_redis_answer(aries):
    with TestClient(create_app(aries)) as client:
        response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_ready_answers_503_naming_the_dependency_that_did_not_answer(aries):
    healthy = aries.settings
    aries.settings = healthy.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{_closed_port()}/0", "connect_timeout_seconds": 1}
    )
    try:
        with TestClient(create_app(aries)) as client:
            response = client.get("/ready")
    finally:
        aries.settings = healthy
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "unreachable"}


def test_health_answers_while_the_process_lives(aries):
    with TestClient(create_app(aries)) as client:
        response = client.get("/health")
    assert response.status_code == 200
    assert response.headers["x-request-id"]
