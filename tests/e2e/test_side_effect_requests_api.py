"""Summaries and remittances over HTTP: the 202 + job answers, the sync summary, review, and
how bad 835s are answered."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from application.summaries import generate_summary, request_summary
from domain.context import bound_context
from interfaces.summarisers import LocalSummariser
from tests.e2e.conftest import headers_for
from tests.integration.scenarios import medicare_patient
from tests.unit.remittance_835 import Clp, Svc, build_835

pytestmark = pytest.mark.e2e

D = Decimal


def patient_with_a_note(api, tenant: str) -> str:
    aries = api.app.state.aries
    with bound_context(tenant_id=tenant, actor_id="rt-1", actor_role="clinician"):
        patient_id, _ = medicare_patient(aries)
        aries.patients.add_note(patient_id, author_id="rt-1", subjective="Uses CPAP nightly.",
                                objective="Vitals: SpO2 95% RA.\nLabs: HbA1c 7.2%.")
    return str(patient_id)


def test_a_summary_request_answers_202_with_its_job(api, tenant):
    clinician = headers_for(api, "clinician", tenant)
    patient_id = patient_with_a_note(api, tenant)
    response = api.post(f"/v1/patients/{patient_id}/summaries", headers=clinician)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "queued" and body["id"] == patient_id
    assert response.headers["Location"] == f"/v1/jobs/{body['job_id']}"


def test_the_sync_summary_keeps_subjective_and_objective(api, tenant):
    clinician = headers_for(api, "clinician", tenant)
    patient_id = patient_with_a_note(api, tenant)
    response = api.get(f"/v1/patients/{patient_id}/summary", headers=clinician)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == "computed" and body["provider"] == "local"
    assert "Uses CPAP nightly." in body["text"] and "Vitals: SpO2 95% RA." in body["text"]


def test_a_clinician_reviews_a_recorded_summary_once(api, tenant):
    clinician = headers_for(api, "clinician", tenant)
    patient_id = patient_with_a_note(api, tenant)
    aries = api.app.state.aries
    with bound_context(tenant_id=tenant, actor_id="rt-1", actor_role="clinician"):
        summary_id = uuid.uuid4()
        request_summary(aries.patients, uuid.UUID(patient_id), requested_by="rt-1",
                        summary_id=summary_id)
        generate_summary(aries.patients, LocalSummariser(), uuid.UUID(patient_id), summary_id)
    url = f"/v1/patients/{patient_id}/summaries/{summary_id}"
    assert api.get(url, headers=clinician).json()["reviewed"] is False
    first = api.post(f"{url}/review", json={"approved": True}, headers=clinician)
    again = api.post(f"{url}/review", json={"approved": True}, headers=clinician)
    assert first.status_code == 200, first.text
    assert (again.status_code, again.json()["rule"]) == (409, "summary_is_reviewed_only_once")
    assert api.get(url, headers=clinician).json()["approved"] is True


def test_an_835_answers_202_and_the_same_trace_again_409(api, tenant):
    biller = headers_for(api, "biller", tenant)
    text = build_835(
        [Clp("ABCDEF0123456789ABCD", "1", "ICN1",
             [Svc("E0143", ("NU",), D("100.00"), D("80.00"), [("CO", "45", D("20.00"))])])],
        trace=f"EFT-{tenant}",
    )
    headers = {**biller, "Content-Type": "text/plain"}
    first = api.post("/v1/remittances", content=text, headers=headers)
    assert first.status_code == 202, first.text
    assert first.json()["job_id"] == first.json()["id"]
    again = api.post("/v1/remittances", files={"file": ("era.835", text)}, headers=biller)
    assert (again.status_code, again.json()["rule"]) == (409, "remittance_trace_is_new")
    got = api.get(f"/v1/remittances/{first.json()['id']}", headers=biller)
    assert got.status_code == 200
    assert (got.json()["trace_number"], got.json()["paid_amount"]) == (f"EFT-{tenant}", "80.00")


def test_a_malformed_835_is_a_422_problem_without_patient_data(api, tenant):
    biller = headers_for(api, "biller", tenant)
    text = build_835(
        [Clp("ABCDEF0123456789ABCD", "1", "ICN1",
             [Svc("E0143", ("NU",), D("100.00"), D("80.00"))])],
    ).replace("NM1*QC", "NMX*QC")
    response = api.post("/v1/remittances", content=text,
                        headers={**biller, "Content-Type": "text/plain"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "RIVERA" not in response.text and "1EG4TE5MK73" not in response.text


def test_an_835_that_pyx12_cannot_read_is_a_422_problem(api, tenant):
    biller = headers_for(api, "biller", tenant)
    text = build_835(
        [Clp("ABCDEF0123456789ABCD", "1", "ICN1",
             [Svc("E0143", ("NU",), D("100.00"), D("80.00"))])],
    ).replace("~\nGS*HP", "~\nGS:HP", 1)
    response = api.post("/v1/remittances", content=text,
                        headers={**biller, "Content-Type": "text/plain"})
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("not a readable X12 interchange")


def test_an_835_in_an_unknown_media_type_is_415(api, tenant):
    biller = headers_for(api, "biller", tenant)
    response = api.post("/v1/remittances", json={"x": 1}, headers=biller)
    assert response.status_code == 415


def test_an_835_with_several_payments_and_a_bom_answers_a_job_for_each(api, tenant):
    biller = headers_for(api, "biller", tenant)
    text = build_835(
        [Clp("ABCDEF0123456789ABCD", "1", "ICN1",
             [Svc("E0143", ("NU",), D("100.00"), D("80.00"), [("CO", "45", D("20.00"))])])],
        trace=f"EFT-{tenant}", transactions=2,
        plbs=[("WO:ICN-OLD", D("5.00")), ("L6", D("-0.40"))],
    )
    response = api.post("/v1/remittances", content=("\ufeff" + text + "\r\n").encode("utf-8"),
                        headers={**biller, "Content-Type": "text/plain"})
    assert response.status_code == 202, response.text
    body = response.json()
    assert len(body["remittances"]) == 2 and body["remittances"][0]["id"] == body["id"]
    traces = set()
    for remittance in body["remittances"]:
        got = api.get(f"/v1/remittances/{remittance['id']}", headers=biller).json()
        traces.add(got["trace_number"])
        assert (got["paid_amount"], got["claims_paid"]) == ("75.40", "80.00")
        assert [(a["code"], a["reference"], a["amount"]) for a in got["provider_adjustments"]] == [
            ("WO", "ICN-OLD", "5.00"), ("L6", None, "-0.40")]
    assert traces == {f"EFT-{tenant}", f"EFT-{tenant}-2"}
