"""`event_index`: one row per stored event of every upstream, metadata only (no payload).

Domain-agnostic: it backs the audit feed ("what happened to this aggregate, who did it, under
which request") and time travel by recorded time (the version of an aggregate as of a time is
the largest `originator_version` with `recorded_at` at or before it). Nothing in it is PHI:
ids, topics, times and the actor's id and role.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.domain import DomainEvent
from eventsourcing.utils import get_topic
from sqlalchemy import Connection, insert

from projections.base import Projection, handles
from projections.tables import event_index


def event_type(topic: str) -> str:
    """The last part of a topic: `aries.patient.Registered` and `pkg.mod:Patient.Registered`
    both give `Registered`."""
    return topic.rpartition(":")[2].rpartition(".")[2]


def index_row(event: Any, upstream: str, position: int) -> dict[str, Any]:
    topic = get_topic(type(event))
    return {
        "upstream": upstream,
        "position": position,
        "originator_id": event.originator_id,
        "originator_version": event.originator_version,
        "topic": topic,
        "event_type": event_type(topic),
        "recorded_at": event.timestamp,
        "tenant_id": getattr(event, "tenant_id", None),
        "actor_id": getattr(event, "actor_id", None),
        "actor_role": getattr(event, "actor_role", None),
        "correlation_id": getattr(event, "correlation_id", None),
        "causation_id": getattr(event, "causation_id", None),
    }


class EventIndex(Projection):
    name = "event_index"
    upstreams = None  # every application
    tables = (event_index,)

    @handles(DomainEvent)
    def indexed(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        conn.execute(insert(event_index), [index_row(event, upstream, position)])

    def apply_batch(
        self, conn: Connection, upstream: str, events: Sequence[tuple[int, Any]]
    ) -> None:
        # Every event has the same handler: one multi-row INSERT instead of one per event.
        if events:
            rows = [index_row(event, upstream, position) for position, event in events]
            conn.execute(insert(event_index), rows)
