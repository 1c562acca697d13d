"""`aries serve`'s HTTP protocol closes a connection whose headers come too slowly (slowloris),
and serves a normal request as before. A real uvicorn server on a free local port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from interfaces.http import server as http_server
from interfaces.http.server import HeaderTimeoutProtocol

pytestmark = pytest.mark.integration

TIMEOUT = 0.5


async def hello(scope, receive, send) -> None:
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


@pytest.fixture
def port(monkeypatch) -> Iterator[int]:
    monkeypatch.setenv("ARIES_HTTP_HEADER_TIMEOUT_SECONDS", str(TIMEOUT))
    http_server.header_timeout_seconds.cache_clear()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(
        hello, host="127.0.0.1", port=free, http=HeaderTimeoutProtocol, log_config=None,
        lifespan="off",
    ))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield free
    server.should_exit = True
    thread.join(timeout=10)
    http_server.header_timeout_seconds.cache_clear()


def test_a_connection_whose_headers_do_not_arrive_in_time_is_closed(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        started = time.monotonic()
        assert client.recv(1024) == b""  # closed by the server
        assert time.monotonic() - started < 5


def test_a_request_whose_headers_arrive_is_served(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := client.recv(1024):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200")
    assert b"hello" in answer
