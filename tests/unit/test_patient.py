"""The Patient aggregate: one behaviour per test; rule tests are named after their rule."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta, timezone
from enum import Enum
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from domain.context import bound_context
from domain.errors import DomainError, InvalidValue, RuleViolated
from domain.patient import VALUE_TYPES, Patient
from domain.patient_rules import sha256_hex
from domain.patient_values import (
    Address,
    CoverageRank,
    Demographics,
    NoteRef,
    RelationshipToSubscriber,
    Sex,
)
from tests.unit.replay import mapper, replay

TODAY = date(2024, 5, 1)
MBI = "1EG4TE5MK73"
AT = datetime(2024, 5, 1, 14, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _topics_registered():
    mapper()  # registers the domain's pinned topics, as the applications do at start-up


def address(**changes) -> Address:
    base = Address("12 Elm St", None, "Springfield", "IL", "62701")
    return dataclasses.replace(base, **changes)


def demographics(**changes) -> Demographics:
    base = Demographics("Jane", "Doe", date(1950, 3, 4), Sex.FEMALE, address(), "217-555-0100")
    return dataclasses.replace(base, **changes)


def registered(mbi: str | None = MBI, **changes) -> Patient:
    patient = Patient.register(
        account_number="ACC-1", demographics=demographics(**changes), as_of=TODAY, mbi=mbi
    )
    patient.collect_events()
    return patient


def add_coverage(patient: Patient, **changes) -> UUID:
    args = {
        "coverage_id": uuid4(),
        "payer_id": "BCBS01",
        "payer_name": "Blue Cross",
        "member_id": "XYZ123",
        "group_number": "G1",
        "rank": CoverageRank.PRIMARY,
        "relationship_to_subscriber": RelationshipToSubscriber.SELF,
        "effective_from": date(2024, 1, 1),
        "effective_to": None,
    } | changes
    patient.add_coverage(**args)
    return args["coverage_id"]


def add_note(patient: Patient, written_at: datetime = AT, **sections) -> UUID:
    note_id = uuid4()
    patient.add_note(note_id, "rt-7", written_at, **(sections or {"subjective": "Dyspnea."}))
    return note_id


def amend(patient: Patient, note_id: UUID, written_at: datetime = AT) -> UUID:
    amendment_id = uuid4()
    patient.amend_note(note_id, amendment_id, "rt-7", written_at, "SpO2 was 88%.", "typo")
    return amendment_id


def record_summary(patient: Patient, notes_read, text: str = "Stable on 2 L O2.", **changes):
    summary_id = uuid4()
    args = {
        "summary_id": summary_id,
        "text": text,
        "provider": "anthropic",
        "model": "claude-sonnet-4-5-20250929",
        "prompt_template_version": "soap-summary@3",
        "notes_read": notes_read,
        "output_sha256": sha256_hex(text),
        "requested_by": "user-42",
        "generated_at": AT + timedelta(hours=1),
    } | changes
    patient.record_summary(**args)
    return summary_id


def refused(rule: str, command, *args, **kwargs) -> RuleViolated:
    with pytest.raises(RuleViolated) as raised:
        command(*args, **kwargs)
    assert raised.value.rule == rule, raised.value
    return raised.value


def assert_refused_without_events(patient: Patient, rule: str, command, *args, **kwargs):
    refused(rule, command, *args, **kwargs)
    assert patient.collect_events() == []


# --- registration --------------------------------------------------------------------------


def test_registering_records_normalised_demographics_and_mbi():
    patient = Patient.register(
        account_number=" ACC-1 ",
        demographics=demographics(
            first_name=" Jane ",
            address=address(state="il", postal_code="62701-1234", line2="  "),
            phone=" ",
        ),
        as_of=TODAY,
        mbi="1eg4-te5-mk73",
    )
    [registered_event] = patient.collect_events()
    assert isinstance(registered_event, Patient.Registered)
    assert patient.account_number == "ACC-1"
    assert patient.mbi == MBI
    assert patient.demographics.first_name == "Jane"
    assert patient.demographics.address == Address(
        "12 Elm St", None, "Springfield", "IL", "627011234"
    )
    assert patient.demographics.phone is None
    assert patient.is_active


def test_patient_may_register_without_mbi_for_commercial_only_coverage():
    assert registered(mbi=None).mbi is None


def test_patient_id_given_by_caller_is_the_aggregate_id():
    patient_id = uuid4()
    patient = Patient.register(
        account_number="ACC-1", demographics=demographics(), as_of=TODAY, patient_id=patient_id
    )
    assert patient.id == patient_id


def test_account_number_is_present():
    refused(
        "account_number_is_present",
        Patient.register,
        account_number="  ",
        demographics=demographics(),
        as_of=TODAY,
    )


@pytest.mark.parametrize("name", [{"first_name": ""}, {"last_name": "  "}])
def test_patient_name_is_present(name):
    refused(
        "patient_name_is_present",
        Patient.register,
        account_number="A",
        demographics=demographics(**name),
        as_of=TODAY,
    )


def test_date_of_birth_is_not_in_the_future_of_the_callers_as_of_date():
    refused(
        "date_of_birth_is_not_in_the_future",
        Patient.register,
        account_number="A",
        demographics=demographics(date_of_birth=TODAY + timedelta(days=1)),
        as_of=TODAY,
    )


def test_date_of_birth_on_the_as_of_date_is_accepted():
    assert registered(date_of_birth=TODAY).demographics.date_of_birth == TODAY


def test_date_of_birth_is_a_calendar_date_not_a_datetime():
    refused(
        "date_is_a_calendar_date",
        Patient.register,
        account_number="A",
        demographics=demographics(date_of_birth=datetime(1950, 1, 1, tzinfo=UTC)),
        as_of=TODAY,
    )


@pytest.mark.parametrize("state", ["", "XX", "Illinois", "I"])
def test_state_is_a_usps_code(state):
    refused(
        "state_is_a_usps_code",
        Patient.register,
        account_number="A",
        demographics=demographics(address=address(state=state)),
        as_of=TODAY,
    )


@pytest.mark.parametrize("postal_code", ["", "1234", "123456", "12345-678", "ABCDE", "12345 6789"])
def test_postal_code_is_5_or_9_digits(postal_code):
    refused(
        "postal_code_is_5_or_9_digits",
        Patient.register,
        account_number="A",
        demographics=demographics(address=address(postal_code=postal_code)),
        as_of=TODAY,
    )


@pytest.mark.parametrize("postal_code", ["62701", "627011234", "62701-1234"])
def test_postal_code_of_5_or_9_digits_is_stored_as_bare_digits(postal_code):
    stored = registered(address=address(postal_code=postal_code)).demographics.address
    assert stored.postal_code == postal_code.replace("-", "")


@pytest.mark.parametrize("change", [{"line1": " "}, {"city": ""}])
def test_address_is_complete(change):
    refused(
        "address_is_complete",
        Patient.register,
        account_number="A",
        demographics=demographics(address=address(**change)),
        as_of=TODAY,
    )


def test_registration_refuses_a_malformed_mbi_by_mbi_is_well_formed():
    refused(
        "mbi_is_well_formed",
        Patient.register,
        account_number="A",
        demographics=demographics(),
        as_of=TODAY,
        mbi="1EG4TE5MK7S",
    )


def test_events_carry_the_bound_tenant_and_actor_through_storage():
    with bound_context(tenant_id="acme-hme", actor_id="u-1", actor_role="intake"):
        patient = Patient.register(account_number="A", demographics=demographics(), as_of=TODAY)
    events = patient.collect_events()
    assert (events[0].tenant_id, events[0].actor_id) == ("acme-hme", "u-1")
    assert replay(events).tenant_id == "acme-hme"


# --- Registered v1 -> v2 ------------------------------------------------------------------


def test_registered_is_stored_as_class_version_2():
    patient = Patient.register(account_number="A", demographics=demographics(), as_of=TODAY)
    stored = mapper().to_stored_event(patient.collect_events()[0])
    assert json.loads(stored.state)["class_version"] == 2


def _stored_v1_registered(patient_id: UUID, name: str) -> StoredEvent:
    # Written by hand as version 1 was stored: a single "Last, First" name, no sex, flat fields.
    state = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2021-06-01T09:00:00+00:00"},
        "originator_topic": "aries.patient",
        "tenant_id": "acme-hme",
        "actor_id": "u-1",
        "actor_role": "intake",
        "correlation_id": None,
        "causation_id": None,
        "account_number": "ACC-OLD",
        "name": name,
        "date_of_birth": {"_type_": "date_iso", "_data_": "1944-02-29"},
        "address": {
            "_type_": "vo:patient.Address",
            "_data_": {
                "line1": "1 Oak Ave",
                "line2": "Apt 2",
                "city": "Peoria",
                "state": "IL",
                "postal_code": "61602",
            },
        },
        "phone": "309-555-0199",
        "mbi": MBI,
    }
    return StoredEvent(
        originator_id=patient_id,
        originator_version=1,
        topic="aries.patient.Registered",
        state=json.dumps(state).encode("utf-8"),
    )


def test_registered_v1_stored_event_upcasts_to_v2_demographics_with_unknown_sex():
    patient_id = uuid4()
    loaded = mapper().to_domain_event(_stored_v1_registered(patient_id, "Smith, John Q"))
    assert isinstance(loaded, Patient.Registered)
    assert loaded.demographics == Demographics(
        first_name="John Q",
        last_name="Smith",
        date_of_birth=date(1944, 2, 29),
        sex=Sex.UNKNOWN,
        address=Address("1 Oak Ave", "Apt 2", "Peoria", "IL", "61602"),
        phone="309-555-0199",
    )
    assert not hasattr(loaded, "name")
    patient = loaded.mutate(None)
    assert (patient.id, patient.account_number, patient.mbi) == (patient_id, "ACC-OLD", MBI)
    assert patient.tenant_id == "acme-hme"
    assert patient.demographics.sex is Sex.UNKNOWN


def test_registered_v1_name_without_comma_becomes_the_last_name():
    loaded = mapper().to_domain_event(_stored_v1_registered(uuid4(), "Cher"))
    assert (loaded.demographics.last_name, loaded.demographics.first_name) == ("Cher", "")


def test_upcast_v1_patient_accepts_later_events_recorded_in_v2():
    patient = mapper().to_domain_event(_stored_v1_registered(uuid4(), "Smith, John")).mutate(None)
    patient.correct_demographics(
        dataclasses.replace(patient.demographics, sex=Sex.MALE), as_of=TODAY
    )
    assert patient.demographics.sex is Sex.MALE


# --- demographics corrections --------------------------------------------------------------


def test_correcting_demographics_replaces_them_and_keeps_the_mbi_when_none_given():
    patient = registered()
    patient.correct_demographics(demographics(last_name="Doe-Smith"), as_of=TODAY)
    [corrected] = patient.collect_events()
    assert isinstance(corrected, Patient.DemographicsCorrected)
    assert patient.demographics.last_name == "Doe-Smith"
    assert patient.mbi == MBI


def test_correcting_demographics_may_give_a_new_mbi():
    patient = registered(mbi=None)
    patient.correct_demographics(demographics(), as_of=TODAY, mbi="9AA9AA9AA99")
    assert patient.mbi == "9AA9AA9AA99"


def test_correcting_demographics_checks_them_as_registration_does():
    patient = registered()
    assert_refused_without_events(
        patient,
        "date_of_birth_is_not_in_the_future",
        patient.correct_demographics,
        demographics(date_of_birth=TODAY + timedelta(days=1)),
        as_of=TODAY,
    )


def test_correcting_demographics_refuses_a_malformed_mbi():
    patient = registered()
    assert_refused_without_events(
        patient,
        "mbi_is_well_formed",
        patient.correct_demographics,
        demographics(),
        as_of=TODAY,
        mbi="BAD",
    )


def test_correcting_demographics_of_deactivated_patient_is_refused_by_patient_is_active():
    patient = registered()
    patient.deactivate("moved out of service area", TODAY)
    patient.collect_events()
    assert_refused_without_events(
        patient, "patient_is_active", patient.correct_demographics, demographics(), as_of=TODAY
    )


# --- coverages -----------------------------------------------------------------------------


def test_added_coverage_is_active_from_its_effective_date():
    patient = registered()
    coverage_id = add_coverage(patient, effective_from=date(2024, 3, 1))
    [added] = patient.collect_events()
    assert isinstance(added, Patient.CoverageAdded)
    assert patient.active_coverages(date(2024, 2, 29)) == []
    assert [c.coverage_id for c in patient.active_coverages(date(2024, 3, 1))] == [coverage_id]


def test_coverage_is_active_through_its_effective_to_date_inclusive():
    patient = registered()
    add_coverage(patient, effective_to=date(2024, 6, 30))
    assert patient.coverage_for_rank(CoverageRank.PRIMARY, date(2024, 6, 30)) is not None
    assert patient.coverage_for_rank(CoverageRank.PRIMARY, date(2024, 7, 1)) is None


def test_one_active_coverage_per_rank_refuses_an_overlapping_period_of_the_same_rank():
    patient = registered()
    add_coverage(patient, effective_from=date(2024, 1, 1), effective_to=date(2024, 6, 30))
    patient.collect_events()
    assert_refused_without_events(
        patient,
        "one_active_coverage_per_rank",
        add_coverage,
        patient,
        effective_from=date(2024, 6, 30),
        effective_to=date(2024, 12, 31),
    )


def test_one_active_coverage_per_rank_refuses_any_period_after_an_open_ended_one():
    patient = registered()
    add_coverage(patient, effective_from=date(2024, 1, 1))
    refused("one_active_coverage_per_rank", add_coverage, patient, effective_from=date(2030, 1, 1))


def test_one_active_coverage_per_rank_refuses_an_open_ended_period_before_an_existing_one():
    patient = registered()
    add_coverage(patient, effective_from=date(2024, 6, 1), effective_to=date(2024, 6, 30))
    refused("one_active_coverage_per_rank", add_coverage, patient, effective_from=date(2024, 1, 1))


def test_one_active_coverage_per_rank_allows_consecutive_periods():
    patient = registered()
    add_coverage(patient, effective_from=date(2024, 1, 1), effective_to=date(2024, 6, 30))
    add_coverage(patient, effective_from=date(2024, 7, 1))
    assert len(patient.coverages) == 2


def test_one_active_coverage_per_rank_allows_other_ranks_on_the_same_dates():
    patient = registered()
    add_coverage(patient, rank=CoverageRank.PRIMARY)
    add_coverage(patient, rank=CoverageRank.SECONDARY)
    add_coverage(patient, rank=CoverageRank.TERTIARY)
    assert len(patient.active_coverages(TODAY)) == 3


def test_one_active_coverage_per_rank_allows_a_new_coverage_after_a_termination():
    patient = registered()
    old = add_coverage(patient, effective_from=date(2024, 1, 1))
    patient.terminate_coverage(old, date(2024, 4, 30))
    new = add_coverage(patient, effective_from=date(2024, 5, 1))
    assert patient.coverage_for_rank(CoverageRank.PRIMARY, date(2024, 4, 30)).coverage_id == old
    assert patient.coverage_for_rank(CoverageRank.PRIMARY, date(2024, 5, 1)).coverage_id == new


def test_a_spouses_coverage_keeps_the_subscribers_demographics():
    patient = registered()
    spouse = demographics(first_name=" Luis ", sex=Sex.MALE, date_of_birth=date(1946, 7, 1))
    coverage_id = add_coverage(
        patient, relationship_to_subscriber=RelationshipToSubscriber.SPOUSE, subscriber=spouse
    )
    kept = patient.coverages[coverage_id].subscriber
    assert (kept.first_name, kept.sex, kept.date_of_birth) == ("Luis", Sex.MALE, date(1946, 7, 1))


@pytest.mark.parametrize(
    "relationship",
    [r for r in RelationshipToSubscriber if r is not RelationshipToSubscriber.SELF],
)
def test_coverage_names_its_subscriber_when_not_the_patient(relationship):
    patient = registered()
    assert_refused_without_events(
        patient, "coverage_names_its_subscriber_when_not_the_patient", add_coverage, patient,
        relationship_to_subscriber=relationship,
    )


def test_subscriber_details_only_when_not_the_patient():
    patient = registered()
    assert_refused_without_events(
        patient, "subscriber_details_only_when_not_the_patient", add_coverage, patient,
        subscriber=demographics(first_name="Luis"),
    )


def test_a_subscribers_demographics_are_checked_like_a_patients():
    patient = registered()
    with pytest.raises(InvalidValue) as raised:
        add_coverage(patient, relationship_to_subscriber=RelationshipToSubscriber.CHILD,
                     subscriber=demographics(date_of_birth=date(2030, 1, 1)), as_of=TODAY)
    assert raised.value.rule == "date_of_birth_is_not_in_the_future"
    assert patient.collect_events() == []


def test_a_coverage_stored_before_subscribers_were_kept_has_none():
    patient = Patient.register(account_number="A", demographics=demographics(), as_of=TODAY)
    add_coverage(patient)
    events = patient.collect_events()
    stripped = [e for e in events if isinstance(e, Patient.CoverageAdded)]
    for added in stripped:
        del added.__dict__["subscriber"]  # as stored before the attribute existed
    assert stripped
    (coverage,) = replay(events).coverages.values()
    assert coverage.subscriber is None


def test_medicare_coverage_requires_mbi():
    patient = registered(mbi=None)
    assert_refused_without_events(
        patient, "medicare_coverage_requires_mbi", add_coverage, patient, payer_id="MCR-JB"
    )


def test_medicare_coverage_requires_mbi_recognises_medicare_payer_ids_in_any_case():
    patient = registered(mbi=None)
    refused("medicare_coverage_requires_mbi", add_coverage, patient, payer_id="mcr17003")


def test_medicare_coverage_is_accepted_once_the_patient_has_an_mbi():
    patient = registered(mbi=None)
    patient.correct_demographics(demographics(), as_of=TODAY, mbi=MBI)
    coverage_id = add_coverage(patient, payer_id="MCR-JB", member_id=MBI)
    assert patient.coverages[coverage_id].is_medicare


def test_commercial_coverage_needs_no_mbi():
    patient = registered(mbi=None)
    coverage_id = add_coverage(patient, payer_id="AETNA1")
    assert not patient.coverages[coverage_id].is_medicare


def test_coverage_period_is_ordered():
    patient = registered()
    refused(
        "coverage_period_is_ordered",
        add_coverage,
        patient,
        effective_from=date(2024, 2, 1),
        effective_to=date(2024, 1, 31),
    )


def test_coverage_id_is_unique():
    patient = registered()
    coverage_id = add_coverage(patient, rank=CoverageRank.PRIMARY)
    refused(
        "coverage_id_is_unique",
        add_coverage,
        patient,
        coverage_id=coverage_id,
        rank=CoverageRank.SECONDARY,
    )


@pytest.mark.parametrize("blank", ["payer_id", "payer_name", "member_id"])
def test_coverage_identifiers_are_present(blank):
    patient = registered()
    refused("coverage_identifiers_are_present", add_coverage, patient, **{blank: " "})


def test_terminated_coverage_is_active_through_its_termination_date_only():
    patient = registered()
    coverage_id = add_coverage(patient)
    patient.terminate_coverage(coverage_id, date(2024, 3, 31))
    events = patient.collect_events()
    assert isinstance(events[-1], Patient.CoverageTerminated)
    assert patient.active_coverages(date(2024, 3, 31))
    assert patient.active_coverages(date(2024, 4, 1)) == []


def test_coverage_termination_not_before_effective_date():
    patient = registered()
    coverage_id = add_coverage(patient, effective_from=date(2024, 3, 1))
    patient.collect_events()
    assert_refused_without_events(
        patient,
        "coverage_termination_not_before_effective_date",
        patient.terminate_coverage,
        coverage_id,
        date(2024, 2, 29),
    )


def test_coverage_termination_on_its_effective_date_is_accepted():
    patient = registered()
    coverage_id = add_coverage(patient, effective_from=date(2024, 3, 1))
    patient.terminate_coverage(coverage_id, date(2024, 3, 1))
    assert patient.coverages[coverage_id].ends_on == date(2024, 3, 1)


def test_coverage_termination_not_after_effective_to():
    patient = registered()
    coverage_id = add_coverage(patient, effective_to=date(2024, 6, 30))
    refused(
        "coverage_termination_not_after_effective_to",
        patient.terminate_coverage,
        coverage_id,
        date(2024, 7, 1),
    )


def test_coverage_is_terminated_only_once():
    patient = registered()
    coverage_id = add_coverage(patient)
    patient.terminate_coverage(coverage_id, date(2024, 3, 31))
    patient.collect_events()
    assert_refused_without_events(
        patient,
        "coverage_is_terminated_only_once",
        patient.terminate_coverage,
        coverage_id,
        date(2024, 3, 15),
    )


def test_terminating_an_unknown_coverage_is_refused_by_coverage_exists():
    patient = registered()
    refused("coverage_exists", patient.terminate_coverage, uuid4(), TODAY)


def test_active_coverages_list_primary_first():
    patient = registered()
    add_coverage(patient, rank=CoverageRank.TERTIARY)
    add_coverage(patient, rank=CoverageRank.PRIMARY)
    add_coverage(patient, rank=CoverageRank.SECONDARY)
    ranks = [c.rank for c in patient.active_coverages(TODAY)]
    assert ranks == [CoverageRank.PRIMARY, CoverageRank.SECONDARY, CoverageRank.TERTIARY]


def test_coverage_for_rank_is_none_when_no_coverage_of_that_rank_is_active():
    patient = registered()
    add_coverage(patient, rank=CoverageRank.PRIMARY)
    assert patient.coverage_for_rank(CoverageRank.SECONDARY, TODAY) is None


# --- clinical notes -----------------------------------------------------------------------


def test_added_note_keeps_its_soap_sections_at_version_1():
    patient = registered()
    note_id = add_note(patient, subjective="SOB on exertion.", plan="Titrate O2.\nVitals: ok")
    [added] = patient.collect_events()
    assert isinstance(added, Patient.NoteAdded)
    note = patient.notes[note_id]
    assert (note.subjective, note.objective, note.plan) == (
        "SOB on exertion.",
        "",
        "Titrate O2.\nVitals: ok",
    )
    assert note.version == 1
    assert note.ref == NoteRef(note_id, 1)


def test_note_has_a_soap_section():
    patient = registered()
    assert_refused_without_events(
        patient,
        "note_has_a_soap_section",
        patient.add_note,
        uuid4(),
        "rt-7",
        AT,
        subjective=" ",
        objective="",
        assessment="\n",
        plan="",
    )


def test_note_time_is_timezone_aware():
    patient = registered()
    refused(
        "time_is_timezone_aware",
        patient.add_note,
        uuid4(),
        "rt-7",
        datetime(2024, 5, 1, 9, 0),  # noqa: DTZ001 - the naive time is the point
        subjective="x",
    )


def test_note_time_is_stored_in_utc():
    patient = registered()
    eastern = timezone(timedelta(hours=-4))
    note_id = add_note(patient, written_at=datetime(2024, 5, 1, 10, 30, tzinfo=eastern))
    written_at = patient.notes[note_id].written_at
    assert written_at == datetime(2024, 5, 1, 14, 30, tzinfo=UTC)
    assert written_at.tzinfo is UTC


def test_note_author_is_present():
    patient = registered()
    refused("note_author_is_present", patient.add_note, uuid4(), " ", AT, subjective="x")


def test_note_id_is_unique():
    patient = registered()
    note_id = add_note(patient)
    refused("note_id_is_unique", patient.add_note, note_id, "rt-7", AT, plan="again")


def test_amending_a_note_appends_and_bumps_its_version_without_overwriting():
    patient = registered()
    note_id = add_note(patient, objective="SpO2 85%.")
    amendment_id = amend(patient, note_id, AT + timedelta(minutes=5))
    events = patient.collect_events()
    assert isinstance(events[-1], Patient.NoteAmended)
    note = patient.notes[note_id]
    assert note.objective == "SpO2 85%."
    assert [a.amendment_id for a in note.amendments] == [amendment_id]
    assert note.amendments[0].reason == "typo"
    assert note.version == 2


def test_amending_an_unknown_note_is_refused_by_note_exists():
    patient = registered()
    assert_refused_without_events(patient, "note_exists", amend, patient, uuid4())


def test_amendment_not_before_note():
    patient = registered()
    note_id = add_note(patient)
    refused("amendment_not_before_note", amend, patient, note_id, AT - timedelta(seconds=1))


@pytest.mark.parametrize(
    ("text", "reason", "rule"),
    [(" ", "typo", "amendment_text_is_present"), ("x", "", "amendment_reason_is_present")],
)
def test_amendment_text_and_reason_are_present(text, reason, rule):
    patient = registered()
    note_id = add_note(patient)
    refused(rule, patient.amend_note, note_id, uuid4(), "rt-7", AT, text, reason)


def test_amendment_id_is_unique():
    patient = registered()
    first, second = add_note(patient), add_note(patient)
    amendment_id = amend(patient, first)
    refused(
        "amendment_id_is_unique",
        patient.amend_note,
        second,
        amendment_id,
        "rt-7",
        AT,
        "text",
        "reason",
    )


# --- summaries ------------------------------------------------------------------------------


def test_recorded_summary_keeps_its_provenance():
    patient = registered()
    note_id = add_note(patient)
    amend(patient, note_id)
    summary_id = record_summary(patient, [(note_id, 2)])
    [*_, recorded] = patient.collect_events()
    assert isinstance(recorded, Patient.SummaryRecorded)
    summary = patient.summaries[summary_id]
    assert summary.notes_read == (NoteRef(note_id, 2),)
    assert (summary.provider, summary.model, summary.prompt_template_version) == (
        "anthropic",
        "claude-sonnet-4-5-20250929",
        "soap-summary@3",
    )
    assert summary.output_sha256 == sha256_hex("Stable on 2 L O2.")
    assert summary.requested_by == "user-42"
    assert summary.review is None


def test_summary_may_cite_an_earlier_version_of_an_amended_note():
    patient = registered()
    note_id = add_note(patient)
    amend(patient, note_id)
    summary_id = record_summary(patient, [NoteRef(note_id, 1)])
    assert patient.summaries[summary_id].notes_read == (NoteRef(note_id, 1),)


@pytest.mark.parametrize("cite", ["unknown_note", "version_0", "future_version"])
def test_summary_cites_existing_note_versions(cite):
    patient = registered()
    note_id = add_note(patient)
    patient.collect_events()
    ref = {
        "unknown_note": (uuid4(), 1),
        "version_0": (note_id, 0),
        "future_version": (note_id, 2),
    }[cite]
    assert_refused_without_events(
        patient, "summary_cites_existing_note_versions", record_summary, patient, [ref]
    )


def test_summary_cites_at_least_one_note():
    patient = registered()
    refused("summary_cites_at_least_one_note", record_summary, patient, [])


def test_summary_output_hash_matches_text():
    patient = registered()
    note_id = add_note(patient)
    patient.collect_events()
    assert_refused_without_events(
        patient,
        "summary_output_hash_matches_text",
        record_summary,
        patient,
        [(note_id, 1)],
        output_sha256=sha256_hex("a different text"),
    )


def test_summary_output_hash_is_compared_in_any_hex_case():
    patient = registered()
    note_id = add_note(patient)
    text = "Adherent."
    summary_id = record_summary(
        patient, [(note_id, 1)], text=text, output_sha256=sha256_hex(text).upper()
    )
    assert patient.summaries[summary_id].output_sha256 == sha256_hex(text)


def test_summary_text_is_present():
    patient = registered()
    note_id = add_note(patient)
    refused("summary_text_is_present", record_summary, patient, [(note_id, 1)], text=" ")


@pytest.mark.parametrize("blank", ["provider", "model", "prompt_template_version", "requested_by"])
def test_summary_provenance_is_complete(blank):
    patient = registered()
    note_id = add_note(patient)
    refused(
        "summary_provenance_is_complete", record_summary, patient, [(note_id, 1)], **{blank: ""}
    )


def test_summary_id_is_unique():
    patient = registered()
    note_id = add_note(patient)
    summary_id = record_summary(patient, [(note_id, 1)])
    refused("summary_id_is_unique", record_summary, patient, [(note_id, 1)], summary_id=summary_id)


def test_reviewing_a_summary_records_the_reviewer_and_decision():
    patient = registered()
    summary_id = record_summary(patient, [(add_note(patient), 1)])
    patient.review_summary(summary_id, "dr-9", AT + timedelta(days=1), False, "Missing plan.")
    [*_, reviewed] = patient.collect_events()
    assert isinstance(reviewed, Patient.SummaryReviewed)
    review = patient.summaries[summary_id].review
    assert (review.reviewer_id, review.approved, review.comment) == ("dr-9", False, "Missing plan.")


def test_summary_is_reviewed_only_once():
    patient = registered()
    summary_id = record_summary(patient, [(add_note(patient), 1)])
    patient.review_summary(summary_id, "dr-9", AT + timedelta(days=1), True)
    patient.collect_events()
    assert_refused_without_events(
        patient,
        "summary_is_reviewed_only_once",
        patient.review_summary,
        summary_id,
        "dr-10",
        AT + timedelta(days=2),
        False,
    )


def test_reviewing_an_unknown_summary_is_refused_by_summary_exists():
    patient = registered()
    refused("summary_exists", patient.review_summary, uuid4(), "dr-9", AT, True)


def test_summary_review_not_before_generation():
    patient = registered()
    summary_id = record_summary(patient, [(add_note(patient), 1)], generated_at=AT)
    refused(
        "summary_review_not_before_generation",
        patient.review_summary,
        summary_id,
        "dr-9",
        AT - timedelta(minutes=1),
        True,
    )


# --- deactivation ---------------------------------------------------------------------------


def test_deactivating_records_the_reason_and_date():
    patient = registered()
    patient.deactivate("deceased", TODAY)
    [deactivated] = patient.collect_events()
    assert isinstance(deactivated, Patient.Deactivated)
    assert (patient.deactivation_reason, patient.deactivated_on) == ("deceased", TODAY)
    assert not patient.is_active


def test_deactivation_reason_is_present():
    patient = registered()
    refused("deactivation_reason_is_present", patient.deactivate, " ", TODAY)


def _every_command(patient: Patient, note_id: UUID, coverage_id: UUID, summary_id: UUID):
    return {
        "correct_demographics": lambda: patient.correct_demographics(demographics(), as_of=TODAY),
        "add_coverage": lambda: add_coverage(patient, rank=CoverageRank.SECONDARY),
        "terminate_coverage": lambda: patient.terminate_coverage(coverage_id, TODAY),
        "add_note": lambda: add_note(patient),
        "amend_note": lambda: amend(patient, note_id),
        "record_summary": lambda: record_summary(patient, [(note_id, 1)]),
        "review_summary": lambda: patient.review_summary(summary_id, "dr", AT + timedelta(1), True),
        "deactivate": lambda: patient.deactivate("again", TODAY),
    }


@pytest.mark.parametrize(
    "command",
    [
        "correct_demographics",
        "add_coverage",
        "terminate_coverage",
        "add_note",
        "amend_note",
        "record_summary",
        "review_summary",
        "deactivate",
    ],
)
def test_patient_is_active_refuses_every_command_after_deactivation(command):
    patient = registered()
    coverage_id = add_coverage(patient)
    note_id = add_note(patient)
    summary_id = record_summary(patient, [(note_id, 1)])
    patient.deactivate("duplicate record", TODAY)
    patient.collect_events()
    run = _every_command(patient, note_id, coverage_id, summary_id)[command]
    assert_refused_without_events(patient, "patient_is_active", run)


# --- storage ---------------------------------------------------------------------------------


def test_every_event_replays_through_the_json_transcoder_to_an_equal_patient():
    patient = Patient.register(
        account_number="A", demographics=demographics(), as_of=TODAY, mbi=MBI
    )
    coverage_id = add_coverage(patient, payer_id="MCR-JB", member_id=MBI)
    add_coverage(patient, rank=CoverageRank.SECONDARY, effective_to=date(2024, 12, 31),
                 relationship_to_subscriber=RelationshipToSubscriber.SPOUSE,
                 subscriber=demographics(first_name="Luis", sex=Sex.MALE))
    patient.terminate_coverage(coverage_id, date(2024, 6, 30))
    note_id = add_note(patient, assessment="COPD, stable.")
    amend(patient, note_id)
    summary_id = record_summary(patient, [(note_id, 1), (note_id, 2)])
    patient.review_summary(summary_id, "dr-9", AT + timedelta(days=1), True, None)
    patient.correct_demographics(demographics(sex=Sex.UNKNOWN), as_of=TODAY, mbi="9AA9AA9AA99")
    patient.deactivate("moved", TODAY)
    events = patient.collect_events()
    assert len(events) == 10
    assert vars(replay(events)) == vars(patient)


def _values_in(value):
    yield value
    if isinstance(value, list | tuple):
        for item in value:
            yield from _values_in(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _values_in(getattr(value, field.name))


def test_value_types_list_every_enum_and_value_object_found_in_events():
    patient = Patient.register(account_number="A", demographics=demographics(), as_of=TODAY)
    add_coverage(patient)
    note_id = add_note(patient)
    record_summary(patient, [(note_id, 1)])
    found = {
        type(value)
        for e in patient.collect_events()
        for value in _values_in(list(vars(e).values()))
        if isinstance(value, Enum) or dataclasses.is_dataclass(value)
    }
    assert found <= set(VALUE_TYPES)
    assert found == {Sex, CoverageRank, RelationshipToSubscriber, Address, Demographics, NoteRef}


def test_a_refused_command_is_a_domain_error_that_records_nothing():
    patient = registered()
    with pytest.raises(DomainError):
        patient.terminate_coverage(uuid4(), TODAY)
    assert patient.collect_events() == []
    assert patient.version == 1


def test_invalid_values_are_reported_as_invalid_value():
    with pytest.raises(InvalidValue):
        Patient.register(
            account_number="A", demographics=demographics(), as_of=TODAY, mbi="not an mbi"
        )


@pytest.mark.parametrize("ref", [("not-a-uuid", 1), (UUID(int=1),), (UUID(int=1), "1")])
def test_note_reference_is_well_formed(ref):
    patient = registered()
    add_note(patient)
    refused("note_reference_is_well_formed", record_summary, patient, [ref])
