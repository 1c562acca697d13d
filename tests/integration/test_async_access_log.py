"""The PHI access log written from the event loop (AsyncAccessLog, application/audit/
access_log.py), as the patient reads write it: concurrent entries share one insert, each
caller returns once its own entry is committed, a refused entry fails alone, a caller that
goes away still leaves its entry, and the chain and seals still verify.

As in test_access_log_groups.py, a group forms deterministically while a test holds the
chain's advisory lock (the one migration 0007's insert trigger takes) from another connection.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from application.audit.access_log import (
    READ,
    SEARCH,
    AccessEntry,
    AccessRecord,
    AsyncAccessLog,
    entries,
)
from application.audit.chain import verify_access_log
from tests.conftest import aries_on
from tests.servers import fresh_database

pytestmark = pytest.mark.integration

LOCK_CLASS = 0x41554454  # migrations/versions/0007_audit.py
TENANT = "t-async-group"


@pytest.fixture(scope="module")
def store(server_database_url, redis_url):
    """Aries on a database of this module alone: the chain verified is ours only."""
    with fresh_database(server_database_url) as url, aries_on(url, redis_url) as aries:
        yield aries, url


def _entry(request_id: str, outcome: str = "allowed", patients: int = 1) -> AccessRecord:
    return AccessRecord(
        tenant_id=TENANT, actor_id="clinician-1", actor_role="clinician",
        action=READ if patients == 1 else SEARCH, operation="read_patient",
        fields_class="demographics", patient_ids=tuple(uuid.uuid4() for _ in range(patients)),
        outcome=outcome, request_id=request_id,
    )  # fmt: skip


def _stored(aries) -> dict[uuid.UUID, AccessEntry]:
    return {e.id: e for e in entries(aries.read_engine, tenant_id=TENANT, limit=100_000)}


def _by_request(aries, run: str) -> Counter[str]:
    found = _stored(aries).values()
    return Counter(e.request_id for e in found if (e.request_id or "").startswith(run))


def _with_log(url: str, seal_key: bytes, work: Callable[[AsyncAccessLog], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        pool = AsyncConnectionPool(
            url, min_size=1, max_size=2, kwargs={"autocommit": True}, open=False
        )
        await pool.open(wait=True)
        try:
            return await work(AsyncAccessLog(pool, seal_key))
        finally:
            await pool.close()

    return asyncio.run(main())


async def _until(condition: Callable[[], bool]) -> None:
    """Let the event loop run until `condition` holds (pytest-timeout bounds a hang)."""
    while not condition():
        await asyncio.sleep(0.005)


async def _in_one_group(log: AsyncAccessLog, url: str, records: list[AccessRecord]) -> list[object]:
    """Record `records` concurrently so that all but the first commit as one group; answer each
    one's entry or error. Asserts no caller returned while its entry could not commit."""
    async with await psycopg.AsyncConnection.connect(url) as blocker:
        await blocker.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext('access_log'))", (LOCK_CLASS,)
        )
        first = asyncio.create_task(log.record(records[0]))
        await _until(lambda: log.leading and log.queued == 0)
        rest = [asyncio.create_task(log.record(record)) for record in records[1:]]
        await _until(lambda: log.queued == len(records) - 1)
        assert not any(task.done() for task in (first, *rest))  # nobody answered yet
        await blocker.rollback()
    return list(await asyncio.gather(first, *rest, return_exceptions=True))


def test_queued_entries_commit_as_one_group_each_with_its_own_entry(store):
    aries, url = store
    run = f"group-{uuid.uuid4().hex[:8]}-"
    records = [_entry(f"{run}{n}", patients=n % 3 * 25) for n in range(10)]

    async def work(log: AsyncAccessLog) -> tuple[list[object], int]:
        return await _in_one_group(log, url, records), log.groups_committed

    outcomes, groups = _with_log(url, aries.seal_key, work)

    assert groups == 2
    assert all(isinstance(o, AccessEntry) for o in outcomes)
    assert [o.request_id for o in outcomes] == [r.request_id for r in records]  # type: ignore[union-attr]
    assert [o.patient_ids for o in outcomes] == [list(r.patient_ids) for r in records]  # type: ignore[union-attr]
    assert len({o.seq for o in outcomes}) == len(records)  # type: ignore[union-attr]
    stored = _stored(aries)
    assert [stored[o.id] for o in outcomes] == outcomes  # type: ignore[union-attr]
    assert verify_access_log(aries.read_engine, seal_key=aries.seal_key).ok


def test_an_entry_the_database_refuses_fails_alone(store):
    aries, url = store
    run = f"refused-{uuid.uuid4().hex[:8]}-"
    records = [_entry(f"{run}{n}") for n in range(6)]
    records.insert(3, _entry(f"{run}bad", outcome="not an outcome"))  # the CHECK refuses it

    outcomes = _with_log(url, aries.seal_key, lambda log: _in_one_group(log, url, records))

    assert isinstance(outcomes[3], psycopg.errors.CheckViolation)
    assert all(isinstance(o, AccessEntry) for i, o in enumerate(outcomes) if i != 3)
    assert _by_request(aries, run) == Counter(r.request_id for i, r in enumerate(records) if i != 3)
    assert verify_access_log(aries.read_engine, seal_key=aries.seal_key).ok


def test_a_caller_that_goes_away_still_leaves_its_entry(store):
    aries, url = store
    run = f"cancelled-{uuid.uuid4().hex[:8]}-"

    async def work(log: AsyncAccessLog) -> None:
        async with await psycopg.AsyncConnection.connect(url) as blocker:
            await blocker.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext('access_log'))", (LOCK_CLASS,)
            )
            caller = asyncio.create_task(log.record(_entry(f"{run}0")))
            await _until(lambda: log.leading and log.queued == 0)
            caller.cancel()  # a client that disconnected: its request is cancelled
            await asyncio.gather(caller, return_exceptions=True)
            await blocker.rollback()
        await _until(lambda: not log.leading)
        assert caller.cancelled()

    _with_log(url, aries.seal_key, work)

    assert _by_request(aries, run) == Counter({f"{run}0": 1})


def test_many_concurrent_reads_leave_every_entry_once_and_the_chain_verifies(store):
    aries, url = store
    run = f"many-{uuid.uuid4().hex[:8]}-"

    async def work(log: AsyncAccessLog) -> None:
        async def reads(worker: int) -> None:
            for n in range(15):
                entry = await log.record(_entry(f"{run}{worker}-{n}", patients=n % 4 * 17))
                assert entry.request_id == f"{run}{worker}-{n}"

        await asyncio.gather(*(reads(worker) for worker in range(16)))
        assert log.entries_committed == 16 * 15 > log.groups_committed

    _with_log(url, aries.seal_key, work)

    counts = _by_request(aries, run)
    assert len(counts) == 16 * 15
    assert set(counts.values()) == {1}
    report = verify_access_log(aries.read_engine, seal_key=aries.seal_key)
    assert report.ok, report.first_break
