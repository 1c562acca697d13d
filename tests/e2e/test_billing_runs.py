from __future__ import annotations

import uuid
from datetime import date

import pytest
from fastapi.testclient import TestClient

from domain.context import bound_context
from interfaces.http.app import create_app
from tests.e2e.conftest import headers_for
from tests.integration.scenarios import delivered_bed_and_walker

pytestmark = pytest.mark.e2e


def test_a_biller_runs_billing_once_and_a_second_run_drafts_nothing(aries):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    with bound_context(tenant_id=tenant):
        delivered_bed_and_walker(aries, date(2026, 6, 2))
    with TestClient(create_app(aries)) as client:
        headers = headers_for(client, "biller", tenant)

        first = client.post("/v1/billing-runs", json={"as_of": "2026-08-02"}, headers=headers)
        second = client.post("/v1/billing-runs", json={"as_of": "2026-08-02"}, headers=headers)

    assert first.status_code == 200, first.text
    assert first.json()["orders_examined"] == 1
    assert first.json()["months_opened"] == 2
    assert first.json()["claims_drafted"] == 2
    assert second.json()["months_opened"] == 0
    assert second.json()["claims_drafted"] == 0


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
