"""The event store: one eventsourcing Application per aggregate family on PostgreSQL.

Each family has its own events table, lock and notification log (`<name>_events`); Alembic
creates the tables (CREATE_TABLE is off). Every application registers the domain's topics and
value-type transcodings, and turns library errors into the domain's.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Recording, Transcoder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import get_topic
from opentelemetry import trace
from psycopg.conninfo import conninfo_to_dict
from psycopg.sql import SQL, Identifier

from application.ports import Clock, SystemClock
from application.protocol_checks import ProcessingEventCheckedOnce, project_checked_once
from application.transcodings import DateAsISO, transcoding_for
from domain import registry
from domain.base import AriesAggregate
from domain.context import SYSTEM_TENANT, current_context
from domain.errors import NotFound

A = TypeVar("A", bound=AriesAggregate)

AUDIT_SIGNING_KEY = "AUDIT_SIGNING_KEY"
_tracer = trace.get_tracer("aries.application")


def tracing_configured() -> bool:
    """Whether a tracer provider is set (in code, or by OTEL_PYTHON_TRACER_PROVIDER, which is
    loaded when an application or the HTTP gateway starts). Without one a span records
    nothing, yet OpenTelemetry's no-op span cost 10-20 us of a commit's 300 (figure 4), and
    `get_tracer_provider()` reads the environment on every call until one is set."""
    return getattr(trace, "_TRACER_PROVIDER", True) is not None


class StaleVersion(Exception):
    """The client's If-Match version is not the aggregate's current version (HTTP 412)."""

    def __init__(self, kind: str, expected: int, actual: int) -> None:
        super().__init__(f"{kind} is at version {actual}, not {expected}")
        self.kind = kind
        self.expected = expected
        self.actual = actual


class ConcurrentUpdate(Exception):
    """Another command changed the aggregate between our load and our save (HTTP 409; 412 when
    the client sent If-Match, whose version is then no longer current). Nothing of this
    command was recorded. `current_version`: the first aggregate's version now, when known."""

    def __init__(self, message: str, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version


UNCONDITIONAL_ATTEMPTS = 5

C = TypeVar("C", bound=Callable[..., "CommandResult"])


def retried_unless_conditional(command: C) -> C:
    """For a command whose outcome does not depend on the state it read (a note appended,
    documents recorded): a lost race is run again from a fresh load, up to
    UNCONDITIONAL_ATTEMPTS times, so clients need no retry loop. Every rule is decided again
    on the fresh state. With `expected_version` (If-Match) the client asked for that version
    only: the lost race is not retried (the HTTP layer answers 412)."""

    @functools.wraps(command)
    def run(*args: Any, expected_version: int | None = None, **kwargs: Any) -> CommandResult:
        attempt = 1
        while True:
            try:
                return command(*args, expected_version=expected_version, **kwargs)
            except ConcurrentUpdate:
                if expected_version is not None or attempt >= UNCONDITIONAL_ATTEMPTS:
                    raise
                attempt += 1

    return cast(C, run)


@dataclass(frozen=True)
class CommandResult:
    """What every command answers: the aggregate, its new version, and the event-store
    position (notification id) a reader can wait for."""

    id: UUID
    version: int
    position: int | None


def postgres_env(
    database_url: str,
    *,
    pool_size: int,
    max_overflow: int,
    connect_timeout: int,
    audit_signing_key: str | None = None,
) -> dict[str, str]:
    """Library settings for a PostgreSQL URL (host may be a socket directory), and the key
    that seals every stored event (unset: events are not sealed, and verification says so)."""
    params = conninfo_to_dict(database_url)
    sealing = {AUDIT_SIGNING_KEY: audit_signing_key} if audit_signing_key else {}
    return {
        **sealing,
        # One pool per process for all the families (application/shared_pool.py).
        "PERSISTENCE_MODULE": "application.shared_pool:SharedPoolFactory",
        "CREATE_TABLE": "no",
        "POSTGRES_DBNAME": str(params.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(params.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(params.get("port") or "5432"),
        "POSTGRES_USER": str(params.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(params.get("password") or ""),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(max_overflow),
        "POSTGRES_CONNECT_TIMEOUT": str(connect_timeout),
        # A stuck lock must not hold a request for minutes.
        "POSTGRES_LOCK_TIMEOUT": "5",
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
        # No ping before each checkout (a round trip per command): a connection the server
        # dropped fails its statement and the recorders retry on another (library's @retry,
        # application/group_commit.py); the pool then replaces it.
        "POSTGRES_PRE_PING": "n",
        # Concurrent commands share one insert transaction under the table lock; see
        # application/group_commit.py (bench/ measures it against the library's recorder).
        "APPLICATION_RECORDER_TOPIC": "application.group_commit:GroupCommitRecorder",
        "PROCESS_RECORDER_TOPIC": "application.group_commit:GroupCommitProcessRecorder",
    }


def register_domain_topics() -> None:
    """Register every pinned topic, so a fresh process can resolve stored events before it has
    created any event of its own."""
    for aggregate_class in registry.AGGREGATES:
        get_topic(aggregate_class)
        for value in vars(aggregate_class).values():
            if isinstance(value, type) and issubclass(value, Aggregate.Event):
                get_topic(value)


class AriesApplication(Application[UUID]):
    """Base for the per-family applications."""

    aggregate_kind: ClassVar[str] = "aggregate"

    def __init__(self, env: dict[str, Any] | None = None, clock: Clock | None = None) -> None:
        register_domain_topics()
        trace.get_tracer_provider()  # loads one named by the environment (see `tracing_configured`)
        super().__init__(env)
        self.clock: Clock = clock or SystemClock()
        key = self.env.get(AUDIT_SIGNING_KEY)
        if key and hasattr(self.recorder, "seal_key"):
            # The recorder seals what it inserts (application/audit/seals.py).
            self.recorder.seal_key = key.encode()

    def register_transcodings(self, transcoder: Transcoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        for value_type in registry.VALUE_TYPES:
            transcoder.register(transcoding_for(value_type))

    @property
    def events_table(self) -> str:
        return f"{self.name.lower()}_events"

    def load(
        self,
        aggregate_id: UUID,
        kind: type[A],
        version: int | None = None,
        *,
        expected_version: int | None = None,
    ) -> A:
        """The aggregate, if it exists and belongs to the caller's tenant; else NotFound.

        Another tenant's aggregate is indistinguishable from a missing one. With
        `expected_version` (a client's If-Match), a different current version is StaleVersion.
        """
        try:
            aggregate = self.repository.get(
                aggregate_id, version=version, projector_func=project_checked_once
            )
        except AggregateNotFoundError:
            raise NotFound(self.aggregate_kind, aggregate_id) from None
        if not isinstance(aggregate, kind):
            raise NotFound(self.aggregate_kind, aggregate_id)
        tenant = current_context().tenant_id
        if tenant != SYSTEM_TENANT and aggregate.tenant_id != tenant:
            raise NotFound(self.aggregate_kind, aggregate_id)
        if expected_version is not None and aggregate.version != expected_version:
            raise StaleVersion(self.aggregate_kind, expected_version, aggregate.version)
        return aggregate

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's `Application.save`, its Protocol checks made once per class
        (application/protocol_checks.py): every command pays them otherwise."""
        processing_event = ProcessingEventCheckedOnce()
        processing_event.collect_events(*objs, **kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # the library's deprecated hook, called as it does
        return recordings

    def _stored_version(self, aggregate_id: UUID) -> int | None:
        """The version of the aggregate's latest stored event (None: none, or unreadable)."""
        try:
            latest = self.recorder.select_events(aggregate_id, desc=True, limit=1)
        except Exception:  # only the answer's ETag depends on it: never hide the conflict
            return None
        return latest[0].originator_version if latest else None

    def exists(self, aggregate_id: UUID) -> bool:
        """Whether any event of `aggregate_id` is stored, whoever's it is: without loading it."""
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    def originator_ids(self, topic: str, *, between: tuple[UUID, UUID] | None = None) -> list[UUID]:
        """The aggregates with an event of `topic`, in the order those events were recorded.
        With `between` (inclusive), only ids in that range: an index range scan of the events
        table's primary key. Every tenant's: callers load them tenant-scoped."""
        if between is None:
            statement = SQL(
                "SELECT originator_id FROM {events} WHERE topic = %s ORDER BY notification_id"
            )
            params: tuple[object, ...] = (topic,)
        else:
            statement = SQL(
                "SELECT originator_id FROM {events} WHERE originator_id BETWEEN %s AND %s"
                " AND topic = %s ORDER BY notification_id"
            )
            params = (*between, topic)
        rows = self._select(statement, params)
        return [row["originator_id"] for row in rows]

    def count_events(self, topic: str) -> int:
        """How many events of `topic` are stored, every tenant's."""
        rows = self._select(SQL("SELECT count(*) AS n FROM {events} WHERE topic = %s"), (topic,))
        return int(rows[0]["n"])

    def _select(self, statement: SQL, params: tuple[object, ...]) -> list[Any]:
        """Rows of a read-only statement on this application's events table (`{events}`)."""
        recorder = cast(PostgresApplicationRecorder, self.recorder)
        events = Identifier(recorder.datastore.schema, recorder.events_table_name)
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement.format(events=events), params)
            return list(cursor.fetchall())

    def commit(self, *aggregates: Aggregate) -> CommandResult:
        """Save all pending events of `aggregates` atomically; answer for the first one. The
        save is a span of the current trace when a tracer provider is set."""
        first = aggregates[0]
        try:
            with (
                _tracer.start_as_current_span(
                    f"command {self.name}", attributes={"aries.aggregate": self.aggregate_kind}
                )
                if tracing_configured()
                else contextlib.nullcontext()
            ):
                recordings = self.save(*aggregates)
        except IntegrityError:
            raise ConcurrentUpdate(
                f"another command changed this {self.aggregate_kind}; reload and retry",
                self._stored_version(first.id),
            ) from None
        position = max((r.notification.id for r in recordings), default=None)
        return CommandResult(id=first.id, version=first.version, position=position)
