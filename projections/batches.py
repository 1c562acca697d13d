"""The moving parts under the runner and the rebuild: a dedicated connection per projection that
holds its advisory lock and listens for notifications, and the batch that applies events and
moves the tracking position in one transaction.

Exactly once: a batch reads its starting position from `read.projection_tracking` with
`SELECT ... FOR UPDATE` inside the transaction that writes the rows and the new position, so
even two writers without the advisory lock would serialise on the tracking row and never apply
an event twice. The advisory lock keeps a second process from doing that work at all. (Reading
the notifications ahead of a batch changes none of this: a batch uses them only if they start
just after the position it locked.)
"""

from __future__ import annotations

import contextlib
import random
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import psycopg
from eventsourcing import persistence as es_persistence
from eventsourcing.application import Application
from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry as es_retry
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier
from sqlalchemy import Connection, Engine, bindparam, create_engine, func, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.pool import NullPool

from projections.base import Projection
from projections.tables import SCHEMA, projection_tracking
from projections.tracing import batch_span

CONNECT_TIMEOUT_SECONDS = 5
CONTROL_CHANNEL = "aries_projection_control"
"""Rebuilds NOTIFY `yield:<projection>` here to ask the live projector to release its lock."""


class Target(Protocol):
    """What the framework needs from the composition root (`interfaces.bootstrap.Aries`)."""

    @property
    def applications(self) -> Mapping[str, Application[Any]]: ...

    read_engine: Engine


class ProjectionFailed(RuntimeError):
    """A handler (or decoding an event) failed: the projection stops at `upstream` just after
    `position` (nothing of the failed batch was written). The cause is chained; the message is
    safe to log (no values from the event or the database)."""

    def __init__(self, projection: str, upstream: str, position: int, reason: str) -> None:
        super().__init__(
            f"projection {projection} stopped after {upstream} position {position}: {reason}"
        )
        self.projection = projection
        self.upstream = upstream
        self.position = position
        self.reason = reason


def lock_key(projection: str) -> str:
    return f"aries.projection.{projection}"


def rebuild_lock_key(projection: str) -> str:
    return f"aries.rebuild.{projection}"


class Backoff:
    """Exponential delays with jitter between reconnection attempts (0.5 s doubling to 30 s)."""

    def __init__(self, first: float = 0.5, most: float = 30.0) -> None:
        self.first, self.most, self.attempt = first, most, 0

    def next(self) -> float:
        self.attempt += 1
        delay = min(self.first * 2 ** (self.attempt - 1), self.most)
        return delay * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not security)

    def reset(self) -> None:
        self.attempt = 0


def is_transient(error: BaseException) -> bool:
    """A lost connection, a timeout, a deadlock: worth reconnecting and retrying."""
    if isinstance(error, es_persistence.OperationalError | es_persistence.InterfaceError):
        return True
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        return error.connection_invalidated or isinstance(
            error.orig, psycopg.OperationalError | psycopg.InterfaceError
        )
    return isinstance(error, sa_exc.PendingRollbackError | sa_exc.ResourceClosedError)


def describe(error: BaseException) -> str:
    """What went wrong, without values that could be PHI: the exception type, SQLSTATE and the
    names of the schema objects involved, where it was raised, and our own notes."""
    parts = [type(error).__name__]
    original = error.orig if isinstance(error, sa_exc.DBAPIError) else error
    if isinstance(original, psycopg.Error):
        diag = original.diag
        parts[0] = f"{type(original).__name__} (SQLSTATE {original.sqlstate})"
        for label, value in (
            ("table", diag.table_name),
            ("column", diag.column_name),
            ("constraint", diag.constraint_name),
        ):
            if value:
                parts.append(f"{label} {value}")
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        frame = frames[-1]
        parts.append(f"at {Path(frame.filename).name}:{frame.lineno} in {frame.name}")
    parts.extend(getattr(error, "__notes__", ()))
    return "; ".join(parts)


