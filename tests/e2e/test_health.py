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


def _ready_with(aries, **changes):
    """GET /ready from an app whose settings carry `changes` (restored afterwards)."""
    healthy = aries.settings
    aries.settings = healthy.model_copy(update=changes)
    try:
        with TestClient(create_app(aries)) as client:
            return client.get("/ready")
    finally:
        aries.settings = healthy


def test_ready_answers_ok_when_database_and_redis_answer(aries):
    with TestClient(create_app(aries)) as client:
        response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok"},
        "details": {"summary_provider": "local", "summary_provider_status": "ok"},
    }


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"summary_provider": "ollama", "summary_model": "llama3"}, "unreachable"),
        ({"summary_provider": "ollama", "summary_model": None}, "misconfigured"),
        ({"summary_provider": "openai", "summary_model": "gpt", "openai_api_key": None},
         "misconfigured"),
    ],
)
def test_ready_reports_the_summary_provider_without_failing_on_it(aries, changes, status):
    response = _ready_with(aries, **changes, ollama_url=f"http://127.0.0.1:{_closed_port()}")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["details"] == {
        "summary_provider": changes["summary_provider"], "summary_provider_status": status
    }


def test_ready_reports_a_provider_that_answers_http_as_ok(aries):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class NotFound(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        response = _ready_with(
            aries, summary_provider="ollama", summary_model="llama3",
            ollama_url=f"http://127.0.0.1:{server.server_address[1]}",
        )
    finally:
        server.shutdown()
        server.server_close()
    assert response.json()["details"]["summary_provider_status"] == "ok"


def test_ready_answers_503_naming_the_dependency_that_did_not_answer(aries):
    response = _ready_with(
        aries, redis_url=f"redis://127.0.0.1:{_closed_port()}/0", connect_timeout_seconds=1
    )
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "unreachable"}


def test_health_answers_while_the_process_lives(aries):
    with TestClient(create_app(aries)) as client:
        response = client.get("/health")
    assert response.status_code == 200
    assert response.headers["x-request-id"]
