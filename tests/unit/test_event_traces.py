"""The trace an event was created in (decision 020): stamped from the domain's trace source,
stored and loaded with the event, None when tracing is off and on events stored before the
field existed; a Dramatiq message carries an event's trace in its options."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from eventsourcing.persistence import StoredEvent

from domain.context import set_trace_source
from interfaces.telemetry import context_of, message_options
from interfaces.workers.actors import GENERATE_SUMMARY, message_for
from tests.unit.claim_builders import drafted
from tests.unit.replay import mapper, round_trip

TRACEPARENT = "00-" + "a" * 32 + "-" + "b" * 16 + "-01"


@pytest.fixture
def traced() -> Iterator[None]:
    set_trace_source(lambda: TRACEPARENT)
    try:
        yield
    finally:
        set_trace_source(lambda: None)


def test_an_event_keeps_the_trace_it_was_created_in_through_storage(traced):
    (event, *_) = drafted(order_id=uuid.uuid4()).collect_events()
    (loaded,) = round_trip([event])
    assert event.traceparent == loaded.traceparent == TRACEPARENT


def test_without_tracing_an_event_has_no_trace():
    (event, *_) = drafted(order_id=uuid.uuid4()).collect_events()
    assert event.traceparent is None


def test_an_event_stored_before_traces_existed_loads_with_none():
    (event, *_) = drafted(order_id=uuid.uuid4()).collect_events()
    stored = mapper().to_stored_event(event)
    state = json.loads(stored.state)
    del state["traceparent"]
    older = StoredEvent(stored.originator_id, stored.originator_version, stored.topic,
                        json.dumps(state).encode())
    assert mapper().to_domain_event(older).traceparent is None


def test_a_message_carries_the_events_trace_to_the_worker():
    message = message_for(GENERATE_SUMMARY, tenant_id="t", correlation_id=None, job_ids=[],
                          traceparent=TRACEPARENT)
    assert message.options["traceparent"] == TRACEPARENT
    assert context_of(message.options["traceparent"]) is not None


def test_without_a_trace_a_message_carries_none():
    assert message_options(None) == {}
    message = message_for(GENERATE_SUMMARY, tenant_id="t", correlation_id=None, job_ids=[])
    assert "traceparent" not in message.options
