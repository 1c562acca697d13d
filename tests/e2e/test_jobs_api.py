"""Job status over HTTP: `GET /v1/jobs/{id}` and its Server-Sent Events stream, with the real
worker of the e2e session (tests/e2e/conftest.py) doing the work."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from domain.context import bound_context
from tests.e2e.conftest import headers_for
from tests.integration.scenarios import medicare_patient

pytestmark = pytest.mark.e2e

WAIT_SECONDS = 60


def _patient_with_a_note(api, tenant: str) -> uuid.UUID:
    aries = api.app.state.aries
    with bound_context(tenant_id=tenant, actor_id="clinician-1", actor_role="clinician"):
        patient_id, _ = medicare_patient(aries)
        aries.patients.add_note(
            patient_id, author_id="clinician-1", subjective="Uses CPAP nightly.",
            objective="Vitals: BP 120/80.", assessment="OSA.", plan="Continue.",
        )
    return patient_id


def _summary_job(api, tenant: str, clinician: dict[str, str]) -> str:
    patient_id = _patient_with_a_note(api, tenant)
    accepted = api.post(f"/v1/patients/{patient_id}/summaries", headers=clinician)
    assert accepted.status_code == 202, accepted.text
    assert accepted.headers["Location"] == f"/v1/jobs/{accepted.json()['job_id']}"
    return accepted.json()["job_id"]


def _finished(api, job_id: str, headers: dict[str, str]) -> dict:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        job = api.get(f"/v1/jobs/{job_id}", headers=headers)
        assert job.status_code == 200, job.text
        if job.json()["status"] in ("succeeded", "dead"):
            return job.json()
        assert time.monotonic() < deadline, f"job still {job.json()['status']}"
        time.sleep(0.1)


def _events(response) -> list[dict]:
    events, current = [], {}
    for line in response.iter_lines():
        if not line:
            if "data" in current:
                events.append(current)
            current = {}
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(": ")
        current[field] = value
    return events


def test_a_summary_job_goes_from_queued_to_succeeded(api, tenant):
    clinician = headers_for(api, "clinician", tenant)
    job_id = _summary_job(api, tenant, clinician)

    job = _finished(api, job_id, clinician)

    assert job["status"] == "succeeded"
    assert job["kind"] == "summary"
    assert job["attempts"] == 1
    assert job["result"]["summary_id"] == job_id


def test_the_event_stream_sends_each_change_and_ends_when_the_job_has_finished(api, tenant):
    clinician = headers_for(api, "clinician", tenant)
    job_id = _summary_job(api, tenant, clinician)

    with api.stream("GET", f"/v1/jobs/{job_id}/events", headers=clinician) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _events(response)

    statuses = [json.loads(e["data"])["status"] for e in events]
    revisions = [int(e["id"]) for e in events]
    assert statuses[-1] == "succeeded"
    assert revisions == sorted(set(revisions))
    assert all(e["event"] == "status" for e in events)


def test_reconnecting_with_the_last_event_id_skips_what_was_received(api, tenant):
    clinician = headers_for(api, "clinician", tenant)
    job_id = _summary_job(api, tenant, clinician)
    finished = _finished(api, job_id, clinician)

    headers = {**clinician, "Last-Event-ID": str(finished["revision"])}
    with api.stream("GET", f"/v1/jobs/{job_id}/events", headers=headers) as response:
        events = _events(response)

    assert events == []


def test_another_tenants_job_is_not_found(api, tenant):
    clinician = headers_for(api, "clinician", tenant)
    job_id = _summary_job(api, tenant, clinician)
    stranger = headers_for(api, "clinician", f"{tenant}-other")

    assert api.get(f"/v1/jobs/{job_id}", headers=stranger).status_code == 404
    assert api.get(f"/v1/jobs/{job_id}/events", headers=stranger).status_code == 404


def test_a_biller_does_not_follow_clinical_summary_jobs(api, tenant):
    clinician = headers_for(api, "clinician", tenant)
    job_id = _summary_job(api, tenant, clinician)

    answer = api.get(f"/v1/jobs/{job_id}", headers=headers_for(api, "biller", tenant))

    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_intake_may_not_read_jobs(api, tenant):
    answer = api.get(f"/v1/jobs/{uuid.uuid4()}", headers=headers_for(api, "intake", tenant))
    assert answer.status_code == 403


def test_a_malformed_job_id_is_a_problem_not_a_crash(api, tenant):
    answer = api.get("/v1/jobs/not-a-uuid", headers=headers_for(api, "auditor", tenant))
    assert answer.status_code == 422
