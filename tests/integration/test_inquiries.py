"""Eligibility (270/271) and claim status (276/277) end to end below HTTP: the inquiry goes
through the sandbox clearinghouse (every file pyx12-valid), the answer is recorded on the
patient or the claim, and the work queue shows what needs a person."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from application.inquiries import InquiryService, InquiryUnanswered
from domain.claim_ids import claim_id_for
from domain.context import bound_context
from domain.patient_values import CoverageRank, RelationshipToSubscriber
from domain.payer import PayerType
from interfaces.clearinghouse import inquiry_service_from
from interfaces.clearinghouse.sandbox import SandboxClearinghouse
from projections.claims_tables import claims
from projections.rebuild import rebuild
from projections.runner import catch_up
from projections.work_queue_tables import work_queue
from tests.integration.scenarios import MEDICARE, delivered_bed_and_walker, medicare_patient
from tests.setup_builders import payer
from tests.x12_validation import assert_valid_x12

pytestmark = pytest.mark.integration

DELIVERED_ON = datetime.now(UTC).date() - timedelta(days=75)
MBI = "1EG4TE5MK73"  # a valid MBI the sandbox reports active (its last character is not 9)


class Recording:
    """The sandbox, keeping every inquiry and answer for the test to check."""

    name = "recording"

    def __init__(self) -> None:
        self.inner = SandboxClearinghouse(clearinghouse_id="ARIESSANDBOX")
        self.exchanged: list[tuple[str, str]] = []

    def inquire(self, inquiry: str) -> str:
        answer = self.inner.inquire(inquiry)
        self.exchanged.append((inquiry, answer))
        return answer

    def transmit(self, interchange: str) -> str:
        return self.inner.transmit(interchange)

    def look_up(self, interchange_control_number: str) -> Any:
        return self.inner.look_up(interchange_control_number)


@pytest.fixture
def aries(isolated_aries) -> Iterator[Any]:
    with bound_context(tenant_id=f"t-{uuid.uuid4().hex[:10]}", actor_id="u-test",
                       actor_role="biller"):
        yield isolated_aries


def inquiries(aries, clearinghouse) -> InquiryService:
    return inquiry_service_from(aries, clearinghouse)


def items(aries, subject_id) -> dict[str, dict[str, Any]]:
    with aries.read_engine.connect() as conn:
        found = conn.execute(select(work_queue).where(work_queue.c.subject_id == subject_id))
        return {row["kind"]: dict(row) for row in found.mappings()}


def ended_coverage(aries, patient_id) -> uuid.UUID:
    """A commercial coverage whose member id the sandbox reports ended (last character 9)."""
    coverage_id = uuid.uuid4()
    aries.patients.add_coverage(
        patient_id, coverage_id=coverage_id, payer_id="COM-AETNA", payer_name="Aetna",
        member_id="XOF123456789", group_number="G1", rank=CoverageRank.SECONDARY,
        relationship_to_subscriber=RelationshipToSubscriber.SELF,
        effective_from=date(2025, 1, 1),
    )
    return coverage_id


def test_active_coverage_is_recorded_from_a_valid_271(aries):
    patient_id, coverage_id = medicare_patient(aries, mbi=MBI)
    clearinghouse = Recording()

    result = inquiries(aries, clearinghouse).check_eligibility(patient_id, coverage_id)

    ((asked, answered),) = clearinghouse.exchanged
    assert_valid_x12(asked)
    assert_valid_x12(answered)
    assert "ST*270*" in asked and "EB*1*IND*12*MB~" in answered
    assert (result.coverage, result.payer_id) == ("active", MEDICARE)
    events = [type(e).__name__ for e in aries.patients.repository.event_store.get(patient_id)]
    assert events[-1] == "EligibilityChecked"


def test_inactive_coverage_opens_a_work_queue_item_and_an_active_answer_closes_it(aries):
    patient_id, _ = medicare_patient(aries, mbi=MBI)
    coverage_id = ended_coverage(aries, patient_id)
    checked = inquiries(aries, Recording()).check_eligibility(patient_id, coverage_id)
    assert checked.coverage == "inactive" and checked.plan_end is not None
    catch_up(aries, "work_queue")
    item = items(aries, coverage_id)["coverage_inactive"]
    assert (item["patient_id"], item["order_id"], item["payer_id"]) == (
        patient_id, None, "COM-AETNA")
    assert "inactive" in item["detail"] and "XOF" not in item["detail"]  # codes, no member id

    patient = aries.patients.get_patient(patient_id)
    patient.record_eligibility(coverage_id, "COM-AETNA", "active", date.today(),
                               datetime.now(UTC))
    aries.patients.commit(patient)
    catch_up(aries, "work_queue")
    assert items(aries, coverage_id) == {}


def submitted_claim(aries) -> uuid.UUID:
    delivered = delivered_bed_and_walker(aries, DELIVERED_ON, mbi=MBI)
    aries.claims.catch_up_all()
    claim_id = claim_id_for(delivered.order_id, f"{DELIVERED_ON:%Y-%m}", MEDICARE)
    aries.claims.submit(claim_id)
    claim = aries.claims.get_claim(claim_id)
    claim.prepare_transmission("000000777", [claim_id], datetime.now(UTC))
    claim.record_submission("000000777", datetime.now(UTC))
    aries.claims.commit(claim)
    return claim_id


def test_a_claim_past_the_payment_floor_is_reported_paid_from_a_valid_277(aries):
    claim_id = submitted_claim(aries)
    clearinghouse = Recording()

    result = inquiries(aries, clearinghouse).request_claim_status(claim_id)

    ((asked, answered),) = clearinghouse.exchanged
    assert_valid_x12(asked)
    assert_valid_x12(answered)
    assert (result.category, result.status_code) == ("F1", "1")
    catch_up(aries, "claims")
    with aries.read_engine.connect() as conn:
        row = conn.execute(select(claims).where(claims.c.claim_id == claim_id)).mappings().one()
    assert (row["payer_status_category"], row["payer_status_code"]) == ("F1", "1")
    catch_up(aries, "work_queue")
    assert "follow_up_claim_status" not in items(aries, claim_id)


def test_a_denied_claim_status_opens_a_follow_up(aries):
    claim_id = submitted_claim(aries)
    claim = aries.claims.get_claim(claim_id)
    claim.record_status_report("F2", "1", None, date.today(), None, "SBX1", datetime.now(UTC))
    aries.claims.commit(claim)

    catch_up(aries, "work_queue")

    item = items(aries, claim_id)["follow_up_claim_status"]
    assert item["detail"].startswith("F2:1 denied by the payer")


def test_a_claim_never_submitted_is_not_asked_about(aries):
    delivered = delivered_bed_and_walker(aries, DELIVERED_ON)
    aries.claims.catch_up_all()
    claim_id = claim_id_for(delivered.order_id, f"{DELIVERED_ON:%Y-%m}", MEDICARE)
    clearinghouse = Recording()
    with pytest.raises(Exception) as refused:
        inquiries(aries, clearinghouse).request_claim_status(claim_id)
    assert getattr(refused.value, "rule", None) == "claim_status_is_asked_of_a_submitted_claim"
    assert clearinghouse.exchanged == []


def test_an_answer_that_fails_its_implementation_guide_is_not_recorded(aries):
    patient_id, coverage_id = medicare_patient(aries, mbi=MBI)

    class Garbling(Recording):
        def inquire(self, inquiry: str) -> str:
            return super().inquire(inquiry).replace("EB*1*IND*12*MB~", "EB*1*IND*ZZZ*MB~")

    with pytest.raises(InquiryUnanswered):
        inquiries(aries, Garbling()).check_eligibility(patient_id, coverage_id)
    events = [type(e).__name__ for e in aries.patients.repository.event_store.get(patient_id)]
    assert "EligibilityChecked" not in events


def test_a_rebuilt_work_queue_equals_the_live_one(aries):
    patient_id, _ = medicare_patient(aries, mbi=MBI)
    coverage_id = ended_coverage(aries, patient_id)
    inquiries(aries, Recording()).check_eligibility(patient_id, coverage_id)
    catch_up(aries, "work_queue")
    live = items(aries, coverage_id)
    rebuild(aries, "work_queue")
    assert items(aries, coverage_id) == live


def test_a_270_to_a_payer_record_names_it_from_the_record(aries):
    """A payer only the tenant registered (in no packaged list) is asked under its record's
    name and X12 id (decision 017), 2100A NM1*PR."""
    patient_id, _ = medicare_patient(aries, mbi=MBI)
    aries.setup.register_payer(payer(
        payer_id="ACME-PPO", name="Acme Health PPO", payer_type=PayerType.COMMERCIAL,
        claim_filing_indicator="CI", x12_payer_id="ACME1",
    ))
    coverage_id = uuid.uuid4()
    aries.patients.add_coverage(
        patient_id, coverage_id=coverage_id, payer_id="ACME-PPO", payer_name="Acme Health PPO",
        member_id="ACM123456", group_number="G1", rank=CoverageRank.SECONDARY,
        relationship_to_subscriber=RelationshipToSubscriber.SELF,
        effective_from=date(2025, 1, 1),
    )
    clearinghouse = Recording()

    result = inquiries(aries, clearinghouse).check_eligibility(patient_id, coverage_id)

    ((asked, _answered),) = clearinghouse.exchanged
    assert_valid_x12(asked)
    assert "NM1*PR*2*Acme Health PPO*****PI*ACME1~" in asked
    assert result.payer_id == "ACME-PPO"