class Session:
    """One dedicated connection for one projection (not from the shared pool): it holds the
    projection's session-level advisory lock, LISTENs to the upstream channels, and runs the
    batches, so that a batch can only commit while its process holds the lock.

    With `schema`, every Core statement addressing schema `read` goes to that schema instead
    (a rebuild writes its fresh tables that way).
    """

    def __init__(
        self, target: Target, projection: Projection, *, purpose: str, schema: str | None = None
    ) -> None:
        self.target = target
        self.projection = projection
        self.engine = create_engine(
            target.read_engine.url,
            poolclass=NullPool,
            hide_parameters=True,
            connect_args={
                "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                "application_name": f"aries-{purpose}:{projection.name}"[:63],
                # Notice a peer that vanished without closing the socket (TCP only).
                "keepalives": 1,
                "keepalives_idle": 10,
                "keepalives_interval": 5,
                "keepalives_count": 3,
            },
        )
        try:
            self.conn = self.engine.connect()
        except BaseException:
            self.engine.dispose()
            raise
        if schema is not None:
            self.conn.execution_options(schema_translate_map={SCHEMA: schema})
        self.held: set[str] = set()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (which releases any advisory lock it holds)."""
        self.held.clear()
        with contextlib.suppress(Exception):  # the connection may be gone already
            self.conn.close()
        self.engine.dispose()

    # --- Locks ------------------------------------------------------------------------------

    def try_lock(self, key: str) -> bool:
        got = self.conn.execute(select(func.pg_try_advisory_lock(func.hashtext(key)))).scalar()
        self.conn.commit()
        if got:
            self.held.add(key)
        return bool(got)

    def lock(self, key: str, timeout_seconds: float) -> bool:
        """Wait up to `timeout_seconds` for the lock (queued behind its holder)."""
        ms = max(int(timeout_seconds * 1000), 1)
        try:
            with self.conn.begin():
                self.conn.exec_driver_sql(f"SET LOCAL lock_timeout = {ms}")
                self.conn.execute(select(func.pg_advisory_lock(func.hashtext(key))))
        except sa_exc.OperationalError as error:
            if isinstance(error.orig, psycopg.errors.LockNotAvailable):
                return False
            raise
        self.held.add(key)
        return True

    def unlock(self, key: str) -> None:
        self.held.discard(key)
        self.conn.execute(select(func.pg_advisory_unlock(func.hashtext(key))))
        self.conn.commit()

    # --- Notifications ----------------------------------------------------------------------

    def listen(self, channels: Sequence[str]) -> None:
        quote = self.conn.dialect.identifier_preparer.quote_identifier
        for channel in channels:
            self.conn.exec_driver_sql(f"LISTEN {quote(channel)}")
        self.conn.commit()

    def notify(self, channel: str, payload: str) -> None:
        self.conn.execute(select(func.pg_notify(channel, payload)))
        self.conn.commit()

    def wait(self, timeout: float) -> list[psycopg.Notify]:
        """Notifications received so far, or the first one within `timeout` seconds."""
        driver = self.conn.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        return list(driver.notifies(timeout=timeout, stop_after=1))

    # --- Tracking ---------------------------------------------------------------------------

    def positions(self) -> dict[str, int]:
        rows = self.conn.execute(
            select(projection_tracking.c.upstream, projection_tracking.c.position).where(
                projection_tracking.c.projection == self.projection.name
            )
        ).all()
        self.conn.commit()
        return {upstream: position for upstream, position in rows}


@dataclass(frozen=True)
class Batch:
    upstream: str
    events: int  # notifications read (all of them move the position)
    position: int  # tracking position after the batch
    handled: int = 0  # events a handler took (the others were only skipped)


def head(app: Application[Any]) -> int:
    return app.recorder.max_notification_id() or 0


def heads(target: Target, upstreams: Sequence[str]) -> dict[str, int]:
    return {upstream: head(target.applications[upstream]) for upstream in upstreams}


# Built once: a batch per command (read-your-writes) pays for no statement construction or
# cache key. They address schema `read` through the Table, so a rebuild's schema_translate_map
# redirects them.
_WHERE = (
    projection_tracking.c.projection == bindparam("of_projection"),
    projection_tracking.c.upstream == bindparam("of_upstream"),
)
_LOCK_POSITION = select(projection_tracking.c.position).where(*_WHERE).with_for_update()
_ADD_POSITION = (
    pg_insert(projection_tracking)
    .values(projection=bindparam("of_projection"), upstream=bindparam("of_upstream"), position=0)
    .on_conflict_do_nothing()
)
_MOVE_POSITION = (
    update(projection_tracking)
    .where(*_WHERE)
    .values(position=bindparam("to_position"), updated_at=func.now())
)


def _locked_position(conn: Connection, projection: str, upstream: str) -> int:
    names = {"of_projection": projection, "of_upstream": upstream}
    position = conn.execute(_LOCK_POSITION, names).scalar()
    if position is None:
        conn.execute(_ADD_POSITION, names)
        position = conn.execute(_LOCK_POSITION, names).scalar_one()
    return int(position)


@lru_cache(maxsize=64)
def _select_statement(schema: str, table: str) -> bytes:
    """Composed once per events table, not once a batch."""
    return (
        SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {}.{} "
            "WHERE notification_id >= %s ORDER BY notification_id LIMIT %s"
        )
        .format(Identifier(schema), Identifier(table))
        .as_bytes(None)
    )


@es_retry(
    (es_persistence.InterfaceError, es_persistence.OperationalError), max_attempts=10, wait=0.2
)
def _select_binary(
    recorder: PostgresApplicationRecorder, start: int, limit: int
) -> list[Notification]:
    statement = _select_statement(recorder.datastore.schema, recorder.events_table_name)
    with (
        recorder.datastore.get_connection() as conn,
        conn.cursor(binary=True, row_factory=tuple_row) as cursor,
    ):
        cursor.execute(statement, (start, limit), prepare=True)
        return [
            Notification(
                id=id_,
                originator_id=originator,
                originator_version=version,
                topic=topic,
                state=state,
            )
            for id_, originator, version, topic, state in cursor.fetchall()
        ]


def select_notifications(app: Application[Any], start: int, limit: int) -> Sequence[Notification]:
    """Up to `limit` notifications of `app` from id `start` on, as its recorder answers them.

    From the library's PostgreSQL recorder, the same query and retries as its own
    `select_notifications`, but in binary (no hex-encoded state to encode on the server and
    decode here) and without building a dict per row: twice as fast, which counts when a
    rebuild reads the whole log.
    """
    recorder = app.recorder
    if (
        isinstance(recorder, PostgresApplicationRecorder)
        and type(recorder).select_notifications is PostgresApplicationRecorder.select_notifications
    ):
        return _select_binary(recorder, start, limit)
    return recorder.select_notifications(start, limit)


Reader = Callable[[Application[Any], int, int], Sequence[Notification]]


class ReadAhead:
    """A `Reader` that, having answered a full batch, reads the one after it in a thread while
    the caller applies this one, so that the database's work on both overlaps; `expect` asks
    for any other read ahead of time (a rebuild: the next upstream's first batch).

    A batch takes the notifications read ahead only if it starts where they start (the tracked
    position is still authoritative); otherwise it reads afresh. Reading ahead is no different
    from reading when the batch starts: recorded notifications never change, and recorders
    insert under a table lock, so any read sees a prefix of the log.
    """

    def __init__(self) -> None:
        #: Per application, the position after which not to read ahead (drain's `until`).
        self.until: dict[Application[Any], int] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead")
        self._ahead: dict[tuple[Application[Any], int, int], Future[Sequence[Notification]]] = {}

    def __call__(self, app: Application[Any], start: int, limit: int) -> Sequence[Notification]:
        ahead = self._ahead.pop((app, start, limit), None)
        for key in [key for key in self._ahead if key[0] is app]:  # read for another start
            self._ahead.pop(key).cancel()
        notifications = select_notifications(app, start, limit) if ahead is None else ahead.result()
        until = self.until.get(app)
        if len(notifications) == limit and (until is None or notifications[-1].id < until):
            self.expect(app, notifications[-1].id + 1, limit)
        return notifications

    def expect(self, app: Application[Any], start: int, limit: int) -> None:
        """Read `limit` notifications of `app` from `start` now, for a batch to come."""
        if (app, start, limit) not in self._ahead:
            future = self._executor.submit(select_notifications, app, start, limit)
            self._ahead[app, start, limit] = future

    def close(self) -> None:
        self._ahead.clear()
        self._executor.shutdown(wait=True, cancel_futures=True)


def apply_next_batch(
    conn: Connection,
    projection: Projection,
    upstream: str,
    app: Application[Any],
    limit: int,
    read: Reader = select_notifications,
) -> Batch:
    """Read up to `limit` notifications after the tracked position, apply them, and move the
    position, all in one transaction on `conn`."""
    with conn.begin():
        position = _locked_position(conn, projection.name, upstream)
        notifications = read(app, position + 1, limit)
        if not notifications:
            return Batch(upstream, 0, position)
        try:
            with batch_span(projection.name, upstream, notifications):
                handled = projection.apply_notifications(conn, upstream, app, notifications)
        except Exception as error:
            if is_transient(error):
                raise
            raise ProjectionFailed(
                projection.name,
                upstream,
                position,
                f"{describe(error)} (batch {notifications[0].id}..{notifications[-1].id})",
            ) from error
        last = notifications[-1].id
        conn.execute(
            _MOVE_POSITION,
            {"of_projection": projection.name, "of_upstream": upstream, "to_position": last},
        )
    return Batch(upstream, len(notifications), last, handled)


def drain(
    conn: Connection,
    projection: Projection,
    upstream: str,
    app: Application[Any],
    limit: int,
    until: int | None = None,
    read: ReadAhead | None = None,
) -> Iterator[Batch]:
    """Batches until the upstream's head (or position `until`) is reached, reading ahead with
    `read` (its caller closes it) or a reader of its own."""
    reader = ReadAhead() if read is None else read
    if until is not None:
        reader.until[app] = until
    try:
        while True:
            batch = apply_next_batch(conn, projection, upstream, app, limit, reader)
            if batch.events:
                yield batch
            if batch.events < limit or (until is not None and batch.position >= until):
                return
    finally:
        if read is None:
            reader.close()
