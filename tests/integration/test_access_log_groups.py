"""The PHI access log written in groups (AccessLog, application/audit/access_log.py): concurrent
entries of one process share a transaction, each caller returns once its own entry is
committed, a refused entry fails alone, and the chain and seals still verify.

To make a group form deterministically, a test holds the chain's advisory lock (the one the
insert trigger of migration 0007 takes) from another connection: the first entry leads and
waits for it, the others queue behind; when the lock is released the first commits alone and
the queued ones as one group.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import psycopg
import pytest
from sqlalchemy.exc import IntegrityError

from application.audit.access_log import READ, AccessEntry, AccessLog, AccessRecord, entries
from application.audit.chain import verify_access_log
from tests.conftest import aries_on, eventually, in_threads
from tests.servers import fresh_database

pytestmark = pytest.mark.integration

LOCK_CLASS = 0x41554454  # migrations/versions/0007_audit.py
QUEUED = "the entries queued up behind the leading one"


@pytest.fixture(scope="module")
def store(server_database_url, redis_url):
    """Aries on a database of this module alone: the chain verified is ours only."""
    with fresh_database(server_database_url) as url, aries_on(url, redis_url) as aries:
        yield aries, url


def _entry(request_id: str, outcome: str = "allowed") -> AccessRecord:
    return AccessRecord(
        tenant_id="t-group", actor_id="clinician-1", actor_role="clinician", action=READ,
        operation="read_patient", fields_class="demographics", patient_ids=(uuid.uuid4(),),
        outcome=outcome, request_id=request_id,
    )


def _by_request(aries, run: str) -> Counter[str]:
    found = entries(aries.read_engine, tenant_id="t-group", limit=100_000)
    return Counter(e.request_id for e in found if (e.request_id or "").startswith(run))


def _in_one_group(log: AccessLog, url: str, records: list[AccessRecord]) -> list[object]:
    """Record `records` concurrently so that all but the first commit as one group; answer
    each one's entry or error. Asserts no caller returned while its entry could not commit."""
    outcomes: list[object] = [None] * len(records)

    def run(index: int) -> None:
        try:
            outcomes[index] = log.record(records[index])
        except Exception as error:  # noqa: BLE001 (handed to the test)
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(records))]
    with psycopg.connect(url) as blocker:
        blocker.execute("SELECT pg_advisory_xact_lock(%s, hashtext('access_log'))", (LOCK_CLASS,))
        threads[0].start()
        eventually(lambda: log._queue.leading and log.queued == 0, what=QUEUED)
        for thread in threads[1:]:
            thread.start()
        eventually(lambda: log.queued == len(records) - 1, what=QUEUED)
        assert outcomes == [None] * len(records)  # nobody answered before its commit
        blocker.rollback()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_the_process_records_access_through_one_grouping_writer(store):
    aries, _ = store
    assert isinstance(aries.access_log, AccessLog)
    assert aries.access_log.seal_key == aries.seal_key


def test_queued_entries_commit_as_one_group_each_with_its_own_entry(store):
    aries, url = store
    log = aries.access_log
    run = f"group-{uuid.uuid4().hex[:8]}-"
    records = [_entry(f"{run}{n}") for n in range(10)]
    groups_before = log.groups_committed

    outcomes = _in_one_group(log, url, records)

    assert log.groups_committed - groups_before == 2
    assert all(isinstance(o, AccessEntry) for o in outcomes)
    assert [o.request_id for o in outcomes] == [r.request_id for r in records]  # type: ignore[union-attr]
    assert [o.patient_ids for o in outcomes] == [list(r.patient_ids) for r in records]  # type: ignore[union-attr]
    assert len({o.seq for o in outcomes}) == len(records)  # type: ignore[union-attr]
    # Each caller's entry is the stored one, though only what the database stamps came back.
    stored = {e.id: e for e in entries(aries.read_engine, tenant_id="t-group", limit=100_000)}
    assert [stored[o.id] for o in outcomes] == outcomes  # type: ignore[union-attr]
    assert _by_request(aries, run) == Counter(r.request_id for r in records)
    assert verify_access_log(aries.read_engine, seal_key=aries.seal_key).ok


def test_an_entry_the_database_refuses_fails_alone(store):
    aries, url = store
    run = f"refused-{uuid.uuid4().hex[:8]}-"
    records = [_entry(f"{run}{n}") for n in range(6)]
    records.insert(3, _entry(f"{run}bad", outcome="not an outcome"))  # the CHECK refuses it

    outcomes = _in_one_group(aries.access_log, url, records)

    assert isinstance(outcomes[3], IntegrityError)
    assert all(isinstance(o, AccessEntry) for i, o in enumerate(outcomes) if i != 3)
    assert _by_request(aries, run) == Counter(r.request_id for i, r in enumerate(records) if i != 3)
    assert verify_access_log(aries.read_engine, seal_key=aries.seal_key).ok


def test_many_concurrent_reads_leave_every_entry_once_and_the_chain_verifies(store):
    aries, _ = store
    run = f"many-{uuid.uuid4().hex[:8]}-"
    numbers = iter(range(10_000))
    lock = threading.Lock()
    per_thread = 15

    def reads() -> None:
        for _ in range(per_thread):
            with lock:
                n = next(numbers)
            entry = aries.access_log.record(_entry(f"{run}{n}"))
            assert entry.request_id == f"{run}{n}"

    assert in_threads(reads, 16) == []

    counts = _by_request(aries, run)
    assert len(counts) == 16 * per_thread
    assert set(counts.values()) == {1}
    report = verify_access_log(aries.read_engine, seal_key=aries.seal_key)
    assert report.ok, report.first_break
