"""A payer the tenant registers over /v1/payers, in no packaged list, is billed end to end
(decision 017): a patient's coverage names it, an order is delivered, and the month's claim is
drafted for it, priced by its imported contract rates as a commercial payer (no Medicare-only
KX/GA/GZ), filed by its own limit, and rendered as a valid 837P with its SBR09 and 2010BB.
Without rates for it the month is held naming the fee rule, never lost."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tests.conftest import eventually
from tests.e2e.conftest import headers_for
from tests.e2e.http_orders import delivered_over_http, ok
from tests.x12_validation import assert_valid_x12

pytestmark = pytest.mark.e2e

ACME = {
    "payer_id": "ACME-PPO",
    "name": "Acme Health PPO",
    "payer_type": "commercial",
    "x12_payer_id": "ACME1",
    "timely_filing_days": 90,
}
CONTRACT = b"hcpcs,modifier,amount\nE0260,RR,150.00\nE0143,NU,110.00\n"


def delivered_order(api, tenant: str, delivered_on: str) -> str:
    """A patient covered by ACME-PPO, with a bed (rental) and a walker delivered: order id."""
    intake = headers_for(api, "intake", tenant)
    patient = ok(api.post("/v1/patients", headers=intake, json={
        "first_name": "Ana", "last_name": "Rivera", "date_of_birth": "1958-03-09",
        "sex": "female",
        "address": {"line1": "12 Elm St", "city": "Springfield", "state": "IL",
                    "postal_code": "62701"},
    }), 201)
    coverage = ok(api.post(f"/v1/patients/{patient['id']}/coverages", headers=intake, json={
        "payer_id": "ACME-PPO", "payer_name": "Acme Health PPO", "member_id": "ACM123456",
        "rank": "primary", "relationship_to_subscriber": "self", "effective_from": "2025-01-01",
    }), 201)
    order, _ = delivered_over_http(
        api, intake, patient["id"], coverage["coverage_id"], delivered_on
    )
    return order["id"]


def test_a_registered_commercial_payer_is_billed_with_its_own_terms_and_837p(api, tenant):
    biller = headers_for(api, "biller", tenant)
    ok(api.post("/v1/payers", json=ACME, headers=biller), 201)
    ok(api.post("/v1/fee-schedules", content=CONTRACT,
                headers={**biller, "Content-Type": "text/csv"},
                params={"payer_id": "ACME-PPO", "source": "contract",
                        "effective_from": "2025-01-01", "file_name": "acme-2025.csv"}), 201)
    delivered_on = (datetime.now(UTC) - timedelta(days=3)).date()

    order_id = delivered_order(api, tenant, delivered_on.isoformat())

    claim = eventually(
        lambda: api.get("/v1/claims", headers=biller, params={"order_id": order_id}),
        lambda r: r.status_code == 200 and len(r.json()["items"]) == 1,
    ).json()["items"][0]
    read = ok(api.get(f"/v1/claims/{claim['id']}", headers=biller))
    assert (read["status"], read["payer_id"]) == ("draft", "ACME-PPO")
    lines = {line["hcpcs"]: line for line in read["lines"]}
    assert (lines["E0260"]["modifiers"], Decimal(lines["E0260"]["charge"])) == (
        ["RR", "KH"], Decimal("150.00")
    )
    assert (lines["E0143"]["modifiers"], Decimal(lines["E0143"]["charge"])) == (
        ["NU"], Decimal("110.00")
    )
    assert date.fromisoformat(read["timely_filing_deadline"]) == delivered_on + timedelta(days=90)

    x12 = api.get(f"/v1/claims/{claim['id']}/x12", headers=biller)
    assert x12.status_code == 200, x12.text
    assert_valid_x12(x12.text)
    segments = [segment.strip() for segment in x12.text.split("~")]
    assert any(s.startswith("SBR*P*18*") and s.endswith("*CI") for s in segments), x12.text
    assert "NM1*PR*2*Acme Health PPO*****PI*ACME1" in segments


def test_a_registered_payer_without_rates_holds_the_month_naming_the_fee_rule(api, tenant):
    biller = headers_for(api, "biller", tenant)
    ok(api.post("/v1/payers", json=ACME, headers=biller), 201)
    delivered_on = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()

    order_id = delivered_order(api, tenant, delivered_on)

    held = eventually(
        lambda: api.get("/v1/claims/work-queue", params={"kind": "billing_held"},
                        headers=biller),
        lambda r: r.status_code == 200 and r.json()["items"],
    ).json()["items"]
    assert len(held) == 1
    assert "payer_prices_item_for_billing" in held[0]["detail"]
    claims = ok(api.get("/v1/claims", headers=biller, params={"order_id": order_id}))
    assert claims["items"] == []
