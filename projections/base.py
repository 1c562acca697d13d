"""The `Projection` base: a name, the upstreams it follows, its tables, one handler per event
class, and the batch that runs them (`apply_notifications`).

See the package docstring (`projections/__init__.py`) for how to add one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar
from uuid import UUID
from weakref import WeakKeyDictionary

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic
from sqlalchemy import Column, Connection, Table

from projections.decoding import EventDecoder
from projections.folding import ReadColumn, Rows
from projections.metadata import MetadataDecoder
from projections.tables import SCHEMA, projection_tracking

Handler = Callable[[Any, Rows, Any], None]
H = TypeVar("H", bound=Handler)

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

_HANDLES = "__projection_handles__"


@dataclass(frozen=True)
class Handling:
    """What `@handles` says of one handler."""

    method: Handler
    reads: tuple[ReadColumn, ...]
    metadata_only: bool


def handles(
    *event_classes: type,
    reads: Column[Any] | Sequence[Column[Any]] = (),
    metadata_only: bool = False,
) -> Callable[[H], H]:
    """Mark a method `(self, rows, event)` as the handler of events of these classes.

    A class matches its subclasses too; the most specific class handled wins.
    `reads`: the columns that hold the event's aggregate id in the tables whose stored rows the
    handler reads, changes or deletes; the batch loads those rows before the first handler runs.
    `metadata_only`: the handler gets an `EventMetadata` (ids, version, topic, timestamp,
    context) read straight from the stored event, not the decoded event.
    """
    if not event_classes or not all(isinstance(cls, type) for cls in event_classes):
        raise TypeError("@handles takes one or more event classes")
    columns = (reads,) if isinstance(reads, Column) else tuple(reads)

    def mark(method: H) -> H:
        if hasattr(method, _HANDLES):
            raise TypeError(f"{method.__name__}: one @handles per handler")
        read = tuple((column.table, column.name) for column in columns)
        setattr(method, _HANDLES, (event_classes, Handling(method, read, metadata_only)))
        return method

    return mark


class Projection:
    """A read model built from the events of one or more upstream applications.

    Subclasses set `name`, `upstreams` and `tables`, and mark methods with `@handles(...)`.
    Handlers change rows in memory through the `Rows` they are given; the batch loads and
    writes them (see `projections/folding.py`).
    """

    #: Unique, stable name: the tracking key and part of the lock key and rebuild schema name.
    name: ClassVar[str]
    #: Upstream application names it follows (keys of `aries.applications`); None: all of them.
    upstreams: ClassVar[tuple[str, ...] | None] = None
    #: The tables it owns (in projections/<name>_tables.py, created by a migration).
    tables: ClassVar[tuple[Table, ...]] = ()
    #: Events applied per transaction, at most, by the live projector and `catch_up`.
    batch_size: ClassVar[int] = 500
    #: The same for a rebuild: nobody waits on its positions, so fewer, larger transactions.
    rebuild_batch_size: ClassVar[int] = 5000

    _handlers: ClassVar[dict[type, Handling]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own: dict[type, Handling] = {}
        for value in vars(cls).values():
            event_classes, handling = getattr(value, _HANDLES, ((), None))
            for event_class in event_classes:
                if event_class in own:
                    raise TypeError(f"{cls.__name__}: two handlers of {event_class.__qualname__}")
                own[event_class] = handling
        cls._handlers = {**cls._handlers, **own}

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
        self._read_columns = {read for h in self._handlers.values() for read in h.reads}
        for table, _ in self._read_columns:
            if table not in self.tables:
                raise ValueError(f"{self.name}: a handler reads {table.name}, not one of its own")
            if not table.primary_key:
                raise ValueError(f"{self.name}: {table.name} has no key: it can only be added to")
        self._dispatch: dict[str, Handling | None] = {}  # by stored topic
        # Per upstream application (weakly: tests make many), its decoder and what it caches.
        self._decoders: WeakKeyDictionary[Application[Any], EventDecoder] = WeakKeyDictionary()
        self._metadata: WeakKeyDictionary[Application[Any], MetadataDecoder] = WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"<projection {self.name}>"

    @property
    def read_columns(self) -> frozenset[ReadColumn]:
        """The columns its handlers read rows by (`@handles(..., reads=...)`)."""
        return frozenset(self._read_columns)

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

    # --- The batch --------------------------------------------------------------------------

    def apply_notifications(
        self,
        conn: Connection,
        upstream: str,
        application: Application[Any],
        notifications: Sequence[Notification],
    ) -> int:
        """Apply a batch of stored notifications of `application`, in order, on `conn` (in the
        transaction that moves the tracking position): load the rows the handlers read, decode
        and hand each event to its handler, write the rows that changed. An event of a class no
        handler takes is not even decoded; the batch still moves past it. Answers how many
        events a handler took."""
        # Two lists rather than one of pairs: a batch's thousands of pairs would outlive enough
        # collections to be promoted, and make the garbage collector's full passes come sooner.
        handled: list[Notification] = []
        handlings: list[Handling] = []
        for notification in notifications:
            handling = self._handling(notification.topic)
            if handling is not None:
                handled.append(notification)
                handlings.append(handling)
        if not handled:
            return 0
        created, wanted = self._stored(notifications, handled, handlings)
        rows = Rows(self.tables, upstream, self._read_columns, created)
        rows.load(conn, wanted)
        decode = self._decoder(application)
        read_metadata = self._metadata_decoder(application)
        for notification, handling in zip(handled, handlings, strict=True):
            rows.position = notification.id
            event = read_metadata(notification) if handling.metadata_only else decode(notification)
            handling.method(self, rows, event)
        rows.write(conn)
        return len(handled)

    def _decoder(self, application: Application[Any]) -> EventDecoder:
        decoder = self._decoders.get(application)
        if decoder is None or decoder.mapper is not application.mapper:
            decoder = self._decoders[application] = EventDecoder(application.mapper)
        return decoder

    def _metadata_decoder(self, application: Application[Any]) -> MetadataDecoder:
        """Kept, not made per batch: it learns each topic's layout once (a live batch is
        often one event)."""
        decoder = self._metadata.get(application)
        if decoder is None or decoder.mapper is not application.mapper:
            decoder = self._metadata[application] = MetadataDecoder(application.mapper)
        return decoder

    def _stored(
        self,
        notifications: Sequence[Notification],
        handled: Sequence[Notification],
        handlings: Sequence[Handling],
    ) -> tuple[set[UUID], dict[ReadColumn, set[UUID]]]:
        """The aggregates the batch creates (nothing of them is stored yet), and per column the
        other aggregates whose stored rows the handlers read."""
        created: set[UUID] = set()
        wanted: dict[ReadColumn, set[UUID]] = {}
        if self._read_columns:
            first = Aggregate.INITIAL_VERSION
            created = {n.originator_id for n in notifications if n.originator_version == first}
            for notification, handling in zip(handled, handlings, strict=True):
                if handling.reads and notification.originator_id not in created:
                    for read in handling.reads:
                        wanted.setdefault(read, set()).add(notification.originator_id)
        return created, wanted

    def _handling(self, topic: str) -> Handling | None:
        """The handler of events stored with this topic: that of the most specific class
        handled in the MRO of the class the topic names, if any."""
        try:
            return self._dispatch[topic]
        except KeyError:
            handlers = self._handlers
            mro = resolve_topic(topic).__mro__
            found = self._dispatch[topic] = next((handlers[c] for c in mro if c in handlers), None)
            return found
