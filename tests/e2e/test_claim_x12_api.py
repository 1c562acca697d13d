"""GET /v1/claims/{id}/x12: a claim's 837P as text, for billers, admins and auditors of the
claim's tenant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.claim_ids import claim_id_for, patient_control_number_for
from domain.context import bound_context
from interfaces.http.routes import x12
from tests.e2e.conftest import headers_for
from tests.integration.scenarios import MEDICARE, delivered_bed_and_walker
from tests.x12_validation import assert_valid_x12

pytestmark = pytest.mark.e2e

DELIVERED_ON = datetime.now(UTC).date() - timedelta(days=3)


@pytest.fixture
def routed_api(api):
    # Until app.py includes the x12 router, include it here (a no-op once it does).
    if not any(getattr(r, "path", "") == "/v1/claims/{claim_id}/x12" for r in api.app.routes):
        api.app.include_router(x12.router)
    return api


def drafted_claim(api, tenant: str):
    aries = api.app.state.aries
    with bound_context(tenant_id=tenant, actor_id="test", actor_role="admin"):
        delivered = delivered_bed_and_walker(aries, DELIVERED_ON)
    claim_id = claim_id_for(delivered.order_id, f"{DELIVERED_ON:%Y-%m}", MEDICARE)
    aries.claims.catch_up_all()
    return claim_id


def test_a_biller_reads_the_claims_837p_as_valid_x12(routed_api, tenant):
    claim_id = drafted_claim(routed_api, tenant)

    response = routed_api.get(f"/v1/claims/{claim_id}/x12",
                              headers=headers_for(routed_api, "biller", tenant))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert_valid_x12(response.text)
    assert f"CLM*{patient_control_number_for(claim_id)}*" in response.text


def test_another_tenants_claim_is_not_found(routed_api, tenant):
    claim_id = drafted_claim(routed_api, tenant)

    response = routed_api.get(f"/v1/claims/{claim_id}/x12",
                              headers=headers_for(routed_api, "biller", f"other-{tenant}"))

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_an_unknown_claim_is_not_found(routed_api, tenant):
    response = routed_api.get(f"/v1/claims/{uuid4()}/x12",
                              headers=headers_for(routed_api, "auditor", tenant))
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["intake", "clinician", "analyst"])
def test_roles_outside_billing_and_audit_may_not_read_the_837p(routed_api, tenant, role):
    claim_id = drafted_claim(routed_api, tenant)
    response = routed_api.get(f"/v1/claims/{claim_id}/x12",
                              headers=headers_for(routed_api, role, tenant))
    assert response.status_code == 403
