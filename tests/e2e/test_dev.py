from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from tests.conftest import aries_environment

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_aries_dev_starts_from_nothing_serves_docs_and_stops_without_orphans(tmp_path):
    port = _free_port()
    env = aries_environment(ARIES_DATA_DIR=str(tmp_path / "data"), ARIES_PORT=str(port))
    process = subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli", "dev", "--demo-patients", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        health = docs = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                docs = httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert health is not None and health.status_code == 200
        assert docs is not None and docs.status_code == 200
        children = psutil.Process(process.pid).children(recursive=True)
        assert children, "embedded servers run as child processes"
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)

    # uvicorn re-raises the SIGINT after its shutdown: 130 is the conventional "stopped by
    # Ctrl-C" status; our cleanup has run by then (the line below proves it).
    assert process.returncode == 130, output
    assert "stopping embedded servers" in output
    assert f"Aries is running at http://127.0.0.1:{port}" in output
    assert "demo login: demo/demo-admin / purple otter lemonade" in output
    still_running = [
        p
        for p in psutil.process_iter(["cmdline"])
        if str(tmp_path) in " ".join(p.info["cmdline"] or [])
    ]
    assert still_running == []
