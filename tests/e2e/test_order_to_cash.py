"""Order to cash over HTTP, as a supplier's staff would drive it, against the running product
(real PostgreSQL and Redis; projector, reactions and Dramatiq workers in threads): log in,
register a patient, add Medicare coverage, place, verify, document and deliver an order, see its
claim drafted, submit it (837P to the sandbox clearinghouse, acknowledged by its 277CA), post the
payer's 835, and read the paid claim and its history as an auditor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import eventually
from tests.e2e.conftest import headers_for
from tests.e2e.http_orders import delivered_over_http
from tests.unit.remittance_835 import Clp, Svc, build_835

pytestmark = pytest.mark.e2e

CENT = Decimal("0.01")
MBI = "1EG4TE5MK73"


def ok(response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def test_a_delivered_order_is_claimed_submitted_paid_and_audited_over_http(
    api: TestClient, tenant: str
):
    intake = headers_for(api, "intake", tenant)
    biller = headers_for(api, "biller", tenant)
    auditor = headers_for(api, "auditor", tenant)
    delivered_on = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()

    # Intake registers the patient and her Medicare coverage.
    patient = ok(api.post("/v1/patients", headers=intake, json={
        "first_name": "Ana", "last_name": "Rivera", "date_of_birth": "1948-03-09",
        "sex": "female", "mbi": MBI,
        "address": {"line1": "12 Elm St", "city": "Springfield", "state": "IL",
                    "postal_code": "62701"},
    }), 201)
    coverage = ok(api.post(f"/v1/patients/{patient['id']}/coverages", headers=intake, json={
        "payer_id": "MCR-DMEB", "payer_name": "Medicare DME MAC Jurisdiction B",
        "member_id": MBI, "rank": "primary", "relationship_to_subscriber": "self",
        "effective_from": "2025-01-01",
    }), 201)
    read = ok(api.get(f"/v1/patients/{patient['id']}", headers=intake,
                      params={"min_position": coverage["position"]}))
    assert read["primary_coverage"]["payer_id"] == "MCR-DMEB"

    # ...places a hospital bed (rental) and a walker (purchase), and delivers them.
    order, delivered = delivered_over_http(
        api, intake, patient["id"], coverage["coverage_id"], delivered_on
    )
    assert ok(api.get(f"/v1/orders/{order['id']}", headers=intake,
                      params={"min_position": delivered["position"]}))["status"] == "delivered"

    # The claims process manager drafts the month's claim; the biller sees it in GET /v1/claims.
    claims = eventually(
        lambda: api.get("/v1/claims", headers=biller, params={"order_id": order["id"]}),
        lambda r: r.status_code == 200 and len(r.json()["items"]) == 1,
    ).json()["items"]
    claim = claims[0]
    assert (claim["status"], claim["payer_id"]) == ("draft", "MCR-DMEB")

    # Submitting goes out as an 837P through the workers; the sandbox's 277CA accepts it.
    submitted = ok(api.post(f"/v1/claims/{claim['id']}/submit", headers=biller), 202)
    job = eventually(
        lambda: api.get(f"/v1/jobs/{submitted['job_id']}", headers=biller),
        lambda r: r.status_code == 200 and r.json()["status"] in ("succeeded", "dead"),
    ).json()
    assert job["status"] == "succeeded", job
    accepted = eventually(
        lambda: api.get(f"/v1/claims/{claim['id']}", headers=biller),
        lambda r: r.json()["status"] == "accepted",
    ).json()
    assert accepted["interchange_control_number"]
    assert "ISA*" in api.get(f"/v1/claims/{claim['id']}/x12", headers=biller).text

    # The payer's 835 pays 80% of the allowed amount of each line; the patient owes 20%.
    services = []
    for line in accepted["lines"]:
        charge = Decimal(line["charge"])
        allowed = (charge * Decimal("0.80")).quantize(CENT)
        coinsurance = (allowed * Decimal("0.20")).quantize(CENT)
        services.append(Svc(
            line["hcpcs"], tuple(line["modifiers"]), charge, allowed - coinsurance,
            [("CO", "45", charge - allowed), ("PR", "2", coinsurance)],
            control=line["id"].replace("-", ""),
            served_on=datetime.fromisoformat(line["from_date"]).date(), allowed=allowed,
        ))
    remittance = build_835(
        [Clp(accepted["patient_control_number"], "1", "ICN-E2E-1", services)],
        trace=f"EFT{claim['id'][:8].upper()}", paid_on=datetime.now(UTC).date(),
    )
    received = ok(api.post("/v1/remittances", headers={**biller, "Content-Type": "text/plain"},
                           content=remittance), 202)
    posting = eventually(
        lambda: api.get(f"/v1/jobs/{received['job_id']}", headers=biller),
        lambda r: r.status_code == 200 and r.json()["status"] in ("succeeded", "dead"),
    ).json()
    assert posting["status"] == "succeeded", posting
    paid = eventually(
        lambda: api.get(f"/v1/claims/{claim['id']}", headers=biller),
        lambda r: r.json()["adjudicated_on"] is not None,
    ).json()
    payer_paid = sum(s.paid for s in services)
    coinsurance = sum(s.adjustments[1][2] for s in services)
    assert paid["status"] == "paid"
    assert Decimal(paid["paid"]) == payer_paid
    assert Decimal(paid["patient_responsibility"]) == coinsurance
    assert paid["current_payer_id"] == "patient"
    assert {(e["cas_group"], e["carc"]) for e in paid["ledger"] if e["carc"]} >= {
        ("CO", "45"), ("PR", "2")
    }
    # The same 835 again is refused and changes nothing.
    again = api.post("/v1/remittances", headers={**biller, "Content-Type": "text/plain"},
                     content=remittance)
    assert again.status_code == 409, again.text

    # An auditor reads the claim's history: who did what, in order.
    history = ok(api.get(f"/v1/audit/claims/{claim['id']}/events", headers=auditor))
    types = [event["type"] for event in history["events"]]
    assert types[:1] == ["Drafted"] and "Submitted" in types and "Adjudicated" in types
