"""Billing runs over HTTP are jobs (issue 15): 202 with the job at once, a worker bills the
tenant in bounded batches, and the job's result is the run's report. A run as of a date after
the supplier's today is refused and records nothing."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from domain.context import bound_context
from interfaces.http.app import create_app
from tests.conftest import eventually
from tests.e2e.conftest import aries_of, headers_for
from tests.integration.scenarios import delivered_bed_and_walker

pytestmark = pytest.mark.e2e


def _finished(api: TestClient, accepted, headers) -> dict:
    assert accepted.status_code == 202, accepted.text
    job_url = accepted.headers["location"]
    assert job_url == f"/v1/jobs/{accepted.json()['job_id']}"
    job = eventually(
        lambda: api.get(job_url, headers=headers),
        lambda r: r.json()["status"] in ("succeeded", "dead"),
        what="the billing run job finished",
        timeout=60,
    ).json()
    assert job["status"] == "succeeded", job
    assert job["kind"] == "billing_run"
    return job["result"]


def test_a_billing_run_is_a_job_whose_result_is_its_report_and_a_second_drafts_nothing(
    api: TestClient, tenant: str
):
    with bound_context(tenant_id=tenant):
        delivered_bed_and_walker(aries_of(api), date(2026, 6, 2))
    headers = headers_for(api, "biller", tenant)

    first = _finished(
        api, api.post("/v1/billing-runs", json={"as_of": "2026-08-02"}, headers=headers), headers
    )
    second = _finished(
        api, api.post("/v1/billing-runs", json={"as_of": "2026-08-02"}, headers=headers), headers
    )

    assert first["as_of"] == "2026-08-02"
    assert first["months_opened"] == 2
    assert first["claims_drafted"] == 2
    assert first["orders_examined"] >= 1  # the tenant's own orders only; other tests' too
    assert (second["months_opened"], second["claims_drafted"]) == (0, 0)


def test_a_billing_run_after_the_suppliers_today_is_refused_with_its_rule(aries):
    tomorrow = aries.claims.clock.today() + timedelta(days=1)
    with TestClient(create_app(aries)) as client:
        headers = headers_for(client, "biller", f"t-{uuid.uuid4().hex[:8]}")
        response = client.post(
            "/v1/billing-runs", json={"as_of": tomorrow.isoformat()}, headers=headers
        )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["rule"] == "billing_run_is_not_in_the_future"


def test_an_intake_user_may_not_run_billing(aries):
    with TestClient(create_app(aries)) as client:
        headers = headers_for(client, "intake", f"t-{uuid.uuid4().hex[:8]}")
        response = client.post("/v1/billing-runs", json={"as_of": "2026-08-02"}, headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_billing_run_with_a_malformed_date_is_a_422_problem(aries):
    with TestClient(create_app(aries)) as client:
        headers = headers_for(client, "biller", f"t-{uuid.uuid4().hex[:8]}")
        response = client.post("/v1/billing-runs", json={"as_of": "08/02/2026"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "as_of"]
