"""`aries serve --workers 2` as an operator runs it: /metrics counts every worker's requests
(prometheus_client's multiprocess mode), whichever worker answers the scrape; with JSON logs,
every line on stderr is JSON (uvicorn's own included) and each request has its line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import aries_environment, eventually, free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
HEALTH_COUNT = re.compile(
    r'^http_requests_total\{method="GET",route="/health",status="200"\} ([0-9.]+)$', re.MULTILINE
)




def _health(url: str) -> bool:
    # A new connection each time, so the kernel spreads them over the workers.
    try:
        return httpx.get(f"{url}/health", timeout=2, headers={"Connection": "close"}).is_success
    except httpx.TransportError:
        return False


def test_metrics_sum_the_requests_of_every_worker(
    database_url, redis_url, redis_prefix, tmp_path
):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli", "serve", "--workers", "2"],
        cwd=ROOT,
        env=aries_environment(
            ARIES_ENVIRONMENT="test",
            ARIES_DATABASE_URL=database_url,
            ARIES_REDIS_URL=redis_url,
            ARIES_REDIS_KEY_PREFIX=redis_prefix,
            ARIES_PORT=str(port),
            ARIES_DB_POOL_SIZE="1",
            ARIES_DB_MAX_OVERFLOW="1",
            ARIES_READ_POOL_SIZE="1",
            ARIES_LOG_JSON="true",
            PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        answered = 0

        def health() -> bool:
            nonlocal answered
            ok = _health(url)
            answered += ok
            return ok

        eventually(health, what="the API", timeout=90)
        for _ in range(30):
            assert health()
        scrape = httpx.get(f"{url}/metrics", timeout=5).text
        files = sorted(p.name for p in (tmp_path / "metrics").glob("*.db"))
    finally:
        server.terminate()
        try:
            _, stderr = server.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            _, stderr = server.communicate()
    counted = HEALTH_COUNT.search(scrape)
    assert counted is not None, scrape[:2000]
    assert float(counted.group(1)) == answered, stderr[-2000:]
    # Two workers wrote samples (file names carry the process id).
    pids = {re.search(r"_(\d+)\.db$", name).group(1) for name in files}
    assert len(pids) >= 2, files

    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert any(line.get("logger", "").startswith("uvicorn") for line in lines), stderr[-2000:]
    requests = [line for line in lines if line.get("event") == "request"]
    assert sum(r["route"] == "/health" and r["status"] == 200 for r in requests) == answered
    assert all(len(r["request_id"]) >= 8 for r in requests)
