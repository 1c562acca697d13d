"""`aries worker` as a process: killed mid-transmission, another worker takes the job over,
asks the clearinghouse about the interchange instead of sending it again, and each claim
reaches the clearinghouse once; SIGTERM stops it cleanly. On the Redis broker and, when
ARIES_RABBITMQ_URL is set, on RabbitMQ (tests/conftest.py `broker_url`). Real PostgreSQL, real
Redis, a local HTTP clearinghouse that answers as the sandbox does, 3 s after it received an
interchange (so the worker can be killed while it waits)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from application.x12.segments import interchanges
from domain.claim_ids import claim_id_for, patient_control_number_for
from domain.claim_values import ClaimStatus
from domain.context import bound_context
from interfaces.bootstrap import bootstrap
from interfaces.clearinghouse import SandboxClearinghouse
from interfaces.settings import Settings
from interfaces.workers.jobs import JobStore, job_id_for_submission
from tests.conftest import aries_environment, eventually, free_port
from tests.integration.scenarios import MEDICARE, delivered_bed_and_walker
from tests.servers import fresh_database

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 90
ANSWER_AFTER_SECONDS = 3  # a slow clearinghouse front end


class Clearinghouse:
    """POST /837 answers with the sandbox's acknowledgements 3 s after the interchange
    arrived (the interchange counts as received on arrival); GET /837/<ISA13> is the status
    query: the answer once it is ready, 404 for an interchange it never received."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.received: list[str] = []  # every interchange that arrived, in order
        self.answers: dict[str, str] = {}
        self.answered = threading.Condition()
        sandbox = SandboxClearinghouse()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"])).decode("ascii")
                with owner.answered:
                    owner.received.append(body)
                owner.arrived.set()
                # The front end's own pace, not a test wait: it answers 3 s later.
                time.sleep(ANSWER_AFTER_SECONDS)
                answer = sandbox.transmit(body)
                with owner.answered:
                    owner.answers.setdefault(interchanges(body)[0].control_number, answer)
                    owner.answered.notify_all()
                self._send(200, answer)

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                icn = self.path.rpartition("/")[2]
                with owner.answered:
                    if not any(interchanges(b)[0].control_number == icn for b in owner.received):
                        return self._send(404, "no such interchange")
                    owner.answered.wait_for(lambda: icn in owner.answers, WAIT_SECONDS)
                    answer = owner.answers.get(icn)
                return self._send(200, answer) if answer else self._send(202, "")

            def _send(self, status: int, text: str) -> None:
                data = text.encode("ascii")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/edi-x12")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the worker that asked is gone

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/837"

    def claims_received(self) -> Counter[str]:
        """How often each patient control number (CLM01) reached the clearinghouse."""
        with self.answered:
            bodies = list(self.received)
        return Counter(
            s[1] for body in bodies for s in interchanges(body)[0].segments if s[0] == "CLM"
        )

    def __enter__(self) -> Clearinghouse:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def database(server_database_url) -> Iterator[str]:
    with fresh_database(server_database_url) as url:
        yield url


def _environment(
    database: str, redis_url: str, redis_prefix: str, clearinghouse_url: str,
    broker_url: str | None,
) -> dict:
    return aries_environment(
        **({"ARIES_BROKER_URL": broker_url} if broker_url else {}),
        ARIES_ENVIRONMENT="test",
        ARIES_DATABASE_URL=database,
        ARIES_REDIS_URL=redis_url,
        ARIES_REDIS_KEY_PREFIX=redis_prefix,
        ARIES_DB_POOL_SIZE="1",  # one at rest per event store: the suite fits in 100
        ARIES_DB_MAX_OVERFLOW="2",
        ARIES_READ_POOL_SIZE="2",
        ARIES_WORKER_THREADS="2",
        ARIES_WORKER_HEARTBEAT_TIMEOUT_SECONDS="2",
        ARIES_WORKER_MIN_BACKOFF_SECONDS="0.2",
        ARIES_WORKER_SHUTDOWN_SECONDS="5",
        ARIES_SUBMISSION_BATCH_SECONDS="1",
        ARIES_CLEARINGHOUSE="http",
        ARIES_CLEARINGHOUSE_URL=clearinghouse_url,
        ARIES_CLEARINGHOUSE_TIMEOUT_SECONDS="120",
    )


