"""The library's Protocol checks asked once per class (application/protocol_checks.py): the same
events collected and the same aggregates projected as the library's own code, and an import
that fails if the library's mirrored code changes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from eventsourcing.application import ProcessingEvent, project_aggregate
from eventsourcing.domain import CanMutateProtocol, CollectEventsProtocol, DomainEventProtocol

from application import protocol_checks
from application.protocol_checks import (
    ProcessingEventCheckedOnce,
    conforms,
    project_checked_once,
)
from domain.patient import Patient
from tests.unit import claim_builders as b
from tests.unit import order_builders as o
from tests.unit.test_patient import TODAY, add_coverage, demographics

PROTOCOLS = (CanMutateProtocol, DomainEventProtocol, CollectEventsProtocol)


def _aggregates() -> list[Any]:
    """Aggregates whose every event is pending, of three families, at several points of their
    lives."""
    patient = Patient.register(
        account_number="ACC-1", demographics=demographics(), as_of=TODAY, mbi=None
    )
    add_coverage(patient)
    return [b.drafted(), b.submitted(), b.paid(), b.denied(), o.delivered("E0260"), patient]


def _collected(processing_event: ProcessingEvent, objs: list[Any]) -> tuple[list, dict, dict]:
    processing_event.collect_events(*objs, tag="x")
    return (
        [(type(e), vars(e)) for e in processing_event.events],
        {key: vars(value) for key, value in processing_event.aggregates.items()},
        processing_event.saved_kwargs,
    )


def test_collecting_checked_once_gives_what_the_library_collects():
    aggregates = _aggregates()
    loose_event = b.drafted().collect_events()[0]  # an event saved on its own
    objs = [*aggregates, None, loose_event]

    library = _collected(ProcessingEvent(), copy.deepcopy(objs))
    ours = _collected(ProcessingEventCheckedOnce(), objs)

    assert ours == library
    assert ours[0]  # something was collected


def test_projecting_checked_once_gives_what_the_library_projects():
    for aggregate in _aggregates():
        events = aggregate.collect_events()
        library = project_aggregate(None, copy.deepcopy(events))
        ours = project_checked_once(None, events)
        assert type(ours) is type(library) is type(aggregate)
        assert vars(ours) == vars(library) == vars(aggregate)


def test_each_answer_is_the_librarys():
    for aggregate in _aggregates():
        for obj in (aggregate, *aggregate.collect_events()):
            for protocol in PROTOCOLS:
                assert conforms(obj, protocol) is isinstance(obj, protocol)


def test_an_object_that_is_no_event_is_refused_as_the_library_refuses_it():
    with pytest.raises(AssertionError):
        project_checked_once(None, [object()])
    with pytest.raises(AssertionError):
        project_aggregate(None, [object()])


def test_a_change_to_the_mirrored_library_code_fails_the_import(monkeypatch):
    function, _ = protocol_checks.MIRRORED["Application.save"]
    monkeypatch.setitem(protocol_checks.MIRRORED, "Application.save", (function, "0" * 64))
    with pytest.raises(ImportError, match="Application.save"):
        protocol_checks._check_mirrored()  # noqa: SLF001


def test_the_mirrored_library_code_is_the_code_the_digests_name():
    for name, (function, digest) in protocol_checks.MIRRORED.items():
        assert protocol_checks.source_digest(function) == digest, name
