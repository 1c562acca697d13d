"""Who the 837P names as subscriber (application/claim_documents.py `subscriber_of`): the
patient, or the insured recorded on the coverage; a non-self coverage recorded before
subscribers were kept is refused rather than billed under the patient's name."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from application.claim_documents import subscriber_of
from domain.errors import RuleViolated
from domain.patient import Patient
from domain.patient_values import CoverageRank, RelationshipToSubscriber, Sex
from tests.unit.replay import replay
from tests.unit.test_patient import TODAY, demographics


def patient_with(relationship: RelationshipToSubscriber, *, legacy: bool = False):
    patient = Patient.register(account_number="A", demographics=demographics(), as_of=TODAY)
    coverage_id = uuid4()
    patient.add_coverage(
        coverage_id, "COM-AETNA", "Aetna", "W987654321", "G1", CoverageRank.PRIMARY,
        relationship, date(2024, 1, 1),
        subscriber=None if relationship is RelationshipToSubscriber.SELF
        else demographics(first_name="Luis", sex=Sex.MALE, date_of_birth=date(1946, 7, 1)),
    )
    events = patient.collect_events()
    if legacy:
        for event in events:
            event.__dict__.pop("subscriber", None)  # as stored before subscribers were kept
    return replay(events), coverage_id


def test_the_patient_is_the_subscriber_of_a_self_coverage():
    patient, coverage_id = patient_with(RelationshipToSubscriber.SELF)
    subscriber = subscriber_of(patient, coverage_id)
    assert (subscriber.name.first_name, subscriber.relationship) == (
        patient.demographics.first_name, "18")


@pytest.mark.parametrize(("relationship", "code"), [
    (RelationshipToSubscriber.SPOUSE, "01"), (RelationshipToSubscriber.CHILD, "19"),
    (RelationshipToSubscriber.OTHER, "G8"),
])
def test_the_recorded_insured_is_the_subscriber_of_a_spouses_or_parents_plan(relationship, code):
    patient, coverage_id = patient_with(relationship)
    subscriber = subscriber_of(patient, coverage_id)
    assert (subscriber.name.first_name, subscriber.sex, subscriber.relationship) == (
        "Luis", "M", code)
    assert subscriber.date_of_birth == date(1946, 7, 1)


def test_a_non_self_coverage_recorded_without_a_subscriber_is_refused():
    patient, coverage_id = patient_with(RelationshipToSubscriber.SPOUSE, legacy=True)
    with pytest.raises(RuleViolated) as refused:
        subscriber_of(patient, coverage_id)
    assert refused.value.rule == "coverage_names_its_subscriber_when_not_the_patient"
