"""Batches in the workers against the real PostgreSQL: a message's jobs end together, a full
submission window goes at once, and a reaction's follower reads each notification once."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent
from sqlalchemy import Engine, create_engine

from domain.claim_ids import claim_id_for
from domain.context import bound_context
from interfaces.bootstrap import Aries, bootstrap
from interfaces.workers import reactions
from interfaces.workers.jobs import Ending, JobStore, job_id_for_submission
from interfaces.workers.reactions import (
    MIN_STEP_SECONDS,
    ClaimSubmissions,
    Cursor,
    Follower,
    RemittancesReceived,
    position_of,
    step,
)
from migrations import sqlalchemy_url
from tests.integration.scenarios import MEDICARE, delivered_bed_and_walker
from tests.integration.test_workers import BASE, _requested, worker_settings
from tests.servers import fresh_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def engine(database_url) -> Iterator[Engine]:
    built = create_engine(sqlalchemy_url(database_url), pool_size=2, max_overflow=0)
    yield built
    built.dispose()


@pytest.fixture
def own_database(server_database_url) -> Iterator[str]:
    with fresh_database(server_database_url) as url:
        yield url


def test_a_messages_jobs_end_together_each_as_its_claim_did(engine):
    store = JobStore(engine)
    done, found_done, refused, missing = (uuid.uuid4() for _ in range(4))
    for job_id in (done, found_done, refused):
        store.queued(job_id, "claim_submission", "t-a", uuid.uuid4(), None)
    store.running_all([done, found_done])
    store.succeeded(found_done, {"outcome": "accepted"})
    store.running_all([done, found_done, refused, missing])
    store.finished_all(
        [
            Ending(done, {"outcome": "accepted"}),
            Ending(found_done, {"outcome": "skipped"}, keep_result=True),
            Ending(refused, dead_reason="refused by rule NotFound"),
            Ending(missing, {"outcome": "accepted"}),
        ]
    )
    jobs = {job_id: store.get(job_id, "t-a") for job_id in (done, found_done, refused)}
    assert [(j.status, j.attempts, j.result) for j in jobs.values()] == [
        ("succeeded", 2, {"outcome": "accepted"}),
        ("succeeded", 2, {"outcome": "accepted"}),  # the first delivery's result stays
        ("dead", 1, None),
    ]
    assert jobs[refused].reason == "refused by rule NotFound"
    assert store.get(missing, "t-a") is None  # never recorded: nothing made up


def test_a_window_that_fills_up_goes_at_once_and_its_rest_waits_for_the_close():
    reaction = ClaimSubmissions(window_seconds=60, max_claims=3)
    events = [(position, _requested("t-a", 10 + position)) for position in range(1, 8)]
    now = BASE + timedelta(seconds=30)  # the window [0, 60) is open
    plan = reaction.plan(events, first=1, full=False, now=now)
    sent = [[uuid.UUID(c) for c in o.message.kwargs["claim_ids"]] for o in plan.outgoing]
    assert sent == [
        [e.originator_id for _, e in events[:3]],
        [e.originator_id for _, e in events[3:6]],
    ]
    assert [o.positions for o in plan.outgoing] == [(1, 2, 3), (4, 5, 6)]
    assert plan.hold_from == 7 and plan.wake_in == 60 + reaction.grace_seconds - 30
    later = reaction.plan(events[6:], first=7, full=False, now=now + timedelta(seconds=33))
    assert [o.positions for o in later.outgoing] == [(7,)] and later.hold_from is None


class _Enqueued:
    """A broker that keeps what it is given (the step's own I/O is real)."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    def enqueue(self, message: Any) -> None:
        self.messages.append(message)


def test_a_follower_reads_each_notification_once_and_moves_only_past_what_it_sent(
    own_database, redis_url, redis_prefix
):
    settings = worker_settings(own_database, redis_url, redis_prefix)
    aries = bootstrap(settings)
    reaction = ClaimSubmissions(window_seconds=60, grace_seconds=2)
    broker, store = _Enqueued(), JobStore(aries.read_engine)
    decoded: list[int] = []
    mapper = aries.claims.mapper
    real = mapper.to_domain_event
    mapper.to_domain_event = lambda stored: decoded.append(1) or real(stored)  # type: ignore[method-assign]
    try:
        delivered_on = date.today() - timedelta(days=3)
        first_tenant, first = _drafted_claim_without_workers(aries, delivered_on)
        with aries.read_engine.connect() as conn:
            cursor = Cursor(position_of(conn, reaction))
            with bound_context(tenant_id=first_tenant, actor_id="biller-1", actor_role="biller"):
                aries.claims.submit(first)
            decoded.clear()  # the command's own load decodes too
            now = datetime.now(UTC)
            held = step(conn, reaction, aries.claims, broker, store, now=now, cursor=cursor)
            assert (held.sent, len(cursor.held), len(decoded)) == (0, 1, 1)
            assert position_of(conn, reaction) < cursor.held[0][0]  # not past the held event
            again = step(conn, reaction, aries.claims, broker, store, now=now, cursor=cursor)
            assert (again.read, len(decoded)) == (0, 1)  # nothing new read, nothing re-decoded
            closed = now + timedelta(seconds=63)
            gone = step(conn, reaction, aries.claims, broker, store, now=closed, cursor=cursor)
            assert gone.sent == 1 and cursor.held == [] and len(decoded) == 1
            assert position_of(conn, reaction) == cursor.read_to
    finally:
        mapper.to_domain_event = real  # type: ignore[method-assign]
        aries.close()
    (message,) = broker.messages
    assert message.kwargs["claim_ids"] == [str(first)]
    assert job_status_in(store, job_id_for_submission(first, 1), first_tenant) == "queued"


def test_a_reaction_that_sends_nothing_stores_its_position_at_most_once_a_second(
    own_database, redis_url, redis_prefix
):
    aries = bootstrap(worker_settings(own_database, redis_url, redis_prefix))
    reaction = RemittancesReceived()  # follows claims; a submission request is not its topic
    broker, store = _Enqueued(), JobStore(aries.read_engine)
    try:
        delivered_on = date.today() - timedelta(days=3)
        tenant, first = _drafted_claim_without_workers(aries, delivered_on)
        with aries.read_engine.connect() as conn:
            cursor = Cursor(position_of(conn, reaction))
            now = datetime.now(UTC)
            step(conn, reaction, aries.claims, broker, store, now=now, cursor=cursor)
            stored = position_of(conn, reaction)
            assert stored == cursor.read_to  # a follower's first step stores where it is
            with bound_context(tenant_id=tenant, actor_id="biller-1", actor_role="biller"):
                aries.claims.submit(first)
            soon = step(
                conn,
                reaction,
                aries.claims,
                broker,
                store,
                now=now + timedelta(seconds=0.5),
                cursor=cursor,
            )
            assert soon.position > stored and position_of(conn, reaction) == stored
            later = step(
                conn,
                reaction,
                aries.claims,
                broker,
                store,
                now=now + timedelta(seconds=1.5),
                cursor=cursor,
            )
            assert later.read == 0 and position_of(conn, reaction) == soon.position
    finally:
        aries.close()
    assert broker.messages == []


def test_a_burst_of_commits_is_read_in_a_few_steps_not_one_per_commit(
    own_database, redis_url, redis_prefix, monkeypatch
):
    aries = bootstrap(worker_settings(own_database, redis_url, redis_prefix))
    heads: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> reactions.Step:
        done = step(*args, **kwargs)
        heads.append(done.head)
        return done

    monkeypatch.setattr(reactions, "step", counted)
    halt = threading.Event()
    follower = Follower(
        aries,
        RemittancesReceived(),
        _Enqueued(),
        JobStore(aries.read_engine),
        halt,
        poll_interval=30,
    )
    thread = threading.Thread(target=follower.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not heads and time.monotonic() < deadline:  # listening, and caught up
            time.sleep(0.01)
        before, began = len(heads), time.monotonic()
        for n in range(40):  # one commit, and one NOTIFY, each
            aries.claims.recorder.insert_events(
                [StoredEvent(uuid.uuid4(), 1, "aries.test.Other", b'{"n": %d}' % n)]
            )
        elapsed = time.monotonic() - began
        head = aries.claims.recorder.max_notification_id()
        while (not heads or heads[-1] < head) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        halt.set()
        thread.join(5)
        aries.close()
    assert heads[-1] == head  # every commit was read, without waiting for the poll
    assert len(heads) - before <= elapsed / MIN_STEP_SECONDS + 2 < 40


def job_status_in(store: JobStore, job_id: uuid.UUID, tenant: str) -> str | None:
    job = store.get(job_id, tenant)
    return job.status if job is not None else None


def _drafted_claim_without_workers(aries: Aries, delivered_on: date) -> tuple[str, uuid.UUID]:
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    with bound_context(tenant_id=tenant, actor_id="intake-1", actor_role="intake"):
        order = delivered_bed_and_walker(aries, delivered_on)
    aries.claims.catch_up_all()
    return tenant, claim_id_for(order.order_id, f"{delivered_on:%Y-%m}", MEDICARE)


def test_a_steps_jobs_are_recorded_in_one_statement_and_never_moved_back(engine):
    store = JobStore(engine)
    known, new = uuid.uuid4(), uuid.uuid4()
    store.queued(known, "claim_submission", "t-a", uuid.uuid4(), "biller-1")
    store.running_all([known])
    message = {
        "queue_name": "claim_submissions",
        "actor_name": "submit_claims",
        "kwargs": {},
        "message_id": "m-2",
    }
    with engine.begin() as conn:
        store.queued_all(
            [
                ((known, "claim_submission", "t-a", None, "biller-1"), message),
                ((new, "claim_submission", "t-a", None, "biller-1"), message),
                ((new, "claim_submission", "t-a", None, "biller-1"), message),
            ],  # asked twice
            conn,
        )
    jobs = [store.get(job_id, "t-a") for job_id in (known, new)]
    assert [(j.status, j.actor_name, j.message["message_id"]) for j in jobs] == [
        ("running", "submit_claims", "m-2"),
        ("queued", "submit_claims", "m-2"),
    ]
