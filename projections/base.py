"""The `Projection` base: a name, the upstreams it follows, its tables, one handler per event.

See the package docstring (`projections/__init__.py`) for how to add one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, ClassVar, TypeVar

import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic, resolve_topic
from sqlalchemy import Connection, Dialect, Table

from projections.tables import SCHEMA, projection_tracking

Handler = Callable[[Any, Connection, Any, str, int], None]
H = TypeVar("H", bound=Handler)

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

_HANDLES = "__projection_handles__"


def handles(*keys: type | str) -> Callable[[H], H]:
    """Mark a method as the handler of events of these classes or topics.

    A class matches its subclasses too (the most specific registered class wins); a topic string
    matches the stored topic, or the current topic of the class the stored one resolves to.
    """
    if not keys:
        raise TypeError("@handles needs at least one event class or topic")

    def mark(method: H) -> H:
        setattr(method, _HANDLES, (*getattr(method, _HANDLES, ()), *keys))
        return method

    return mark


class Projection:
    """A read model built from the events of one or more upstream applications.

    Subclasses set `name`, `upstreams` and `tables`, and mark methods with `@handles(...)`.
    Handlers write with SQLAlchemy Core on the connection they are given, through the Table
    objects in `tables` (never raw SQL naming the schema: a rebuild redirects schema `read` to
    its own schema), and read nothing but their own tables.
    """

    #: Unique, stable name: the tracking key and part of the lock key and rebuild schema name.
    name: ClassVar[str]
    #: Upstream application names it follows (keys of `aries.applications`); None: all of them.
    upstreams: ClassVar[tuple[str, ...] | None] = None
    #: The tables it owns (in projections/tables.py, created by a migration).
    tables: ClassVar[tuple[Table, ...]] = ()
    #: Events applied per transaction, at most, by the live projector and `catch_up`.
    batch_size: ClassVar[int] = 500
    #: The same for a rebuild: nobody waits on its positions, so fewer, larger transactions.
    rebuild_batch_size: ClassVar[int] = 5000

    _class_handlers: ClassVar[dict[type, Handler]] = {}
    _topic_handlers: ClassVar[dict[str, Handler]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        class_handlers = dict(cls._class_handlers)
        topic_handlers = dict(cls._topic_handlers)
        for value in vars(cls).values():
            for key in getattr(value, _HANDLES, ()):
                if isinstance(key, str):
                    topic_handlers[key] = value
                elif isinstance(key, type):
                    class_handlers[key] = value
                else:
                    raise TypeError(f"@handles takes event classes or topics, not {key!r}")
        cls._class_handlers = class_handlers
        cls._topic_handlers = topic_handlers

    def __init__(self) -> None:
        name = getattr(self, "name", None)
        if not isinstance(name, str) or not NAME.match(name):
            raise ValueError(
                f"projection name {name!r} must match {NAME.pattern} "
                "(it becomes part of a schema name)"
            )
        for table in self.tables:
            if table.schema != SCHEMA:
                raise ValueError(f"{self.name}: table {table.name} must be in schema {SCHEMA}")
            if table is projection_tracking:
                raise ValueError(f"{self.name}: the tracking table belongs to the framework")
        self._dispatch: dict[str, Handler | None] = {}

    def __repr__(self) -> str:
        return f"<projection {self.name}>"

    # --- What the runner calls --------------------------------------------------------------

    def upstreams_in(self, applications: Mapping[str, Any]) -> tuple[str, ...]:
        """The upstream names this projection follows among `applications`."""
        if self.upstreams is None:
            return tuple(applications)
        missing = [name for name in self.upstreams if name not in applications]
        if missing:
            raise LookupError(
                f"projection {self.name} follows {', '.join(missing)}, which the composition "
                f"root does not provide (it has {', '.join(applications)})"
            )
        return tuple(self.upstreams)

    def wants(self, topic: str) -> bool:
        """Whether an event with this stored topic has a handler (else it is not decoded)."""
        return self._handler_for_topic(topic) is not None

    def apply_notifications(
        self,
        conn: Connection,
        upstream: str,
        application: Application[Any],
        notifications: Sequence[Notification],
    ) -> None:
        """Apply a batch of stored notifications of `application`, in order: by default decode
        the wanted ones and hand them to `apply_batch`. Override only to do both at once, as
        event_index does (it reads just the metadata and streams the rows into COPY)."""
        decode = application.mapper.to_domain_event
        wants = self.wants
        self.apply_batch(
            conn, upstream, [(n.id, decode(n)) for n in notifications if wants(n.topic)]
        )

    def apply_batch(
        self, conn: Connection, upstream: str, events: Sequence[tuple[int, Any]]
    ) -> None:
        """Apply (position, event) pairs in order. Override to write a batch in bulk."""
        for position, event in events:
            self.handle(conn, event, upstream, position)

    def handle(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        """Apply one event: its handler, or `fallback` when none is registered."""
        handler = self._handler_for_topic(get_topic(type(event)))
        if handler is None:
            self.fallback(conn, event, upstream, position)
        else:
            handler(self, conn, event, upstream, position)

    def fallback(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        """Events without a handler change no rows; the batch still records their position."""

    # --- Dispatch ---------------------------------------------------------------------------

    def _handler_for_topic(self, topic: str) -> Handler | None:
        try:
            return self._dispatch[topic]
        except KeyError:
            pass
        handler = self._topic_handlers.get(topic)
        if handler is None:
            event_class = resolve_topic(topic)
            handler = self._topic_handlers.get(get_topic(event_class))
            if handler is None:
                handler = _most_specific(self._class_handlers, event_class.__mro__)
        self._dispatch[topic] = handler
        return handler


def _most_specific(handlers: Mapping[type, Handler], mro: Iterable[type]) -> Handler | None:
    for cls in mro:
        if cls in handlers:
            return handlers[cls]
    return None


def copy_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    binary: bool = False,
) -> None:
    """Append `rows` (values in `columns` order) to `table` with COPY, in the transaction of
    `conn`, honouring its schema_translate_map (a rebuild's schema).

    For new rows only (no ON CONFLICT). Several times faster than an INSERT of the same rows:
    psycopg runs an executemany as one statement per row. `rows` may be a generator: the server
    takes in rows while the next are made.

    `binary` is faster still (to send and to parse) but strict: every value must be of a Python
    type psycopg dumps to its column's type as declared (str for TEXT, int for BIGINT, UUID, an
    aware datetime for TIMESTAMPTZ...), where text COPY sends each value's text form for the
    server to read as the column's type.
    """
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    schema = table.schema
    translate = conn.get_execution_options().get("schema_translate_map") or {}
    schema = translate.get(schema, schema)
    quote = conn.dialect.identifier_preparer.quote
    name = quote(table.name) if schema is None else f"{quote(schema)}.{quote(table.name)}"
    statement = f"COPY {name} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    if binary:
        statement += " (FORMAT BINARY)"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        if binary:
            copy.set_types(_type_names(table, tuple(columns), conn.dialect))
        for row in rows:
            copy.write_row(row)


@lru_cache(maxsize=256)
def _type_names(table: Table, columns: tuple[str, ...], dialect: Dialect) -> tuple[str, ...]:
    """The SQL types of `columns`, as psycopg looks them up ("bigint", "uuid"...)."""
    return tuple(table.c[column].type.compile(dialect=dialect).lower() for column in columns)
