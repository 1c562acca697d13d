"""Group commit: concurrent commands of one application share one insert transaction.

eventsourcing's PostgreSQL recorder takes `LOCK TABLE <family>_events IN EXCLUSIVE MODE` in
every insert transaction, so that notification ids are issued in commit order and a reader
tailing the log never skips a row that commits later with a lower id. The lock also
serialises inserts per table, which the audit hash chain (a trigger on insert) relies on. The
price is one transaction at a time per family: about 1k commits/s, and most of each one is
fixed cost (round trips, lock, commit, fsync), not the rows.

`GroupCommitRecorder` keeps the lock and amortises the fixed cost. A caller that finds no
commit in progress becomes the leader and commits at once (no added latency when alone).
Callers that arrive while a commit is in progress queue up; when the leader is done, the
first of them leads the next transaction, taking every queued caller's events with it
(at most `MAX_GROUP` callers; the queue itself is application/group_queue.py).

The queue is the process's, not a family's: every recorder on one datastore (the families
share one per process, application/shared_pool.py) joins the same queue, so a group can hold
patients, orders and claims commands, and commits them in ONE transaction that locks each of
their tables in name order (schema, table). Two processes' groups therefore take any tables
they share in the same order and cannot deadlock; each table's notification ids are still
issued in commit order, as the lock is held to the commit. With the families' commands in one
transaction a process pays one commit (and one WAL flush) per group instead of one per family
and group, and groups are as large as the process's concurrency, not a family's share of it.
Every caller still gets:
- its own notification ids (the ids of its own rows, in its own order);
- its own failure: if the group's insert violates a uniqueness constraint (a concurrent write
  to the same aggregate version), the group is rolled back and each caller is committed
  alone, so only the conflicting command fails with IntegrityError (whatever its family).
  Callers in one group that write the same aggregate version of one table are split before
  the insert for the same reason.

Inserts that carry a tracking record (process managers: exactly-once processing is their
uniqueness check) are not grouped: they go through the library's own path.

A group's transaction is one round trip: BEGIN, the locks, per table the insert and the seals,
COMMIT, then the channels' NOTIFY in a transaction of its own (decision 027) go in one pipeline
with one sync; the library's path takes three round trips (pre-ping, the insert's sync,
COMMIT). The pool does not ping a connection before handing it out
(application.eventstore.postgres_env): a connection the server dropped fails its
statement, and the insert is retried on another, as the library's recorders retry theirs. A
failed statement makes the server skip the rest up to the sync, COMMIT included, and the
transaction is rolled back. The figures: docs/benchmarks.md, figure 4.

Both recorders also seal every event they insert (`application/audit/seals.py`): one more
statement in the insert transaction's pipeline writes each event's HMAC to `audit.event_seals`,
so an event that did not come through here has no valid seal (decision 009).

Switched on with `APPLICATION_RECORDER_TOPIC` / `PROCESS_RECORDER_TOPIC` in the
application's environment (see `application.eventstore.postgres_env`).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import structlog
from eventsourcing.persistence import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresProcessRecorder,
)
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from application.audit.seals import event_seal, seal_key_id
from application.group_queue import GroupQueue, Waiter

_log = structlog.get_logger("aries.group_commit")

# How long a caller that leads alone right after a group waits for that group's callers to
# come back (application/group_queue.py): about their Python between two commits, 8 threads.
LINGER = 0.002

# Bounds one transaction's size and how long the table lock is held by one group.
MAX_GROUP = 128


@dataclass(eq=False)
class _Caller(Waiter):
    recorder: _GroupCommitMixin
    events: Sequence[StoredEvent]
    ids: Sequence[int] | None = None

    def settled(self) -> bool:
        return self.ids is not None or self.error is not None

    def answer(self) -> Sequence[int] | None:
        if self.error is not None:
            raise self.error
        return self.ids


SEAL_INSERT = (
    "INSERT INTO audit.event_seals (chain, originator_id, originator_version, key_id, seal) "
    "SELECT %s, u.i, u.v, %s, u.s FROM unnest(%s::uuid[], %s::bigint[], %s::bytea[]) AS u(i, v, s)"
)


class _GroupCommitMixin:
    """The leader/follower queue, and the seals. Mixed into a PostgreSQL application recorder."""

    _gc_queue: GroupQueue[_Caller]
    events_table_name: str
    datastore: PostgresDatastore
    seal_key: bytes | None = None  # set by AriesApplication from its environment

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        super()._insert_stored_events(curs, stored_events, **kwargs)  # type: ignore[misc]
        try:
            self._write_seals(curs, stored_events)
        except psycopg.Error:
            # The events insert failed (another writer took the version) and its error came
            # back while the seals were being sent, before the library's own sync. Left
            # there, the pipeline stays aborted and the COMMIT on the way out raises
            # PipelineAborted, an OperationalError the library retries and then reports,
            # instead of the IntegrityError that means "concurrent update". Leaving a nested
            # pipeline block syncs; what it raises is the same failure, already in hand.
            with contextlib.suppress(psycopg.Error), curs.connection.pipeline():
                pass
            raise

    def _write_seals(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]) -> None:
        """Seal the events in the transaction that inserts them (a cursor of its own: the
        insert's cursor still holds the notification ids the library fetches afterwards)."""
        key = self.seal_key
        if key is None or not stored_events:
            return
        chain = self.events_table_name
        with curs.connection.cursor() as seals:
            # Never prepared: a pipeline that an IntegrityError aborts can drop the PREPARE of
            # a statement psycopg then believes exists ("prepared statement does not exist").
            seals.execute(
                SEAL_INSERT,
                (
                    chain,
                    seal_key_id(key),
                    [e.originator_id for e in stored_events],
                    [e.originator_version for e in stored_events],
                    [
                        event_seal(
                            key, chain, e.originator_id, e.originator_version, e.topic, e.state
                        )
                        for e in stored_events
                    ],
                ),
                prepare=False,
            )

    def _gc_init(self) -> None:
        self._gc_queue = _queue_of(self.datastore)
        self.groups_committed = 0
        self.callers_committed = 0
        self._gc_insert: dict[bytes | None, bytes] = {}

    def _insert_grouped(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]) -> None:
        """The group's path: the events and their seals in ONE statement (a data-modifying
        CTE), the ids in insert order (the table is locked: ids are issued in that order).
        The table is locked and its channel notified by the group (`_insert_parts`)."""
        key = self.seal_key
        params: dict[str, Any] = {
            "i": [e.originator_id for e in stored_events],
            "v": [e.originator_version for e in stored_events],
            "t": [e.topic for e in stored_events],
            "s": [e.state for e in stored_events],
        }
        if key is not None:
            chain = self.events_table_name
            params["chain"] = chain
            params["key"] = _key_id(key)
            params["seals"] = [
                event_seal(key, chain, e.originator_id, e.originator_version, e.topic, e.state)
                for e in stored_events
            ]
        statement = self._gc_insert.get(key)
        if statement is None:
            statement = self._gc_insert[key] = _insert_statement(self, sealed=key is not None)
        # Prepared: a failure anywhere in the group's pipeline closes its connection
        # (`_insert_parts`), so psycopg's prepared-statement cache never outlives one.
        curs.execute(statement, params, prepare=True)

    @property
    def queued(self) -> int:
        """Callers waiting for a commit in progress to finish, every family's of this
        recorder's datastore (a gauge, and for tests)."""
        return self._gc_queue.queued

    @property
    def _gc_leading(self) -> bool:
        return self._gc_queue.leading

    @property
    def _gc_order(self) -> tuple[str, str]:
        """Where this recorder's table comes in a group's lock order."""
        return (self.datastore.schema, self.events_table_name)

    def _insert_one(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        raise NotImplementedError  # the recorder's own single-transaction insert

    @property
    def _gc_channel(self) -> str:
        return str(self.channel_name)  # type: ignore[attr-defined]

    def _insert_at_once(self, stored_events: Sequence[StoredEvent]) -> Sequence[int]:
        """This recorder's events alone, in one transaction in one round trip."""
        return _insert_parts([(self, stored_events)])[0]

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events or kwargs.get("tracking") is not None:
            # A tracking record: exactly-once processing is its uniqueness check, not grouped.
            return self._insert_one(stored_events, **kwargs)
        caller = _Caller(recorder=self, events=stored_events)
        self._gc_queue.join(caller)
        return caller.answer()

    def _count(self, callers: int) -> None:
        self.groups_committed += 1
        self.callers_committed += callers


_queues_lock = threading.Lock()
# One queue per datastore (per connection pool): the recorders of every family on it share it.
_queues: weakref.WeakKeyDictionary[PostgresDatastore, GroupQueue[_Caller]] = (
    weakref.WeakKeyDictionary()
)


def _queue_of(datastore: PostgresDatastore) -> GroupQueue[_Caller]:
    with _queues_lock:
        queue = _queues.get(datastore)
        if queue is None:
            queue = _queues[datastore] = GroupQueue(_commit_group, MAX_GROUP, LINGER)
        return queue


_Part = tuple[_GroupCommitMixin, Sequence[StoredEvent]]
_statements_lock = threading.Lock()
_begin_statements: dict[tuple[tuple[str, str, str, int], ...], tuple[bytes, ...]] = {}
_key_ids: dict[bytes, str] = {}


def _key_id(key: bytes) -> str:
    key_id = _key_ids.get(key)
    if key_id is None:
        key_id = _key_ids[key] = seal_key_id(key)
    return key_id


def _group_statements(recorders: tuple[_GroupCommitMixin, ...]) -> tuple[bytes, ...]:
    """What a group's transaction runs around its inserts, for these recorders (in lock
    order): before them the lock timeout and every table locked in one LOCK (PostgreSQL takes
    a LOCK's tables one by one in the order given); after its COMMIT, every channel notified
    in one statement of its own (see `_insert_parts`). Rendered once."""
    tables = tuple(
        dict.fromkeys(
            (r.datastore.schema, r.events_table_name, r._gc_channel, r.datastore.lock_timeout)
            for r in recorders
        )
    )
    statements = _begin_statements.get(tables)
    if statements is None:
        lock_timeout = max(table[3] for table in tables)
        statements = (
            SQL("SET LOCAL lock_timeout = {}").format(f"{lock_timeout}s").as_string(None),
            SQL("LOCK TABLE {} IN EXCLUSIVE MODE")
            .format(SQL(", ").join(Identifier(schema, table) for schema, table, _, _ in tables))
            .as_string(None),
            # Its own transaction, not flushed to disk before it answers: a notification is a
            # wake-up, and listeners that miss one poll (see `_insert_parts`).
            SQL("SELECT set_config('synchronous_commit', 'off', true), {}")
            .format(
                SQL(", ").join(
                    SQL("pg_notify({}, '')").format(channel) for _, _, channel, _ in tables
                )
            )
            .as_string(None),
        )
        statements = tuple(statement.encode() for statement in statements)
        with _statements_lock:
            _begin_statements[tables] = statements
    return statements


def _insert_statement(recorder: _GroupCommitMixin, *, sealed: bool) -> bytes:
    """One recorder's grouped insert: its events, and with `sealed` their seals."""
    events = Identifier(recorder.datastore.schema, recorder.events_table_name)
    statement = SQL(
        "WITH new AS (INSERT INTO {events} (originator_id, originator_version, topic, state)"
        " SELECT * FROM unnest(%(i)s::uuid[], %(v)s::bigint[], %(t)s::text[], %(s)s::bytea[])"
        " RETURNING notification_id)"
    ).format(events=events)
    if sealed:
        statement += SQL(
            ", sealed AS (INSERT INTO audit.event_seals"
            " (chain, originator_id, originator_version, key_id, seal)"
            " SELECT %(chain)s, u.i, u.v, %(key)s, u.s"
            " FROM unnest(%(i)s::uuid[], %(v)s::bigint[], %(seals)s::bytea[]) AS u(i, v, s))"
        )
    statement += SQL(" SELECT notification_id FROM new ORDER BY notification_id")
    return statement.as_string(None).encode()


@retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
def _insert_parts(parts: Sequence[_Part]) -> list[list[int]]:
    """Each part's events inserted into its recorder's table, all in one transaction in one
    round trip, the tables locked in the order of `parts` (sorted by the caller). Answers each
    part's notification ids. Raises what the library's path raises: IntegrityError for a
    conflict, Operational/InterfaceError (retried here, like the library does, on another of
    the pool's connections) when the database or the connection failed."""
    datastore = parts[0][0].datastore
    statements = _group_statements(tuple(recorder for recorder, _ in parts))
    with datastore.get_connection() as conn:
        cursors = [conn.cursor() for _ in parts]
        committed = conn.cursor()
        try:
            try:
                _send_group(conn, statements, parts, cursors, committed)
            except psycopg.Error as error:
                # The pool replaces this connection: its transaction may be open or aborted,
                # and a pipeline cut short can leave psycopg's prepared-statement cache out
                # of step with the server. Failures are rare (conflicts, outages).
                with contextlib.suppress(psycopg.Error):
                    conn.close()
                if committed.statusmessage != "COMMIT":
                    raise _persistence_error(error) from error
                # Only the notification after the COMMIT failed: the events are stored, and
                # a listener that missed it finds them at its next poll. Failing the group
                # would have its callers told of a conflict with their own events.
                _log.warning("group committed, its notification failed", error=type(error).__name__)
            ids = [[row["notification_id"] for row in curs.fetchall()] for curs in cursors]
        finally:
            for curs in (*cursors, committed):
                curs.close()
    for (_, events), returned in zip(parts, ids, strict=True):
        if len(returned) != len(events):
            raise AssertionError("one notification id per inserted event expected")
    return ids


def _send_group(
    conn: psycopg.Connection[DictRow],
    statements: tuple[bytes, ...],
    parts: Sequence[_Part],
    cursors: list[Cursor[DictRow]],
    committed: Cursor[DictRow],
) -> None:
    """The group's transaction in one pipeline: BEGIN, the lock timeout and the locks, a
    cursor per table for its insert (each keeps its own ids), COMMIT on `committed`, then the
    notification."""
    *begin, notify = statements
    with conn.cursor() as control:
        # The block's end syncs and fetches every result. Not `pipeline.sync()` inside it:
        # psycopg 3.3's sync stops writing once its queue is empty even if the socket took
        # only part of the last statements, then waits for results the server cannot send
        # before it has the rest. A group bigger than the socket's buffers, sent while the
        # server waited for the table lock, hung there; the block's exit flushes all.
        with conn.pipeline():
            control.execute(b"BEGIN", prepare=False)
            for statement in begin:
                control.execute(statement, prepare=True)
            for (recorder, events), curs in zip(parts, cursors, strict=True):
                recorder._insert_grouped(curs, events)
            committed.execute(b"COMMIT", prepare=False)
            # Not in the group's transaction: PostgreSQL serialises the commits of all the
            # transactions that notify, cluster-wide, from before their commit record until
            # it is flushed to disk. Two processes writing disjoint tables committed one at a
            # time, each waiting for the other's fsync (decision 027). In a transaction of
            # its own after the COMMIT, the rows are visible before the notification is sent,
            # as before, and it holds that lock for no flush.
            control.execute(notify, prepare=True)


def _commit_group(group: list[_Caller]) -> None:
    """The group's callers in one transaction; where that fails for one caller's data, each
    caller alone (so only the conflicting one fails)."""
    together, alone = _split_duplicates(group)
    if len(together) == 1:
        alone.insert(0, together[0])
    elif together:
        parts = _parts_of(together)
        try:
            ids = _insert_parts([(recorder, events) for recorder, events, _ in parts])
        except (InterfaceError, OperationalError) as error:
            # The database or the connection failed, not one caller's data.
            for caller in together:
                caller.error = error
        except Exception:
            # Whose events conflicted is unknown: let each caller find out alone.
            alone[:0] = together
        else:
            for (recorder, _, callers), returned in zip(parts, ids, strict=True):
                _hand_out(recorder, callers, returned)
    for caller in alone:
        try:
            caller.ids = caller.recorder._insert_at_once(caller.events)
        except BaseException as error:  # the caller re-raises it in its own thread
            caller.error = error
        else:
            caller.recorder._count(1)


def _parts_of(
    callers: list[_Caller],
) -> list[tuple[_GroupCommitMixin, list[StoredEvent], list[_Caller]]]:
    """The callers by recorder, recorders in lock order (schema, table; then first come), each
    with its callers' events in the callers' order."""
    by_recorder: dict[int, tuple[_GroupCommitMixin, list[StoredEvent], list[_Caller]]] = {}
    for caller in callers:
        recorder = caller.recorder
        part = by_recorder.setdefault(id(recorder), (recorder, [], []))
        part[1].extend(caller.events)
        part[2].append(caller)
    return sorted(by_recorder.values(), key=lambda part: part[0]._gc_order)


def _hand_out(recorder: _GroupCommitMixin, callers: list[_Caller], ids: Sequence[int]) -> None:
    start = 0
    for caller in callers:
        # RETURNING gives the ids in insert order, which is the order of the unnest()ed
        # array: the library relies on the same for a single caller.
        caller.ids = list(ids[start : start + len(caller.events)])
        start += len(caller.events)
    recorder._count(len(callers))


_ERRORS: tuple[tuple[type[psycopg.Error], type[PersistenceError]], ...] = (
    (psycopg.IntegrityError, IntegrityError),
    (psycopg.InterfaceError, InterfaceError),
    (psycopg.OperationalError, OperationalError),
)


def _persistence_error(error: psycopg.Error) -> PersistenceError:
    """The library's exception for a psycopg one (eventsourcing.postgres does the same)."""
    for theirs, ours in _ERRORS:
        if isinstance(error, theirs):
            return ours(str(error))
    return DatabaseError(str(error))


def _split_duplicates(group: list[_Caller]) -> tuple[list[_Caller], list[_Caller]]:
    """Callers whose events can share one transaction, and those that write an aggregate
    version (of one table) an earlier caller in the group also writes (they are tried alone,
    after it)."""
    seen: set[tuple[Any, ...]] = set()
    together: list[_Caller] = []
    alone: list[_Caller] = []
    for caller in group:
        table = caller.recorder._gc_order
        keys = {(*table, e.originator_id, e.originator_version) for e in caller.events}
        if keys & seen or len(keys) != len(caller.events):
            alone.append(caller)
        else:
            seen |= keys
            together.append(caller)
    return together, alone


class GroupCommitRecorder(_GroupCommitMixin, PostgresApplicationRecorder):
    """PostgreSQL application recorder with group commit (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gc_init()

    def _insert_one(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        return PostgresApplicationRecorder.insert_events(self, stored_events, **kwargs) or []


class GroupCommitProcessRecorder(_GroupCommitMixin, PostgresProcessRecorder):
    """The same for process applications; inserts with a tracking record are not grouped."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gc_init()

    def _insert_one(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        return PostgresProcessRecorder.insert_events(self, stored_events, **kwargs) or []
