"""Time travel: the aggregate at version N, or at recorded time T, equals a replay of its
stored events cut at N or T, whatever the history and however far the event index has got."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.audit.history import aggregate_history, state_at, version_at
from application.audit.render import aggregate_state
from domain.context import bound_context
from domain.errors import NotFound
from domain.patient import Patient
from projections.runner import catch_up
from tests.integration.scenarios import demographics

pytestmark = pytest.mark.integration

TENANT = "t-time-travel"
US = timedelta(microseconds=1)

# One save: 1-3 changes of one patient (a save of several changes shares its moment).
change = st.one_of(
    st.tuples(st.just("correct"), st.sampled_from(["Rivera", "Lopez", "Okafor", "Tanaka"])),
    st.tuples(st.just("note"), st.text(alphabet="abcdefgh ", min_size=1, max_size=20)),
)
history = st.lists(st.lists(change, min_size=1, max_size=3), min_size=0, max_size=6)


def _apply(patient: Patient, kind: str, value: str, when) -> None:
    if kind == "correct":
        patient.correct_demographics(demographics(value), as_of=when.date())
    else:
        patient.add_note(
            note_id=uuid.uuid4(), author_id="clinician-1", written_at=when, subjective=value + "."
        )


def _record(aries, saves) -> uuid.UUID:
    app = aries.patients
    patient_id = app.register_patient(demographics()).id
    for save in saves:
        patient = app.get_patient(patient_id)
        for kind, value in save:
            _apply(patient, kind, value, app.clock.now())
        app.commit(patient)
    return patient_id


def _state_at(aries, patient_id: uuid.UUID, **cut):
    return state_at(aries.read_engine, aries.recorded_times, aries.patients, patient_id, **cut)


def _replay(events) -> dict:
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate_state(aggregate)


@settings(max_examples=12)
@given(saves=history)
def test_state_at_a_version_or_a_time_equals_a_replay_cut_there(aries, saves):
    with bound_context(tenant_id=TENANT):
        patient_id = _record(aries, saves)
        catch_up(aries, "event_index")
        events = list(aries.patients.events.get(patient_id))

        for n in range(1, len(events) + 1):
            found = _state_at(aries, patient_id, version=n)
            assert found.state == _replay(events[:n])

        for moment in sorted({e.timestamp for e in events}):
            for at in (moment, moment - US):
                cut = [e for e in events if e.timestamp <= at]
                if not cut:
                    with pytest.raises(NotFound):
                        _state_at(aries, patient_id, at=at)
                    continue
                found = _state_at(aries, patient_id, at=at)
                assert found.state == _replay(cut)


def test_time_travel_does_not_wait_for_the_event_index(aries):
    with bound_context(tenant_id=TENANT):
        patient_id = _record(aries, [[("correct", "Lopez")]])
        catch_up(aries, "event_index")
        patient = aries.patients.get_patient(patient_id)
        _apply(patient, "correct", "Okafor", aries.patients.clock.now())
        aries.patients.commit(patient)  # not indexed yet
        events = list(aries.patients.events.get(patient_id))

        at = events[-1].timestamp
        times = aries.recorded_times
        assert version_at(aries.read_engine, times, aries.patients, patient_id, at) == 3
        found = _state_at(aries, patient_id, at=at)
        assert found.state == _replay(events)


def test_a_version_beyond_the_current_one_is_not_found(aries):
    with bound_context(tenant_id=TENANT):
        patient_id = _record(aries, [])
        with pytest.raises(NotFound):
            _state_at(aries, patient_id, version=2)


def test_another_tenants_history_and_past_state_are_not_found(aries):
    with bound_context(tenant_id=TENANT):
        patient_id = _record(aries, [[("correct", "Lopez")]])
    with bound_context(tenant_id="t-someone-else"):
        with pytest.raises(NotFound):
            aggregate_history(aries.read_engine, aries.patients, patient_id)
        with pytest.raises(NotFound):
            _state_at(aries, patient_id, version=1)


def test_history_lists_every_event_with_its_metadata_and_chain_entry(aries):
    with bound_context(tenant_id=TENANT, actor_id="user-7", actor_role="intake",
                       correlation_id="req-12345678"):
        patient_id = _record(aries, [[("correct", "Lopez"), ("note", "sleeps well")]])
        entries = aggregate_history(aries.read_engine, aries.patients, patient_id)

    assert [e.version for e in entries] == [1, 2, 3]
    assert [e.type for e in entries] == ["Registered", "DemographicsCorrected", "NoteAdded"]
    assert all(e.actor_id == "user-7" and e.correlation_id == "req-12345678" for e in entries)
    assert entries[1].payload["demographics"]["last_name"] == "Lopez"
    assert [e.chain_seq is not None for e in entries] == [True, True, True]
    assert entries[0].position < entries[1].position < entries[2].position
