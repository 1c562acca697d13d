"""Many aggregates of one family loaded in one query: a batch job (an 837P of hundreds of claims,
their patients and orders) would otherwise spend a pool checkout and a round trip per aggregate.

The events are read and decoded as `Repository.get` does (the application's mapper: topics,
transcodings, upcasting; or a decoder that answers what the mapper answers, faster, such as
projections.decoding.EventDecoder, which the composition root hands in: this layer cannot import
it) and applied in version order; the caller's tenant scopes the answer as
`AriesApplication.load` does. No Aries application takes snapshots (none sets the library's
snapshotting options), so the events are the whole story.

The events are found one id at a time through the table's primary key (an `unnest` of the ids,
each joined LATERALly): `originator_id = ANY(%s)` left the plan to the table's statistics, and
on a table never analysed the planner read the whole log for every batch, a cost that grew
with the store. The query runs without JIT compilation (see `_stored_events`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Composed, Identifier

from application.eventstore import AriesApplication
from domain.base import AriesAggregate
from domain.context import SYSTEM_TENANT, current_context

A = TypeVar("A", bound=AriesAggregate)
# A stored event to its domain event, as the application's `mapper.to_domain_event` does.
Decode = Callable[[StoredEvent], Any]

# Ids per query: an array parameter of a few thousand UUIDs stays one index scan per id.
IDS_PER_QUERY = 2000


def load_many(
    app: AriesApplication, ids: Iterable[UUID], kind: type[A], decode: Decode | None = None
) -> dict[UUID, A]:
    """The aggregates of `kind` among `ids` that exist and belong to the caller's tenant, by id.
    An id missing from the answer is what `app.load` would call NotFound. `decode`: the
    application's mapper unless given."""
    decode = decode or app.mapper.to_domain_event
    wanted = list(dict.fromkeys(ids))
    events: dict[UUID, list[StoredEvent]] = {}
    for start in range(0, len(wanted), IDS_PER_QUERY):
        for stored in _stored_events(app, wanted[start : start + IDS_PER_QUERY]):
            events.setdefault(cast(UUID, stored.originator_id), []).append(stored)
    tenant = current_context().tenant_id
    loaded: dict[UUID, A] = {}
    for aggregate_id, stored_events in events.items():
        aggregate: Any = None
        for stored in stored_events:
            # What the library's `project_aggregate` does, less its isinstance check against a
            # runtime Protocol, which cost more than decoding the event.
            aggregate = decode(stored).mutate(aggregate)
        if not isinstance(aggregate, kind):
            continue
        if tenant != SYSTEM_TENANT and aggregate.tenant_id != tenant:
            continue
        loaded[aggregate_id] = aggregate
    return loaded


def _stored_events(app: AriesApplication, ids: list[UUID]) -> list[StoredEvent]:
    recorder = cast(PostgresApplicationRecorder, app.recorder)
    with recorder.datastore.transaction(commit=False) as cursor:
        # Without statistics the planner guesses thousands of events an id, a cost past
        # jit_above_cost: compiling the query took 100 ms of PostgreSQL's time, running it 1.
        cursor.execute("SET LOCAL jit = off")
        # Binary results: the states come as they are stored, not hex-encoded by the server
        # and decoded again here.
        cursor.execute(events_of(recorder), (ids,), binary=True)
        return [
            StoredEvent(
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            for row in cursor.fetchall()
        ]


def events_of(recorder: PostgresApplicationRecorder) -> Composed:
    """The stored events of the ids given as the one parameter (an array), each id's in
    version order."""
    table = Identifier(recorder.datastore.schema, recorder.events_table_name)
    return SQL(
        # The ORDER BY keeps the subquery from being flattened into a join the planner could
        # answer with a scan of the whole table: each id stays one lookup by primary key.
        "SELECT e.originator_id, e.originator_version, e.topic, e.state "
        "FROM unnest(%s::uuid[]) AS wanted(id) CROSS JOIN LATERAL ("
        "SELECT originator_id, originator_version, topic, state FROM {table} "
        "WHERE originator_id = wanted.id ORDER BY originator_version) AS e"
    ).format(table=table)
