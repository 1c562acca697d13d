from __future__ import annotations

import socket
import subprocess
import time

import pytest

from tests.conftest import run_aries

pytestmark = pytest.mark.integration


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_aries(*args: str, **env: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    done = run_aries(*args, timeout=60, **env)
    return done, time.monotonic() - started


def test_a_process_whose_database_is_unreachable_fails_within_seconds_naming_it(redis_url):
    port = _closed_port()
    done, elapsed = _run_aries(
        "serve",
        ARIES_DATABASE_URL=f"postgresql://postgres@127.0.0.1:{port}/aries",
        ARIES_REDIS_URL=redis_url,
        ARIES_CONNECT_TIMEOUT_SECONDS="2",
    )
    assert done.returncode == 2
    assert f"cannot reach PostgreSQL at 127.0.0.1:{port}/aries" in done.stderr
    assert elapsed < 15


def test_a_process_whose_redis_is_unreachable_fails_within_seconds_naming_it(database_url):
    port = _closed_port()
    done, elapsed = _run_aries(
        "serve",
        ARIES_DATABASE_URL=database_url,
        ARIES_REDIS_URL=f"redis://127.0.0.1:{port}/0",
        ARIES_CONNECT_TIMEOUT_SECONDS="2",
    )
    assert done.returncode == 2
    assert f"cannot reach Redis at 127.0.0.1:{port}" in done.stderr
    assert elapsed < 15


def test_the_database_password_never_appears_in_the_failure_message(redis_url):
    port = _closed_port()
    done, _ = _run_aries(
        "serve",
        ARIES_DATABASE_URL=f"postgresql://aries:s3cret-pw@127.0.0.1:{port}/aries",
        ARIES_REDIS_URL=redis_url,
        ARIES_CONNECT_TIMEOUT_SECONDS="1",
    )
    assert done.returncode == 2
    assert "s3cret-pw" not in done.stderr + done.stdout
