"""The Dramatiq platform against the real PostgreSQL and Redis, with real workers (no stub
broker): reactions, actors, the job store, retries, dead letters and `aries jobs`.

Each test that runs workers gets its own database (reaction positions are per database) and
its own Redis namespace (queues are per namespace). The tests that run workers run once on the
Redis broker and, when ARIES_RABBITMQ_URL is set (.ci/run sets it), once more on RabbitMQ, with
queues named after the test's namespace and deleted afterwards."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import REGISTRY
from sqlalchemy import Engine, create_engine

from application.audit.witness import WITNESS_FILE, read_witness
from application.summaries import request_summary
from domain.claim_ids import claim_id_for
from domain.claim_values import ClaimStatus
from domain.context import bound_context
from interfaces.bootstrap import Aries, bootstrap
from interfaces.settings import Settings
from interfaces.workers.actors import GENERATE_SUMMARY, QUEUES, message_for, payload_of
from interfaces.workers.broker import MAX_PRIORITY, build_broker
from interfaces.workers.jobs import JobStore, job_id_for_submission
from interfaces.workers.main import run_workers
from interfaces.workers.reactions import ClaimSubmissions
from interfaces.workers.tables import metadata as ops_metadata
from migrations import sqlalchemy_url
from tests.conftest import eventually, run_aries
from tests.integration.scenarios import MEDICARE, delivered_bed_and_walker
from tests.servers import RABBITMQ_URL, delete_rabbitmq_queues, fresh_database

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RETRIED = "aries_worker_tasks_retried_total"
DEAD = "aries_worker_tasks_dead_total"


def worker_settings(
    database_url: str, redis_url: str, redis_prefix: str, broker_url: str | None = None,
    **changes: Any,
) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "broker_url": broker_url,
        "environment": "test",
        "redis_key_prefix": redis_prefix,
        "worker_threads": 2,
        "worker_max_retries": 1,
        "worker_min_backoff_seconds": 0.1,
        "worker_max_backoff_seconds": 0.5,
        "worker_heartbeat_timeout_seconds": 2,
        "worker_shutdown_seconds": 5,
        "submission_batch_seconds": 1,
        # The machine's PostgreSQL is shared: a handful of connections is plenty here.
        "db_pool_size": 2,
        "db_max_overflow": 2,
        "read_pool_size": 2,
    }
    values.update(changes)
    return Settings(**values)


@pytest.fixture(scope="module")
def engine(database_url) -> Iterator[Engine]:
    """The read-model engine alone (the `aries` fixture's pools would hold ~30 connections of
    a server the whole machine shares)."""
    built = create_engine(sqlalchemy_url(database_url), pool_size=2, max_overflow=0)
    yield built
    built.dispose()


@pytest.fixture
def own_database(server_database_url) -> Iterator[str]:
    with fresh_database(server_database_url) as url:
        yield url


@contextmanager
def running_workers(settings: Settings) -> Iterator[Aries]:
    """`aries worker` in a thread: reactions, Dramatiq worker, claims process manager."""
    aries = bootstrap(settings)
    stop = threading.Event()
    thread = threading.Thread(target=run_workers, args=(aries, stop), daemon=True)
    thread.start()
    try:
        yield aries
    finally:
        stop.set()
        thread.join(timeout=60)
        aries.close()
    assert not thread.is_alive(), "the worker did not stop"


def job_status(aries: Aries, job_id: uuid.UUID, tenant: str) -> str | None:
    job = JobStore(aries.read_engine).get(job_id, tenant)
    return job.status if job is not None else None


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """`aries ARGS...` as an operator runs it: its own process, configured by environment."""
    return run_aries(
        *args,
        ARIES_DATABASE_URL=settings.database_url,
        ARIES_REDIS_URL=settings.redis_url,
        ARIES_REDIS_KEY_PREFIX=settings.redis_key_prefix,
        **({"ARIES_BROKER_URL": settings.broker_url} if settings.broker_url else {}),
        ARIES_ENVIRONMENT="test",
        ARIES_DB_POOL_SIZE="1",
        ARIES_DB_MAX_OVERFLOW="1",
        ARIES_READ_POOL_SIZE="1",
    )


# --- schema -------------------------------------------------------------------------------------


def test_the_migration_creates_the_ops_tables_as_the_code_defines_them(database_url):
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'ops'"
        ).fetchall()
    in_database = {(t, c, n == "YES") for t, c, n in rows}
    in_code = {
        (table.name, column.name, bool(column.nullable))
        for table in ops_metadata.tables.values()
        for column in table.columns
    }
    assert in_database == in_code


def test_the_app_role_may_not_delete_a_job(database_url):
    with psycopg.connect(database_url) as conn:
        conn.execute("SET ROLE aries_app")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM ops.jobs")
        conn.rollback()


# --- the job store --------------------------------------------------------------------------


def test_recording_a_job_queued_again_never_moves_it_back(engine):
    store = JobStore(engine)
    job_id, subject = uuid.uuid4(), uuid.uuid4()
    store.queued(job_id, "summary", "t-a", subject, "user-1")
    store.running(job_id)
    store.succeeded(job_id, {"done": True})

    store.queued(job_id, "summary", "t-a", subject, "user-1")
    store.queued(job_id, "summary", "t-a", subject, "user-1", message={
        "queue_name": "summaries", "actor_name": "generate_summary", "kwargs": {},
        "message_id": "m-1",
    })

    job = store.get(job_id, "t-a")
    assert (job.status, job.attempts, job.result, job.actor_name) == (
        "succeeded", 1, {"done": True}, "generate_summary"
    )


def test_a_job_is_invisible_to_another_tenant(engine):
    store = JobStore(engine)
    job_id = uuid.uuid4()
    store.queued(job_id, "remittance", "t-owner", job_id, None)
    assert store.get(job_id, "t-owner") is not None
    assert store.get(job_id, "t-other") is None


def test_a_second_delivery_that_found_the_work_done_keeps_the_first_result(engine):
    store = JobStore(engine)
    job_id = uuid.uuid4()
    store.queued(job_id, "claim_submission", "t-a", uuid.uuid4(), None)
    store.succeeded(job_id, {"outcome": "accepted"})
    store.succeeded(job_id, {"outcome": "skipped"}, keep_result=True)
    assert store.get(job_id, "t-a").result == {"outcome": "accepted"}


def test_every_change_moves_the_revision_up(engine):
    store = JobStore(engine)
    job_id = uuid.uuid4()
    store.queued(job_id, "summary", "t-a", None, None)
    revisions = [store.get(job_id, "t-a").revision]
    for change in (
        lambda: store.running(job_id),
        lambda: store.failed(job_id, "ProviderUnavailable", will_retry=True),
        lambda: store.running(job_id),
        lambda: store.dead(job_id, "ProviderUnavailable"),
    ):
        change()
        revisions.append(store.get(job_id, "t-a").revision)
    assert revisions == sorted(set(revisions))


# --- batching submissions by window (no I/O) -------------------------------------------------

BASE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _requested(tenant: str, second: float, number: int = 1) -> Any:
    return SimpleNamespace(
        tenant_id=tenant,
        timestamp=BASE + timedelta(seconds=second),
        originator_id=uuid.uuid4(),
        submission_number=number,
        correlation_id="req-1",
        actor_id="biller-1",
    )


@given(
    st.lists(
        st.tuples(st.sampled_from(["t-a", "t-b"]), st.floats(0, 299, allow_nan=False)),
        min_size=1,
        max_size=40,
    ).map(lambda items: sorted(items, key=lambda item: item[1])),
    st.integers(1, 10),
    st.floats(0, 400),
)
def test_each_tenants_closed_window_goes_out_in_exactly_one_message(items, limit, elapsed):
    reaction = ClaimSubmissions(window_seconds=60)
    events = [(position, _requested(t, s)) for position, (t, s) in enumerate(items, start=1)]
    now = BASE + timedelta(seconds=elapsed)
    sent: list[tuple[str, int, frozenset[uuid.UUID]]] = []
    position = 0
    while position < len(events):  # the reaction's loop, batch by batch
        batch = events[position : position + limit]
        plan = reaction.plan(batch, first=batch[0][0], full=len(batch) == limit, now=now)
        for outgoing in plan.outgoing:
            kwargs = outgoing.message.kwargs
            sent.append((
                kwargs["tenant_id"],
                reaction.window(next(e for _, e in batch if str(e.originator_id)
                                     == kwargs["claim_ids"][0])),
                frozenset(uuid.UUID(c) for c in kwargs["claim_ids"]),
            ))
        if plan.hold_from is not None:
            if plan.wake_in is not None:
                break  # the rest waits for its window to close
            position = plan.hold_from - 1
        else:
            position = batch[-1][0]

    closed = [
        (p, e) for p, e in events if reaction.closes_at(reaction.window(e)) <= now.timestamp()
    ]
    # Every event of a closed window is sent once, and no event of an open one.
    claims_sent = [claim for _, _, claims in sent for claim in claims]
    assert sorted(map(str, claims_sent)) == sorted(str(e.originator_id) for _, e in closed)
    # One message per tenant and window, unless the window alone outgrew a batch.
    groups = {}
    for tenant, window, claims in sent:
        groups.setdefault((tenant, window), []).append(claims)
    for (_, window), messages in groups.items():
        in_window = [e for _, e in events if reaction.window(e) == window]
        assert len(messages) == 1 or len(in_window) > limit


# --- real workers ---------------------------------------------------------------------------


def _drafted_claim(aries: Aries, delivered_on: date) -> tuple[str, uuid.UUID]:
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    with bound_context(tenant_id=tenant, actor_id="intake-1", actor_role="intake"):
        order = delivered_bed_and_walker(aries, delivered_on)
    claim_id = claim_id_for(order.order_id, f"{delivered_on:%Y-%m}", MEDICARE)
    eventually(lambda: aries.claims.exists(claim_id), what="the claims process manager's draft")
    return tenant, claim_id


def test_a_delivered_order_becomes_a_submitted_acknowledged_claim(
    own_database, redis_url, redis_prefix, broker_url
):
    settings = worker_settings(own_database, redis_url, redis_prefix, broker_url)
    delivered_on = date.today() - timedelta(days=3)
    with running_workers(settings) as aries:
        tenant, claim_id = _drafted_claim(aries, delivered_on)
        with bound_context(tenant_id=tenant, actor_id="biller-1", actor_role="biller",
                           correlation_id="req-submit-1"):
            aries.claims.submit(claim_id)
        job_id = job_id_for_submission(claim_id, 1)

        eventually(lambda: job_status(aries, job_id, tenant) == "succeeded", what="the submission")

        claim = aries.claims.get_claim(claim_id)
        job = JobStore(aries.read_engine).get(job_id, tenant)
        history = [type(e).__name__ for e in aries.claims.repository.event_store.get(claim_id)]
    assert claim.status is ClaimStatus.ACCEPTED
    assert history.count("Submitted") == 1
    assert job.result["outcome"] == "accepted"
    assert job.result["interchange_control_number"] == claim.interchange_control_number
    assert job.requested_by == "biller-1"


def test_the_events_a_job_records_carry_the_requests_tenant_and_correlation(
    own_database, redis_url, redis_prefix
):
    settings = worker_settings(own_database, redis_url, redis_prefix)
    with running_workers(settings) as aries:
        tenant, claim_id = _drafted_claim(aries, date.today() - timedelta(days=3))
        with bound_context(tenant_id=tenant, actor_id="biller-1", actor_role="biller",
                           correlation_id="req-corr-7"):
            aries.claims.submit(claim_id)
        job_id = job_id_for_submission(claim_id, 1)
        eventually(lambda: job_status(aries, job_id, tenant) == "succeeded", what="the submission")
        events = list(aries.claims.repository.event_store.get(claim_id))
    submitted = next(e for e in events if type(e).__name__ == "Submitted")
    assert (submitted.tenant_id, submitted.correlation_id) == (tenant, "req-corr-7")
    assert submitted.causation_id == f"job:{job_id}"
    assert submitted.actor_id == "worker:submit_claims"


def test_claims_requested_in_the_same_window_go_out_in_one_interchange(
    own_database, redis_url, redis_prefix
):
    # A window of 5 s: both requests fall in it unless the second lands right after a boundary,
    # which the test avoids by starting just after one.
    settings = worker_settings(own_database, redis_url, redis_prefix, submission_batch_seconds=5)
    delivered_on = date.today() - timedelta(days=3)
    with running_workers(settings) as aries:
        tenant, first = _drafted_claim(aries, delivered_on)
        with bound_context(tenant_id=tenant, actor_id="intake-1", actor_role="intake"):
            order = delivered_bed_and_walker(aries, delivered_on)
        second = claim_id_for(order.order_id, f"{delivered_on:%Y-%m}", MEDICARE)
        eventually(lambda: aries.claims.exists(second), what="the second draft")
        while time.time() % 5 > 1:
            time.sleep(0.05)
        with bound_context(tenant_id=tenant, actor_id="biller-1", actor_role="biller"):
            aries.claims.submit(first)
            aries.claims.submit(second)
        jobs = [job_id_for_submission(first, 1), job_id_for_submission(second, 1)]
        eventually(
            lambda: all(job_status(aries, j, tenant) == "succeeded" for j in jobs), what="both jobs"
        )
        numbers = {aries.claims.get_claim(c).interchange_control_number for c in (first, second)}
        results = [JobStore(aries.read_engine).get(j, tenant).result for j in jobs]
    assert len(numbers) == 1
    assert {r["claims_in_message"] for r in results} == {2}


def _patient_with_a_note(aries: Aries, tenant: str) -> uuid.UUID:
    from tests.integration.scenarios import medicare_patient

    with bound_context(tenant_id=tenant, actor_id="clinician-1", actor_role="clinician"):
        patient_id, _ = medicare_patient(aries)
        aries.patients.add_note(
            patient_id,
            author_id="clinician-1",
            subjective="Sleeps poorly; uses CPAP most nights.",
            objective="Vitals: BP 128/82. Labs: A1c 6.9.",
            assessment="OSA, adherent.",
            plan="Continue CPAP.",
        )
    return patient_id


def test_a_requested_summary_is_generated_by_a_worker(
    own_database, redis_url, redis_prefix, broker_url
):
    settings = worker_settings(own_database, redis_url, redis_prefix, broker_url)
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    with running_workers(settings) as aries:
        patient_id = _patient_with_a_note(aries, tenant)
        summary_id = uuid.uuid4()
        with bound_context(tenant_id=tenant, actor_id="clinician-1", actor_role="clinician"):
            request_summary(aries.patients, patient_id, requested_by="clinician-1",
                            summary_id=summary_id)
        eventually(lambda: job_status(aries, summary_id, tenant) == "succeeded", what="the summary")
        patient = aries.patients.get_patient(patient_id)
    assert summary_id in patient.summaries


def test_a_permanent_failure_is_dead_lettered_without_a_retry(
    own_database, redis_url, redis_prefix, broker_url
):
    settings = worker_settings(
        own_database, redis_url, redis_prefix, broker_url, worker_max_retries=5
    )
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    with running_workers(settings) as aries:
        patient_id = _patient_with_a_note(aries, tenant)
        never_requested = uuid.uuid4()
        store = JobStore(aries.read_engine)
        message = message_for(
            GENERATE_SUMMARY, tenant_id=tenant, correlation_id="c-1",
            job_ids=[never_requested], patient_id=patient_id, summary_id=never_requested,
        )
        store.queued(never_requested, "summary", tenant, patient_id, "clinician-1",
                     message=payload_of(message))
        broker = build_broker(settings, store)
        try:
            broker.enqueue(message)
        finally:
            broker.shutdown()
        eventually(lambda: job_status(aries, never_requested, tenant) == "dead", what="dead letter")
        job = store.get(never_requested, tenant)
    assert job.attempts == 1
    assert "summary_was_requested" in job.reason


def test_a_job_that_keeps_failing_is_dead_lettered_listed_and_sent_again_by_retry(
    own_database, redis_url, redis_prefix, broker_url
):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    summary_id = uuid.uuid4()
    def count(name: str) -> float:
        return REGISTRY.get_sample_value(name, {"actor": "generate_summary"}) or 0.0

    before = {n: count(n) for n in (RETRIED, DEAD)}
    with socket_without_a_server() as closed_port:
        unreachable = worker_settings(
            own_database, redis_url, redis_prefix, broker_url, worker_max_retries=2,
            summary_provider="ollama", summary_model="llama3",
            ollama_url=f"http://127.0.0.1:{closed_port}", summary_retries=0,
            summary_timeout_seconds=1,
        )
        with running_workers(unreachable) as aries:
            patient_id = _patient_with_a_note(aries, tenant)
            with bound_context(tenant_id=tenant, actor_id="clinician-1", actor_role="clinician"):
                request_summary(aries.patients, patient_id, requested_by="clinician-1",
                                summary_id=summary_id)
            eventually(lambda: job_status(aries, summary_id, tenant) == "dead", what="dead letter")
            dead_job = JobStore(aries.read_engine).get(summary_id, tenant)

    listed = run_cli(unreachable, "jobs", "dead", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    assert [(r["job_id"], r["actor"], r["in_broker"]) for r in rows] == [
        (str(summary_id), "generate_summary", True)
    ]
    assert "ProviderUnavailable" in rows[0]["reason"]
    assert dead_job.attempts == 3  # the first attempt and two retries
    assert count(RETRIED) - before[RETRIED] == 2
    assert count(DEAD) - before[DEAD] == 1

    # The provider is back.
    local = worker_settings(own_database, redis_url, redis_prefix, broker_url)
    with running_workers(local) as aries:
        retried = run_cli(local, "jobs", "retry", str(summary_id))
        assert retried.returncode == 0, retried.stderr
        eventually(lambda: job_status(aries, summary_id, tenant) == "succeeded", what="the retry")
        assert summary_id in aries.patients.get_patient(patient_id).summaries
    after = run_cli(local, "jobs", "dead", "--json")
    assert after.stdout.strip() == ""


def test_retrying_a_job_that_is_not_dead_is_refused(
    own_database, redis_url, redis_prefix, broker_url
):
    settings = worker_settings(own_database, redis_url, redis_prefix, broker_url)
    aries = bootstrap(settings)
    try:
        job_id = uuid.uuid4()
        JobStore(aries.read_engine).queued(job_id, "summary", "t-a", None, None)
    finally:
        aries.close()
    refused = run_cli(settings, "jobs", "retry", str(job_id))
    assert refused.returncode == 1
    assert "queued, not dead" in refused.stderr


@contextmanager
def socket_without_a_server() -> Iterator[int]:
    """A local port nothing listens on (bound, never listening: connections are refused)."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


