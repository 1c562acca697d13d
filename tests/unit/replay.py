"""Rebuild an aggregate from its events through the real JSON transcoder and mapper, so that
every test that replays also proves its events survive storage (topics, transcodings,
upcasters)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from enum import Enum
from functools import cache
from typing import Any

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    UUIDAsHex,
)

from application.eventstore import register_domain_topics
from application.transcodings import DateAsISO, transcoding_for
from domain import registry


@cache
def mapper() -> Mapper:
    """The mapper the applications use (no cipher, no compressor)."""
    register_domain_topics()
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        transcoder.register(transcoding)
    for value_type in registry.VALUE_TYPES:
        transcoder.register(transcoding_for(value_type))
    return Mapper(transcoder=transcoder)


def round_trip(events: Iterable[Any]) -> list[Any]:
    """Each event stored and loaded again."""
    m = mapper()
    return [m.to_domain_event(m.to_stored_event(e)) for e in events]


def replay(events: Iterable[Any]) -> Any:
    """The aggregate the events make, after a trip through storage."""
    aggregate = None
    for e in round_trip(events):
        aggregate = e.mutate(aggregate)
    return aggregate


def event_classes(aggregate_class: type) -> list[type[DomainEvent]]:
    """The event classes an aggregate declares (including those made by `@event`)."""
    return [
        value
        for value in vars(aggregate_class).values()
        if isinstance(value, type) and issubclass(value, DomainEvent)
    ]


def leaves(value: Any) -> Iterator[Any]:
    """Every leaf value inside aggregate or event state, through dataclasses, lists, tuples and
    dicts (enum members are skipped)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from leaves(getattr(value, f.name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from leaves(item)
    elif not isinstance(value, Enum):
        yield value
