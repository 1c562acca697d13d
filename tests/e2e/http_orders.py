"""Driving an order through intake over HTTP, as the e2e tests of billing need it: placed,
its coverage verified eligible, its SWO recorded, and delivered with its proof of delivery."""

from __future__ import annotations

from typing import Any

BED_AND_WALKER = [{"hcpcs": "E0260", "quantity": 1, "billing": "rental"},
                  {"hcpcs": "E0143", "quantity": 1, "billing": "purchase_new"}]


def ok(response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def delivered_over_http(
    api, intake: dict[str, str], patient_id: str, coverage_id: str, delivered_on: str,
    lines: list[dict[str, Any]] = BED_AND_WALKER,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Place, verify, document and deliver an order (the first line's serial BED-0001):
    (the placed answer, the delivery answer)."""
    order = ok(api.post("/v1/orders", headers=intake, json={
        "patient_id": patient_id, "order_date": delivered_on,
        "practitioner": {"name": "Dr Ada Lovelace", "npi": "1234567893"},
        "diagnoses": ["G47.33", "E11.9"],
        "lines": lines,
    }), 201)
    ok(api.post(f"/v1/orders/{order['id']}/coverage-verification", headers=intake, json={
        "coverage_id": coverage_id, "verified_on": delivered_on, "eligible": True,
        "same_or_similar_found": False,
    }))
    ok(api.post(f"/v1/orders/{order['id']}/documents", headers=intake,
                json={"swo": {"signed_on": delivered_on}}))
    delivered = ok(api.post(f"/v1/orders/{order['id']}/delivery", headers=intake, json={
        "delivered_on": delivered_on,
        "proof_of_delivery": {
            "signer_name": "Ana Rivera", "relationship": "patient", "signed_on": delivered_on,
            "serial_numbers": [{"line_id": order["line_ids"][0], "serial": "BED-0001"}],
        },
    }))
    return order, delivered
