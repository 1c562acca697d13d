"""Reads of the event index (`projections/event_index.py`): the auditors' feed of every
family's events, and the recorded times the audit use cases ask for (`IndexedTimes`, their
`application.audit.ports.RecordedTimes`)."""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import Engine, func, select

from application.audit.ports import IndexedVersion
from domain.context import SYSTEM_TENANT, current_context
from projections.event_index import EventIndex
from projections.tables import event_index, projection_tracking


class IndexedTimes:
    """`RecordedTimes` read from the event index."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def version_at(self, upstream: str, aggregate_id: UUID, at: datetime) -> IndexedVersion:
        with self.engine.connect() as conn:
            # The position before the rows: every row up to it was committed with it, so none
            # of them can be missing from the second read.
            tracked = conn.execute(
                select(projection_tracking.c.position).where(
                    projection_tracking.c.projection == EventIndex.name,
                    projection_tracking.c.upstream == upstream,
                )
            ).scalar() or 0
            version = conn.execute(
                select(func.max(event_index.c.originator_version)).where(
                    event_index.c.upstream == upstream,
                    event_index.c.originator_id == aggregate_id,
                    event_index.c.recorded_at <= at,
                    event_index.c.position <= tracked,
                )
            ).scalar()
        return IndexedVersion(version, tracked)

    def positions(
        self, upstream: str, start: datetime | None, end: datetime | None
    ) -> list[int]:
        query = select(event_index.c.position).where(event_index.c.upstream == upstream)
        if start is not None:
            query = query.where(event_index.c.recorded_at >= start)
        if end is not None:
            query = query.where(event_index.c.recorded_at < end)
        with self.engine.connect() as conn:
            return list(conn.execute(query.order_by(event_index.c.position)).scalars())

    def tenant_head(self, upstream: str, tenant_id: str) -> tuple[int, int | None]:
        with self.engine.connect() as conn:
            count, last = conn.execute(
                select(func.count(), func.max(event_index.c.position)).where(
                    event_index.c.upstream == upstream, event_index.c.tenant_id == tenant_id
                )
            ).one()
        return int(count), last


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