def _worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _status(store: JobStore, job_id: uuid.UUID, tenant: str) -> str | None:
    job = store.get(job_id, tenant)
    return job.status if job is not None else None


def test_a_worker_killed_mid_transmission_is_replaced_and_each_claim_is_sent_once(
    database, redis_url, redis_prefix, broker_url
):
    settings = Settings(
        database_url=database, redis_url=redis_url, environment="test",
        redis_key_prefix=redis_prefix, db_pool_size=1, db_max_overflow=2, read_pool_size=2,
    )
    aries = bootstrap(settings)
    workers: list[subprocess.Popen] = []
    try:
        with Clearinghouse() as clearinghouse:
            env = _environment(database, redis_url, redis_prefix, clearinghouse.url, broker_url)
            workers.append(_worker(env))
            tenant = f"t-{uuid.uuid4().hex[:10]}"
            delivered_on = date.today() - timedelta(days=3)
            with bound_context(tenant_id=tenant, actor_id="intake-1", actor_role="intake"):
                orders = [delivered_bed_and_walker(aries, delivered_on) for _ in range(2)]
            claim_ids = [
                claim_id_for(order.order_id, f"{delivered_on:%Y-%m}", MEDICARE)
                for order in orders
            ]
            eventually(
                lambda: all(aries.claims.exists(c) for c in claim_ids),
                what="the worker's claim drafts", timeout=WAIT_SECONDS,
            )
            with bound_context(tenant_id=tenant, actor_id="biller-1", actor_role="biller"):
                for claim_id in claim_ids:
                    aries.claims.submit(claim_id)

            assert clearinghouse.arrived.wait(WAIT_SECONDS), "no transmission arrived"
            workers[0].kill()  # SIGKILL while it waits for the answer: no requeue, no ack
            workers[0].wait(timeout=30)
            workers.append(_worker(env))

            store = JobStore(aries.read_engine)
            job_ids = [job_id_for_submission(claim_id, 1) for claim_id in claim_ids]
            eventually(
                lambda: all(_status(store, j, tenant) == "succeeded" for j in job_ids),
                what="the second worker to finish the jobs", timeout=WAIT_SECONDS,
            )
            received = clearinghouse.claims_received()

        claims = [aries.claims.get_claim(claim_id) for claim_id in claim_ids]
        histories = [
            [type(e).__name__ for e in aries.claims.repository.event_store.get(claim_id)]
            for claim_id in claim_ids
        ]
        jobs = [store.get(job_id, tenant) for job_id in job_ids]
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
        aries.close()

    assert received == Counter({patient_control_number_for(c): 1 for c in claim_ids})
    for claim, history in zip(claims, histories, strict=True):
        assert history.count("Submitted") == 1
        assert history.count("TransmissionPrepared") == 1
        assert claim.status is ClaimStatus.ACCEPTED
    assert max(job.attempts for job in jobs) == 2  # the killed worker's, then the replacement's


def _metrics(port: int) -> str:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except httpx.TransportError:
        return ""


def test_the_worker_serves_its_metrics_and_sigterm_stops_it_cleanly(
    database, redis_url, redis_prefix, broker_url
):
    port = free_port()
    env = _environment(
        database, redis_url, redis_prefix, "http://127.0.0.1:9/unused", broker_url
    )
    env["ARIES_WORKER_METRICS_PORT"] = str(port)
    process = _worker(env)
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        for line in process.stdout:
            lines.append(line)
            if "worker started" in line:
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert started.wait(WAIT_SECONDS), "".join(lines)
        depth = 'aries_worker_queue_depth{queue="claim_submissions",state="ready"} 0.0'
        eventually(
            lambda: depth in _metrics(port), what="the queue depth gauge", timeout=WAIT_SECONDS
        )
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        reader.join(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    output = "".join(lines)
    assert process.returncode == 0, output
    assert "worker stopped" in output
