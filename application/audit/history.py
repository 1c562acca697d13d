"""History and time travel: every event of an aggregate, and the aggregate as of a version or a
recorded time. (The feed of every family's events is a read-model query:
`projections/event_index_queries.py`.)

Tenancy: every function answers only what the bound EventContext's tenant owns (the system
tenant sees all); another tenant's aggregate is NotFound, like a missing one.

Time travel by recorded time: the library knows versions only; the recorded time is inside
each event. The event index (a projection, reached through the `RecordedTimes` port) maps times
to versions. It may lag: the events of the aggregate after the index's position are read from
the events table and their own timestamps used, so an answer never depends on how far the
projector has got.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from sqlalchemy import Engine, select

from application.audit.ports import RecordedTimes
from application.audit.render import aggregate_state, event_payload
from application.audit.tables import chained_events, events_table
from application.eventstore import AriesApplication
from domain.base import AriesAggregate, event_type
from domain.context import SYSTEM_TENANT, current_context
from domain.errors import NotFound


def upstream_of(app: AriesApplication) -> str:
    """The application's log name (`patients`), as projections name it."""
    return app.events_table.removesuffix("_events")


@dataclass(frozen=True)
class HistoryEntry:
    position: int
    version: int
    recorded_at: datetime
    type: str
    topic: str
    tenant_id: str | None
    actor_id: str | None
    actor_role: str | None
    correlation_id: str | None
    causation_id: str | None
    payload: dict[str, Any]
    chain_seq: int | None
    chain_hash: str | None


def _visible(tenant_id: str | None) -> bool:
    tenant = current_context().tenant_id
    return tenant == SYSTEM_TENANT or tenant_id == tenant


def _decode(app: AriesApplication, row: Any) -> Any:
    return app.mapper.to_domain_event(
        StoredEvent(
            originator_id=row.originator_id,
            originator_version=row.originator_version,
            topic=row.topic,
            state=bytes(row.state),
        )
    )


def aggregate_history(
    engine: Engine, app: AriesApplication, aggregate_id: UUID
) -> list[HistoryEntry]:
    """Every stored event of the aggregate, oldest first, decoded, with its chain entry."""
    events = events_table(app.events_table)
    query = (
        chained_events(app.events_table, chained_only=False)
        .where(events.c.originator_id == aggregate_id)
        .order_by(events.c.originator_version)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    entries = []
    for row in rows:
        event = _decode(app, row)
        entries.append(
            HistoryEntry(
                position=row.notification_id,
                version=row.originator_version,
                recorded_at=event.timestamp,
                type=event_type(row.topic),
                topic=row.topic,
                tenant_id=getattr(event, "tenant_id", None),
                actor_id=getattr(event, "actor_id", None),
                actor_role=getattr(event, "actor_role", None),
                correlation_id=getattr(event, "correlation_id", None),
                causation_id=getattr(event, "causation_id", None),
                payload=event_payload(event),
                chain_seq=row.seq,
                chain_hash=None if row.hash is None else bytes(row.hash).hex(),
            )
        )
    if not entries or not _visible(entries[0].tenant_id):
        raise NotFound(app.aggregate_kind, aggregate_id)
    return entries


@dataclass(frozen=True)
class AggregateAsOf:
    version: int
    state: dict[str, Any]
    aggregate: AriesAggregate


def state_at(
    engine: Engine,
    times: RecordedTimes,
    app: AriesApplication,
    aggregate_id: UUID,
    *,
    version: int | None = None,
    at: datetime | None = None,
) -> AggregateAsOf:
    """The aggregate as it was at `version`, or after the last event recorded at or before
    `at` (exactly one of them). NotFound if it did not exist then, or is not the tenant's."""
    if (version is None) == (at is None):
        raise ValueError("give exactly one of version and at")
    if at is not None:
        version = version_at(engine, times, app, aggregate_id, at)
        if version is None:
            raise NotFound(app.aggregate_kind, aggregate_id)
    assert version is not None
    aggregate = app.load(aggregate_id, AriesAggregate, version=version)
    if aggregate.version != version:  # asked beyond the current version
        raise NotFound(app.aggregate_kind, aggregate_id)
    return AggregateAsOf(version, aggregate_state(aggregate), aggregate)


def version_at(
    engine: Engine, times: RecordedTimes, app: AriesApplication, aggregate_id: UUID, at: datetime
) -> int | None:
    """The aggregate's version as of recorded time `at` (None: it did not exist yet)."""
    indexed = times.version_at(upstream_of(app), aggregate_id, at)
    events = events_table(app.events_table)
    with engine.connect() as conn:
        newer = conn.execute(
            select(
                events.c.originator_id, events.c.originator_version, events.c.topic, events.c.state
            ).where(
                events.c.originator_id == aggregate_id,
                events.c.notification_id > indexed.position,
            )
        ).all()
    found = [indexed.version] if indexed.version is not None else []
    found += [r.originator_version for r in newer if _decode(app, r).timestamp <= at]
    return max(found, default=None)
