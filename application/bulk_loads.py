"""Many aggregates of one family loaded in one query: a batch job (an 837P of hundreds of claims,
their patients and orders) would otherwise spend a pool checkout and a round trip per aggregate.

The events are read and decoded as `Repository.get` does (the application's mapper: topics,
transcodings, upcasting) and applied in version order; the caller's tenant scopes the answer as
`AriesApplication.load` does. No Aries application takes snapshots (none sets the library's
snapshotting options), so the events are the whole story.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

from application.eventstore import AriesApplication
from domain.base import AriesAggregate
from domain.context import SYSTEM_TENANT, current_context

A = TypeVar("A", bound=AriesAggregate)

# Ids per query: an array parameter of a few thousand UUIDs stays one index scan per id.
IDS_PER_QUERY = 2000


def load_many(app: AriesApplication, ids: Iterable[UUID], kind: type[A]) -> dict[UUID, A]:
    """The aggregates of `kind` among `ids` that exist and belong to the caller's tenant, by id.
    An id missing from the answer is what `app.load` would call NotFound."""
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
            aggregate = app.mapper.to_domain_event(stored).mutate(aggregate)  # type: ignore[attr-defined]
        if not isinstance(aggregate, kind):
            continue
        if tenant != SYSTEM_TENANT and aggregate.tenant_id != tenant:
            continue
        loaded[aggregate_id] = aggregate
    return loaded


def _stored_events(app: AriesApplication, ids: list[UUID]) -> list[StoredEvent]:
    recorder = cast(PostgresApplicationRecorder, app.recorder)
    table = Identifier(recorder.datastore.schema, recorder.events_table_name)
    statement = SQL(
        "SELECT originator_id, originator_version, topic, state FROM {table} "
        "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
    ).format(table=table)
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(statement, (ids,))
        return [
            StoredEvent(
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            for row in cursor.fetchall()
        ]
