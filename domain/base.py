"""What every Aries aggregate shares: event metadata from the bound context, the owning tenant,
and stable topics so that stored events survive classes being moved or renamed."""

from __future__ import annotations

from dataclasses import field
from functools import lru_cache
from typing import Any

from eventsourcing.domain import Aggregate, DomainEvent
from eventsourcing.utils import get_topic

from domain.context import current_context, current_traceparent


def _tenant() -> str:
    return current_context().tenant_id


def _actor() -> str | None:
    return current_context().actor_id


def _role() -> str | None:
    return current_context().actor_role


def _correlation() -> str | None:
    return current_context().correlation_id


def _causation() -> str | None:
    return current_context().causation_id


def _traceparent() -> str | None:
    return current_traceparent()


class AriesAggregate(Aggregate):
    """Base aggregate. Subclasses set `TOPIC` and call `pin_topics` after their body."""

    tenant_id: str

    class Event(Aggregate.Event):
        # Stamped from the bound EventContext when the event is created; restored as stored
        # on replay (init=False fields are part of the stored state, not of the constructor).
        tenant_id: str = field(default_factory=_tenant, init=False)
        actor_id: str | None = field(default_factory=_actor, init=False)
        actor_role: str | None = field(default_factory=_role, init=False)
        correlation_id: str | None = field(default_factory=_correlation, init=False)
        causation_id: str | None = field(default_factory=_causation, init=False)
        # W3C traceparent (trace id and span id) of the span the event was created in: the
        # projector and the workers continue that trace (decision 020). None when tracing is
        # off, and on events stored before it existed (the class attribute below).
        traceparent: str | None = field(default_factory=_traceparent, init=False)

    class Created(Event, Aggregate.Created):
        def apply(self, aggregate: Any) -> None:
            aggregate.tenant_id = self.tenant_id
            super().apply(aggregate)


# Events stored before `traceparent` existed have no such member: they read this instead.
AriesAggregate.Event.traceparent = None  # type: ignore[misc]


def pin_topics(aggregate_class: type[Aggregate], prefix: str) -> type[Aggregate]:
    """Give the aggregate and each of its event classes a stable topic `prefix[.Event]`.

    Stored events name their class by topic; the default (module:qualname) would break every
    stored event when a module is renamed. Each class gets its own TOPIC: subclasses must not
    inherit their parent's.
    """
    aggregate_class.TOPIC = prefix  # type: ignore[attr-defined]
    get_topic(aggregate_class)  # registers the topic, so stored events resolve in any process
    for name, value in vars(aggregate_class).items():
        if isinstance(value, type) and issubclass(value, DomainEvent):
            value.TOPIC = f"{prefix}.{name}"  # type: ignore[attr-defined]
            get_topic(value)
    return aggregate_class


@lru_cache(maxsize=1024)
def event_type(topic: str) -> str:
    """The last part of a topic: `aries.patient.Registered` and `pkg.mod:Patient.Registered`
    both give `Registered`."""
    return topic.rpartition(":")[2].rpartition(".")[2]
