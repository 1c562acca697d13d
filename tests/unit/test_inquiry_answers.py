"""Eligibility (271) and claim status (277) answers as the Patient and the Claim record them,
and which of them ask a person to act (`domain.inquiry_answers`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValue, RuleViolated
from domain.inquiry_answers import claim_status_needs_attention, coverage_needs_attention
from domain.patient import Patient
from tests.unit import claim_builders as claims
from tests.unit.replay import mapper, replay
from tests.unit.test_patient import MBI, add_coverage, demographics, registered

AT = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _topics_registered():
    mapper()


def test_inactive_or_unanswerable_coverage_asks_for_a_person():
    assert not coverage_needs_attention("active")
    assert coverage_needs_attention("inactive")
    assert coverage_needs_attention("rejected")


@pytest.mark.parametrize("category", ["F2", "A3", "A4", "A6", "A7", "A8", "R4", "E0"])
def test_denied_rejected_or_requested_claims_ask_for_a_person(category):
    assert claim_status_needs_attention(category)


@pytest.mark.parametrize("category", ["A1", "A2", "P1", "P3", "F1", "F4", None])
def test_received_pending_or_paid_claims_wait_for_the_835(category):
    assert not claim_status_needs_attention(category)


def test_an_eligibility_answer_is_recorded_on_the_patient_and_replays():
    patient = Patient.register(
        account_number="ACC-1", demographics=demographics(), as_of=date(2026, 1, 5), mbi=MBI
    )
    coverage_id = add_coverage(patient)
    patient.record_eligibility(coverage_id, "BCBS01", "inactive", date(2026, 12, 4), AT)
    events = patient.collect_events()
    checked = events[-1]
    assert type(checked).__name__ == "EligibilityChecked"
    assert (checked.coverage_id, checked.coverage, checked.reason) == (
        coverage_id, "inactive", None)
    assert replay(events).__dict__ == patient.__dict__


def test_eligibility_of_a_coverage_the_patient_does_not_hold_is_refused():
    patient = registered()
    with pytest.raises(RuleViolated, match="coverage"):
        patient.record_eligibility(uuid4(), "BCBS01", "active", date(2026, 12, 4), AT)


def test_eligibility_is_active_inactive_or_rejected():
    patient = registered()
    coverage_id = add_coverage(patient)
    with pytest.raises(RuleViolated) as refused:
        patient.record_eligibility(coverage_id, "BCBS01", "maybe", date(2026, 12, 4), AT)
    assert refused.value.rule == "eligibility_is_active_inactive_or_rejected"


def test_a_claim_status_answer_is_recorded_on_a_submitted_claim_and_replays():
    claim = claims.submitted()
    before = claim.collect_events()
    claim.record_status_report("F2", "1", None, date(2026, 12, 4), Decimal("0"), "SBX1", AT)
    events = claim.collect_events()
    assert type(events[-1]).__name__ == "ClaimStatusReceived"
    assert (events[-1].category, events[-1].status_code) == ("F2", "1")
    assert replay([*before, *events]).__dict__ == claim.__dict__


def test_claim_status_is_asked_only_of_a_submitted_claim():
    with pytest.raises(RuleViolated) as refused:
        claims.drafted().record_status_report("P1", "20", None, None, None, None, AT)
    assert refused.value.rule == "claim_status_is_asked_of_a_submitted_claim"


@given(st.text(max_size=4))
def test_a_claim_status_category_must_be_a_list_507_code(category):
    claim = claims.submitted()
    try:
        claim.record_status_report(category, "20", None, None, None, None, AT)
    except InvalidValue as refused:
        assert refused.rule == "claim_status_category_is_a_known_code"
    else:
        assert category[:1] in "APFRED"
