"""Bulk (non-serialised) stock moves with deliveries and pickups (issue 17): a delivery takes
the order's bulk lines' units off the shelf of the order's location, a delivery short of them
is refused naming the item and the location with nothing recorded, and a rental's pickup puts
its units back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import headers_for
from tests.e2e.test_inventory_api import DAY, receive, setup_tenant
from tests.e2e.test_orders_api import act, patient, place

pytestmark = pytest.mark.e2e

RENTED_WALKERS = [{"hcpcs": "E0143", "quantity": 2, "billing": "rental"}]


@pytest.fixture
def admin(api, tenant) -> dict[str, str]:
    return headers_for(api, "admin", tenant)


def verified_order(api, tenant: str, admin: dict[str, str], **placing: Any) -> dict[str, Any]:
    patient_id, coverage_id = patient(api, tenant)
    placed = place(api, admin, patient_id, **placing)
    verified = act(api, admin, placed["id"], "coverage-verification", {
        "coverage_id": coverage_id, "verified_on": DAY, "eligible": True,
        "same_or_similar_found": False,
    })
    # The orders log's position after the verification: a read of the order waits for it (a
    # position read off another log, such as inventory's, says nothing of the order's).
    return {**placed, "position": verified["position"]}


def on_hand(api, admin, places, item: str, position: int) -> int:
    got = api.get(f"/v1/inventory/stock/{places['north']}/{places[item]}",
                  params={"min_position": position}, headers=admin)
    assert got.status_code == 200, got.text
    return got.json()["on_hand"]


def test_a_delivery_draws_bulk_stock_and_the_rentals_pickup_puts_it_back(api, tenant, admin):
    places = setup_tenant(api, tenant)
    received = receive(api, admin, location_id=places["north"], item_id=places["walker"],
                       quantity=3)
    assert received.status_code == 201, received.text
    placed = verified_order(api, tenant, admin, lines=RENTED_WALKERS)

    delivered = act(api, admin, placed["id"], "delivery", {
        "delivered_on": DAY,
        "proof_of_delivery": {"signer_name": "Ana Rivera", "relationship": "patient",
                              "signed_on": DAY},
    })
    assert on_hand(api, admin, places, "walker", delivered["position"]) == 1
    picked = act(api, admin, placed["id"], "pickup", {
        "picked_up_on": "2026-07-15", "reason": "no longer medically necessary",
    })
    assert on_hand(api, admin, places, "walker", picked["position"]) == 3
    ledger = f"/v1/inventory/stock/{places['north']}/{places['walker']}"
    moves = api.get(f"{ledger}/movements", params={"min_position": picked["position"]},
                    headers=admin).json()["items"]
    assert [(m["movement"], m["change"], m["reason"]) for m in moves] == [
        ("received", 3, None),
        ("issued_to_order", -2, f"order {placed['id']}"),
        ("returned_from_order", 2, f"order {placed['id']}"),
    ]


def test_a_delivery_short_of_bulk_stock_is_a_409_naming_item_and_location_and_records_nothing(
    api, tenant, admin
):
    places = setup_tenant(api, tenant)
    receive(api, admin, location_id=places["north"], item_id=places["bed"], quantity=1,
            serials=["BED-SHORT"])
    receive(api, admin, location_id=places["south"], item_id=places["walker"], quantity=5)
    last = receive(api, admin, location_id=places["north"], item_id=places["walker"],
                   quantity=1)
    placed = verified_order(api, tenant, admin, lines=[
        {"hcpcs": "E0260", "quantity": 1, "billing": "rental"},
        {"hcpcs": "E0143", "quantity": 2, "billing": "purchase_new"},
    ])

    refused = api.post(f"/v1/orders/{placed['id']}/delivery", json={
        "delivered_on": DAY,
        "proof_of_delivery": {
            "signer_name": "Ana Rivera", "relationship": "patient", "signed_on": DAY,
            "serial_numbers": [{"line_id": placed["line_ids"][0], "serial": "BED-SHORT"}],
        },
    }, headers=admin)

    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["rule"] == "delivery_is_in_stock_at_the_location"
    assert places["walker"] in problem["detail"] and places["north"] in problem["detail"]
    assert "1 on hand" in problem["detail"]  # the other location's 5 are not this shelf's
    order = api.get(f"/v1/orders/{placed['id']}", params={"min_position": placed["position"]},
                    headers=admin).json()
    assert order["delivered_on"] is None
    position = {"min_position": last.json()["position"]}
    serial = api.get("/v1/serials/BED-SHORT", params=position, headers=admin).json()
    assert serial["status"] == "in_stock"  # the serial did not leave either
    assert on_hand(api, admin, places, "walker", last.json()["position"]) == 1
    assert on_hand(api, admin, places, "bed", last.json()["position"]) == 1
