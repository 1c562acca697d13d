"""The projections' decoder (projections/decoding.py) answers exactly what the library's mapper
answers for stored events: the same class, equal values of the same types, the same upcasting,
the same failures. (test_event_round_trip checks it for every event type the state machines
reach; this file for the stored shapes they never write.)"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import event
from eventsourcing.persistence import MapperDeserialisationError, Notification

from bench.eventstore import DEMOGRAPHICS
from domain.base import AriesAggregate, pin_topics
from domain.context import bound_context
from domain.patient import Patient
from projections.decoding import EventDecoder

pytestmark = pytest.mark.integration


class Gizmo(AriesAggregate):
    """Test-only aggregate whose creation event was upcast: version 1 named the label `name`."""

    class Made(AriesAggregate.Created):
        class_version = 2
        label: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> dict[str, Any]:
            state["label"] = state.pop("name")
            return state

    @event(Made)
    def __init__(self, label: str) -> None:
        self.label = label


pin_topics(Gizmo, "test.decoding.Gizmo")


def _restated(notification: Notification, state: Any, **dumps: Any) -> Notification:
    return Notification(**{**vars(notification), "state": json.dumps(state, **dumps).encode()})


def _same(decoded: Any, mapped: Any) -> None:
    assert type(decoded) is type(mapped)
    assert vars(decoded) == vars(mapped)
    # Equal is not enough: 1 == 1.0 == Decimal(1), and a list is not the tuple the mapper makes.
    for name, value in vars(mapped).items():
        assert type(vars(decoded)[name]) is type(value), name


def test_the_decoder_answers_what_the_mapper_answers(aries):
    patients = aries.applications["patients"]
    demographics = dataclasses.replace(DEMOGRAPHICS, phone="6145550100")
    with bound_context(tenant_id="t-1", actor_id="u-7"):
        patient = Patient.register(
            account_number="A0000001", demographics=demographics, as_of=date(2026, 1, 5)
        )
        patient.correct_demographics(demographics, as_of=date(2026, 1, 6))
        patients.save(patient)
        gizmo = patients.mapper.to_stored_event(Gizmo(label="g").collect_events()[0])
    stored = list(patients.recorder.select_notifications(1, 100))
    registered = stored[0]
    state = json.loads(registered.state)
    without_phone = json.loads(registered.state)  # recorded before the field had a default
    del without_phone["demographics"]["_data_"]["phone"]
    old = json.loads(gizmo.state)
    del old["class_version"]
    old["name"] = old.pop("label")
    variants = [
        *stored,
        _restated(registered, state, indent=2),  # not compact
        _restated(registered, without_phone),
        Notification(id=1, **{**vars(gizmo), "state": json.dumps(old).encode()}),  # version 1
        Notification(id=2, **vars(gizmo)),
        # A tagged object nested in a plain one, and a dict with a third key left as it is.
        _restated(registered, {**state, "extra": {"a": [state["timestamp"]]}}),
        _restated(registered, {**state, "extra": {**state["timestamp"], "third": 1}}),
        # A value of another type than the field's annotation: the typed parser refuses it.
        _restated(registered, {**state, "tenant_id": {"_type_": "uuid_hex", "_data_": "0" * 32}}),
    ]
    mapper = patients.mapper
    decode = EventDecoder(mapper)
    for notification in variants:
        _same(decode(notification), mapper.to_domain_event(notification))
    assert decode(variants[-6]).demographics.phone is None
    assert decode(variants[-5]).label == "g"
    assert type(decode(variants[-1]).tenant_id) is UUID
    # The events as recorded went the typed way (projections/event_schemas.py), none fell back.
    assert all(typed is not None and typed.succeeded for typed in decode._typed.values())  # noqa: SLF001
    broken = [
        b"{not json",
        json.dumps({**state, "sex": {"_type_": "no-such-transcoding", "_data_": 1}}).encode(),
        json.dumps(
            {**state, "demographics": {"_type_": "patient.Demographics", "_data_": {"x": 1}}}
        ).encode(),
    ]
    for bad in broken:
        notification = Notification(**{**vars(registered), "state": bad})
        with pytest.raises(MapperDeserialisationError):
            mapper.to_domain_event(notification)
        with pytest.raises(MapperDeserialisationError):
            decode(notification)
