"""eventsourcing's runtime Protocol checks, asked once per class instead of once per object.

The library checks `isinstance(x, SomeProtocol)` against `typing.runtime_checkable` Protocols
on every load (each event against `CanMutateProtocol`, in `project_aggregate`) and every save
(each object against `DomainEventProtocol`, then `CollectEventsProtocol`, in
`ProcessingEvent.collect_events`). On Python 3.11 each check walks the Protocol's members:
12-24 us, more than decoding the event. The answer depends on the object's class only: the
members are methods, properties or dataclass fields that every instance of an Aries event or
aggregate has (tests/integration/test_event_round_trip.py checks both answers agree for every
event type and aggregate). So `conforms` asks the library once per class and remembers.

`project_checked_once` and `ProcessingEventCheckedOnce` are the library's code with that one
change. They mirror its source of eventsourcing 9.5.6: if an upgrade changes any function they
mirror, importing this module fails, so that someone reads the new version before it runs.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Iterable
from importlib.metadata import version
from typing import Any
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent, Repository, project_aggregate
from eventsourcing.domain import (
    CanMutateProtocol,
    CollectEventsProtocol,
    DomainEventProtocol,
    MutableOrImmutableAggregate,
)

# The library's answer, by (the object's class, the Protocol). Written without a lock: two
# threads asking at once both store the same answer.
_answers: dict[tuple[type, type], bool] = {}


def conforms(obj: object, protocol: type) -> bool:
    """`isinstance(obj, protocol)`, asked of the library once per class of `obj`."""
    key = (type(obj), protocol)
    try:
        return _answers[key]
    except KeyError:
        answer = _answers[key] = isinstance(obj, protocol)
        return answer


def project_checked_once(aggregate: Any, domain_events: Iterable[Any]) -> Any:
    """The library's `project_aggregate`, its check made by `conforms`."""
    for domain_event in domain_events:
        assert conforms(domain_event, CanMutateProtocol)
        aggregate = domain_event.mutate(aggregate)
    return aggregate


class ProcessingEventCheckedOnce(ProcessingEvent[UUID]):
    """The library's `ProcessingEvent`, its `collect_events` checks made by `conforms`."""

    def collect_events(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> None:
        for obj in objs:
            if obj is None:
                continue
            if conforms(obj, DomainEventProtocol):
                self.events.append(obj)  # type: ignore[arg-type]
            else:
                if conforms(obj, CollectEventsProtocol):
                    for event in obj.collect_events():  # type: ignore[union-attr]
                        self.events.append(event)
                self.aggregates[obj.id] = obj  # type: ignore[union-attr]

        self.saved_kwargs.update(kwargs)


# What this module mirrors (or, for `Repository.get`, relies on: its `projector_func`
# argument): sha256 of each one's source as eventsourcing 9.5.6 has it.
MIRRORED: dict[str, tuple[Callable[..., Any], str]] = {
    "project_aggregate": (
        project_aggregate,
        "e2d05062a4fad31fd02c4fc7e3800f3e046aee37afd8ce8d323bc22f114effab",
    ),
    "ProcessingEvent.collect_events": (
        ProcessingEvent.collect_events,
        "7e3a7e6b1abd2bef334f1ebe7015d887cf935916f87f3c7fbd75127907ab3488",
    ),
    "Application.save": (
        Application.save,
        "4e9747d14b8fd046df1b9b8ce688be89030978de0c04a632e6a7ec783dc7c5cc",
    ),
    "Repository.get": (
        Repository.get,
        "0ffc6e82b6afa0a04c77fcdefe8163216b201c014b22b85c9552ab3c285de1bb",
    ),
}


def source_digest(function: Callable[..., Any]) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def _check_mirrored() -> None:
    changed = [
        name for name, (function, digest) in MIRRORED.items() if source_digest(function) != digest
    ]
    if changed:
        raise ImportError(
            f"eventsourcing {version('eventsourcing')} changed {', '.join(changed)}: "
            "application/protocol_checks.py and AriesApplication mirror the 9.5.6 code; "
            "read the new code, update them, then their digests"
        )


_check_mirrored()
