"""History and time travel: every event of an aggregate, the aggregate as of a version or a
recorded time, and the feed of every family's events.

Tenancy: every function answers only what the bound EventContext's tenant owns (the system
tenant sees all); another tenant's aggregate is NotFound, like a missing one.

Time travel by recorded time: the library knows versions only; the recorded time is inside
each event. `read.event_index` (a projection) maps times to versions. It may lag: the events
of the aggregate after the index's tracked position are read from the events table and their
own timestamps used, so an answer never depends on how far the projector has got.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from sqlalchemy import Engine, func, select

from application.audit.render import aggregate_state, event_payload
from application.audit.tables import event_chain, events_table
from application.eventstore import AriesApplication
from domain.base import AriesAggregate
from domain.context import SYSTEM_TENANT, current_context
from domain.errors import NotFound
from projections.event_index import event_type
from projections.tables import event_index, projection_tracking

EVENT_INDEX = "event_index"


def upstream_of(app: AriesApplication) -> str:
    """The application's log name (`patients`), as projections and the feed name it."""
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
        select(
            events.c.notification_id,
            events.c.originator_id,
            events.c.originator_version,
            events.c.topic,
            events.c.state,
            event_chain.c.seq,
            event_chain.c.hash,
        )
        .select_from(
            events.outerjoin(
                event_chain,
                (event_chain.c.chain == app.events_table)
                & (event_chain.c.position == events.c.notification_id),
            )
        )
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
        version = version_at(engine, app, aggregate_id, at)
        if version is None:
            raise NotFound(app.aggregate_kind, aggregate_id)
    assert version is not None
    aggregate = app.load(aggregate_id, AriesAggregate, version=version)
    if aggregate.version != version:  # asked beyond the current version
        raise NotFound(app.aggregate_kind, aggregate_id)
    return AggregateAsOf(version, aggregate_state(aggregate), aggregate)


def version_at(
    engine: Engine, app: AriesApplication, aggregate_id: UUID, at: datetime
) -> int | None:
    """The aggregate's version as of recorded time `at` (None: it did not exist yet)."""
    upstream = upstream_of(app)
    events = events_table(app.events_table)
    with engine.connect() as conn:
        tracked = conn.execute(
            select(projection_tracking.c.position).where(
                projection_tracking.c.projection == EVENT_INDEX,
                projection_tracking.c.upstream == upstream,
            )
        ).scalar() or 0
        indexed = conn.execute(
            select(func.max(event_index.c.originator_version)).where(
                event_index.c.upstream == upstream,
                event_index.c.originator_id == aggregate_id,
                event_index.c.recorded_at <= at,
                event_index.c.position <= tracked,
            )
        ).scalar()
        newer = conn.execute(
            select(
                events.c.originator_id, events.c.originator_version, events.c.topic, events.c.state
            ).where(events.c.originator_id == aggregate_id, events.c.notification_id > tracked)
        ).all()
    found = [indexed] if indexed is not None else []
    found += [r.originator_version for r in newer if _decode(app, r).timestamp <= at]
    return max(found, default=None)


# --- The feed ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedItem:
    upstream: str
    position: int
    aggregate_id: UUID
    version: int
    type: str
    topic: str
    recorded_at: datetime
    actor_id: str | None
    actor_role: str | None
    correlation_id: str | None
    causation_id: str | None


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    after: dict[str, int]  # per upstream: the last position this page (or an earlier one) gave


def feed(
    engine: Engine,
    upstreams: Sequence[str],
    after: Mapping[str, int],
    limit: int,
    *,
    type_: str | None = None,
    actor_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> FeedPage:
    """Events of every upstream after the positions in `after`, merged by recorded time.

    Positions are per upstream log, so the cursor is one position per upstream: each page takes
    a prefix of each upstream's remaining events, none is ever skipped or given twice, and an
    event indexed late still comes (after its own upstream's position). Tenant-scoped.
    """
    tenant = current_context().tenant_id
    lists: list[list[FeedItem]] = []
    with engine.connect() as conn:
        for upstream in upstreams:
            query = select(event_index).where(
                event_index.c.upstream == upstream,
                event_index.c.position > after.get(upstream, 0),
            )
            if tenant != SYSTEM_TENANT:
                query = query.where(event_index.c.tenant_id == tenant)
            if type_:
                query = query.where(event_index.c.event_type == type_)
            if actor_id:
                query = query.where(event_index.c.actor_id == actor_id)
            if start is not None:
                query = query.where(event_index.c.recorded_at >= start)
            if end is not None:
                query = query.where(event_index.c.recorded_at < end)
            rows = conn.execute(query.order_by(event_index.c.position).limit(limit)).all()
            lists.append(
                [
                    FeedItem(
                        upstream=r.upstream,
                        position=r.position,
                        aggregate_id=r.originator_id,
                        version=r.originator_version,
                        type=r.event_type,
                        topic=r.topic,
                        recorded_at=r.recorded_at,
                        actor_id=r.actor_id,
                        actor_role=r.actor_role,
                        correlation_id=r.correlation_id,
                        causation_id=r.causation_id,
                    )
                    for r in rows
                ]
            )
    merged = heapq.merge(*lists, key=lambda i: (i.recorded_at, i.upstream, i.position))
    items = [item for _, item in zip(range(limit), merged, strict=False)]
    positions = {u: after.get(u, 0) for u in upstreams}
    for item in items:
        positions[item.upstream] = max(positions[item.upstream], item.position)
    return FeedPage(items, positions)
