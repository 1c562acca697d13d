"""Eligibility checks and claim status inquiries over HTTP, through the sandbox clearinghouse:
what each answers, the work queue item an inactive coverage opens, problem+json for what cannot
be asked, and tenancy (another tenant's patient or claim is a 404)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.claim_ids import claim_id_for
from domain.context import bound_context
from domain.patient_values import CoverageRank, RelationshipToSubscriber
from tests.conftest import eventually
from tests.e2e.conftest import aries_of, headers_for
from tests.integration.scenarios import MEDICARE, delivered_bed_and_walker, medicare_patient

pytestmark = pytest.mark.e2e

MBI = "1EG4TE5MK73"  # the sandbox reports it active (its last character is not 9)
DELIVERED_ON = datetime.now(UTC).date() - timedelta(days=75)


def check(api, headers, patient_id, coverage_id, body=None):
    return api.post(f"/v1/patients/{patient_id}/coverages/{coverage_id}/eligibility-checks",
                    json=body, headers=headers)


def test_an_intake_user_checks_active_eligibility(api, tenant):
    with bound_context(tenant_id=tenant):
        patient_id, coverage_id = medicare_patient(aries_of(api), mbi=MBI)
    answer = check(api, headers_for(api, "intake", tenant), patient_id, coverage_id,
                   {"service_type": "18"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["id"], body["coverage"], body["payer_id"]) == (
        str(patient_id), "active", MEDICARE)
    assert answer.headers["ETag"] == f'"{body["version"]}"'


def test_inactive_coverage_is_shown_in_the_work_queue(api, tenant):
    with bound_context(tenant_id=tenant):
        patient_id, _ = medicare_patient(aries_of(api), mbi=MBI)
        coverage_id = uuid.uuid4()
        aries_of(api).patients.add_coverage(
            patient_id, coverage_id=coverage_id, payer_id="COM-AETNA", payer_name="Aetna",
            member_id="W123456789", group_number="G1", rank=CoverageRank.SECONDARY,
            relationship_to_subscriber=RelationshipToSubscriber.SELF,
            effective_from=date(2025, 1, 1),
        )
    biller = headers_for(api, "biller", tenant)
    answer = check(api, biller, patient_id, coverage_id)
    assert answer.json()["coverage"] == "inactive", answer.text

    queue = eventually(
        lambda: api.get("/v1/claims/work-queue", params={"kind": "coverage_inactive"},
                        headers=biller),
        lambda r: r.status_code == 200 and r.json()["items"],
        what="the coverage_inactive item", timeout=30,
    )
    (item,) = queue.json()["items"]
    assert (item["subject_id"], item["order_id"], item["patient_id"]) == (
        str(coverage_id), None, str(patient_id))


def test_a_coverage_the_patient_does_not_hold_is_a_404(api, tenant):
    with bound_context(tenant_id=tenant):
        patient_id, _ = medicare_patient(aries_of(api), mbi=MBI)
    answer = check(api, headers_for(api, "intake", tenant), patient_id, uuid.uuid4())
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_another_tenants_patient_and_claim_are_not_found(api, tenant):
    with bound_context(tenant_id=tenant):
        patient_id, coverage_id = medicare_patient(aries_of(api), mbi=MBI)
    stranger = headers_for(api, "biller", f"other-{uuid.uuid4().hex[:8]}")
    assert check(api, stranger, patient_id, coverage_id).status_code == 404
    claim_id = submitted_claim(api, tenant, mbi=None)  # a new MBI: the tenant holds MBI
    status = api.post(f"/v1/claims/{claim_id}/status-inquiries", headers=stranger)
    assert status.status_code == 404


def submitted_claim(api, tenant, mbi: str | None = MBI):
    with bound_context(tenant_id=tenant):
        aries = aries_of(api)
        delivered = delivered_bed_and_walker(aries, DELIVERED_ON, mbi=mbi)
        claim_id = claim_id_for(delivered.order_id, f"{DELIVERED_ON:%Y-%m}", MEDICARE)
        claim = eventually(lambda: _claim(aries, claim_id), what="the drafted claim", timeout=30)
        aries.claims.submit(claim_id)
        claim = aries.claims.get_claim(claim_id)
        claim.prepare_transmission("000000888", [claim_id], datetime.now(UTC))
        claim.record_submission("000000888", datetime.now(UTC))
        aries.claims.commit(claim)
    return claim_id


def _claim(aries, claim_id):
    """The claim once the worker has drafted it, else None."""
    return aries.claims.get_claim(claim_id) if aries.claims.exists(claim_id) else None


def test_a_biller_asks_a_submitted_claims_status(api, tenant):
    claim_id = submitted_claim(api, tenant)
    answer = api.post(f"/v1/claims/{claim_id}/status-inquiries",
                      headers=headers_for(api, "biller", tenant))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["category"], body["status_code"], body["category_text"]) == (
        "F1", "1", "finalized: paid")


def test_a_claim_never_submitted_is_a_409_naming_the_rule(api, tenant):
    with bound_context(tenant_id=tenant):
        aries = aries_of(api)
        delivered = delivered_bed_and_walker(aries, DELIVERED_ON, mbi=MBI)
        claim_id = claim_id_for(delivered.order_id, f"{DELIVERED_ON:%Y-%m}", MEDICARE)
        eventually(lambda: _claim(aries, claim_id), what="the drafted claim", timeout=30)
    answer = api.post(f"/v1/claims/{claim_id}/status-inquiries",
                      headers=headers_for(api, "biller", tenant))
    assert answer.status_code == 409
    assert answer.json()["rule"] == "claim_status_is_asked_of_a_submitted_claim"


def test_a_denied_status_is_a_next_action_in_the_work_queue_and_the_claim_list(api, tenant):
    claim_id = submitted_claim(api, tenant, mbi="1EG4TE5MK79")  # the sandbox denies it: F2
    biller = headers_for(api, "biller", tenant)
    answer = api.post(f"/v1/claims/{claim_id}/status-inquiries", headers=biller)
    assert answer.json()["category"] == "F2", answer.text

    queue = eventually(
        lambda: api.get("/v1/claims/work-queue", params={"kind": "follow_up_claim_status"},
                        headers=biller),
        lambda r: r.status_code == 200 and r.json()["items"],
        what="the follow_up_claim_status item", timeout=30,
    )
    (item,) = queue.json()["items"]
    assert item["claim_id"] == str(claim_id) and item["detail"].startswith("F2:1 denied")
    listed = api.get(f"/v1/claims/{claim_id}", headers=biller,
                     params={"min_position": answer.json()["position"]})
    assert listed.json()["next_action"] == "follow_up_claim_status"