# --- audit checkpoints ----------------------------------------------------------------------------


def test_the_worker_takes_checkpoints_on_its_schedule_and_appends_them_to_the_witness(
    own_database, redis_url, redis_prefix, tmp_path
):
    settings = worker_settings(
        own_database, redis_url, redis_prefix,
        audit_hmac_key="a checkpoint key kept outside the database",
        audit_checkpoint_minutes=0.02,  # 1.2 s: a second round within the test
        audit_witness_dir=tmp_path,
    )
    witness = tmp_path / WITNESS_FILE

    with running_workers(settings):
        published = eventually(
            lambda: read_witness(witness) if witness.exists() else [],
            lambda found: len({c.created_at for c in found}) >= 2,
            what="two rounds of checkpoints in the witness",
            timeout=30,
        )

    key = settings.audit_hmac_key.get_secret_value().encode()
    assert {c.chain for c in published} == {
        "patients_events", "orders_events", "claims_events", "identity_events", "setup_events",
        "catalogue_events", "access_log",
    }
    assert all(c.signed_by(key) and c.root_hash is not None for c in published)


# --- RabbitMQ alone -----------------------------------------------------------------------------

if RABBITMQ_URL:  # defined only where a RabbitMQ runs (see the module's docstring)

    def test_rabbitmq_delivers_a_higher_priority_message_ahead_of_older_ones(
        engine, redis_url, redis_prefix
    ):
        settings = worker_settings("postgresql://unused", redis_url, redis_prefix, RABBITMQ_URL)
        broker = build_broker(settings, JobStore(engine))
        queue = GENERATE_SUMMARY.queue
        try:
            broker.declare_queue(queue)
            low, high = (
                message_for(
                    GENERATE_SUMMARY, tenant_id="t", correlation_id=None, job_ids=[]
                ).copy(options={"broker_priority": priority})
                for priority in (0, MAX_PRIORITY)
            )
            broker.enqueue(low)
            broker.enqueue(high)
            consumer = broker.consume(broker.named(queue), prefetch=1, timeout=1000)
            try:
                first = next(message for message in consumer if message is not None)
                consumer.ack(first)
            finally:
                consumer.close()
        finally:
            broker.shutdown()
            delete_rabbitmq_queues(RABBITMQ_URL, broker.namespace, QUEUES)
        assert broker.named(queue).startswith(redis_prefix.replace(":", "."))
        assert first.message_id == high.message_id
