"""The API's job row (`JobStore.queued` without a message): one autocommit statement on the
read-model pool's psycopg connection. It records what the SQLAlchemy statement records, and
hands the connection back as it was lent, after a refused row or a dropped connection too."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, select, text

from interfaces.workers.jobs import JobStore
from interfaces.workers.tables import jobs
from migrations import sqlalchemy_url

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(database_url) -> Iterator[Engine]:
    """One pooled connection: every call below is lent the same one."""
    built = create_engine(sqlalchemy_url(database_url), pool_size=1, max_overflow=0)
    yield built
    built.dispose()


def _row(engine: Engine, job_id: uuid.UUID) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(jobs).where(jobs.c.job_id == job_id)).mappings().one())


def test_a_job_queued_alone_is_recorded_as_the_sqlalchemy_statement_records_it(engine):
    store = JobStore(engine)
    alone, in_transaction, subject = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    store.queued(alone, "claim_submission", "t-a", subject, "biller-1")
    with engine.begin() as conn:
        store.queued(in_transaction, "claim_submission", "t-a", subject, "biller-1", conn=conn)

    recorded, expected = _row(engine, alone), _row(engine, in_transaction)
    for varies in ("job_id", "created_at", "updated_at"):
        recorded.pop(varies), expected.pop(varies)
    assert recorded == expected
    assert recorded["status"] == "queued" and recorded["revision"] == 1


def test_a_job_queued_again_alone_keeps_its_status(engine):
    store = JobStore(engine)
    job_id = uuid.uuid4()
    store.queued(job_id, "summary", "t-a", None, None)
    store.running(job_id)
    store.queued(job_id, "summary", "t-a", None, None)
    assert (store.get(job_id, "t-a").status, store.get(job_id, "t-a").revision) == ("running", 2)


def test_the_connection_goes_back_to_the_pool_out_of_autocommit(engine):
    JobStore(engine).queued(uuid.uuid4(), "summary", "t-a", None, None)
    job_id = uuid.uuid4()
    with engine.connect() as conn:
        assert conn.connection.driver_connection.autocommit is False
        # A transaction the caller rolls back still leaves nothing.
        JobStore(engine).queued(job_id, "summary", "t-a", None, None, conn=conn)
        conn.rollback()
    assert JobStore(engine).get(job_id, "t-a") is None


def test_a_refused_row_leaves_the_connection_usable(engine):
    store = JobStore(engine)
    with pytest.raises(psycopg.errors.NotNullViolation):
        store.queued(uuid.uuid4(), "summary", None, None, None)  # type: ignore[arg-type]
    job_id = uuid.uuid4()
    store.queued(job_id, "summary", "t-a", None, None)
    assert store.get(job_id, "t-a").status == "queued"
    with engine.connect() as conn:
        assert conn.connection.driver_connection.autocommit is False


def test_a_dropped_connection_fails_the_call_and_is_not_lent_again(engine, database_url):
    store = JobStore(engine)
    store.queued(uuid.uuid4(), "summary", "t-a", None, None)
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    with pytest.raises(psycopg.OperationalError):
        store.queued(uuid.uuid4(), "summary", "t-a", None, None)
    job_id = uuid.uuid4()
    store.queued(job_id, "summary", "t-a", None, None)
    assert store.get(job_id, "t-a").status == "queued"
