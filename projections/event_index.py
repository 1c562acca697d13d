"""`event_index`: one row per stored event of every upstream, metadata only (no payload).

Domain-agnostic: it backs the audit feed ("what happened to this aggregate, who did it, under
which request") and time travel by recorded time (the version of an aggregate as of a time is
the largest `originator_version` with `recorded_at` at or before it). Nothing in it is PHI:
ids, topics, times and the actor's id and role.

It is the largest read model (every event of every application), so it is written for speed:
its handler reads only the metadata out of each stored event (`metadata_only`), never the
domain event.
"""

from __future__ import annotations

from eventsourcing.domain import DomainEvent

from domain.base import event_type
from projections.base import Projection, handles
from projections.folding import Rows, values_maker
from projections.metadata import EventMetadata
from projections.tables import event_index

_new_entry = values_maker(event_index)


class EventIndex(Projection):
    name = "event_index"
    upstreams = None  # every application
    tables = (event_index,)

    @handles(DomainEvent, metadata_only=True)
    def indexed(self, rows: Rows, event: EventMetadata) -> None:
        rows[event_index].add_values(
            _new_entry(
                upstream=rows.upstream,
                position=rows.position,
                originator_id=event.originator_id,
                originator_version=event.originator_version,
                topic=event.topic,
                event_type=event_type(event.topic),
                recorded_at=event.timestamp,
                tenant_id=event.tenant_id,
                actor_id=event.actor_id,
                actor_role=event.actor_role,
                correlation_id=event.correlation_id,
                causation_id=event.causation_id,
            )
        )
