"""Stock and serials over HTTP: a warehouse receives and counts stock, a delivery takes a serial
out of stock at the order's location, where a serial is and what a patient rents are answered
(and access-logged), the census counts rentals, the rules answer problem+json, and another
tenant's stock, serials and patients are 404."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from domain.context import bound_context
from tests.e2e.conftest import access_entries, aries_of, headers_for
from tests.e2e.test_orders_api import act, patient, place
from tests.setup_builders import denver, location

pytestmark = pytest.mark.e2e

DAY = "2026-06-01"


def setup_tenant(api, tenant: str) -> dict[str, Any]:
    """Two locations and a bed and a walker in the tenant's catalogue."""
    aries = aries_of(api)
    with bound_context(tenant_id=tenant):
        north = aries.setup.open_location(location()).id
        south = aries.setup.open_location(denver()).id
        bed = aries.catalogue.add_item(hcpcs="E0260", manufacturer="Invacare", model="G5510").id
        walker = aries.catalogue.add_item(hcpcs="E0143", manufacturer="Drive", model="10210").id
    return {"north": str(north), "south": str(south), "bed": str(bed), "walker": str(walker)}


def receive(api, headers, **body: Any) -> Any:
    return api.post("/v1/inventory/receipts", json={
        "purchase_order": "PO-1", "received_on": DAY, **body,
    }, headers=headers)


@pytest.fixture
def admin(api, tenant) -> dict[str, str]:
    return headers_for(api, "admin", tenant)


def test_stock_is_received_transferred_counted_and_read(api, tenant, admin):
    places = setup_tenant(api, tenant)
    ledger = f"/v1/inventory/stock/{places['north']}/{places['walker']}"
    received = receive(api, admin, location_id=places["north"], item_id=places["walker"],
                       quantity=6, lot="L-1")
    assert (received.status_code, received.headers["Location"]) == (201, ledger)
    moved = api.post("/v1/inventory/transfers", json={
        "from_location_id": places["north"], "to_location_id": places["south"],
        "item_id": places["walker"], "quantity": 2, "on": DAY,
    }, headers=admin)
    assert moved.status_code == 200, moved.text
    counted = api.post(f"{ledger}/counts", json={"counted": 3, "counted_on": DAY},
                       headers={**admin, "If-Match": moved.headers["ETag"]})
    assert (counted.status_code, counted.json()["difference"]) == (200, -1)

    got = api.get(ledger, params={"min_position": counted.json()["position"]}, headers=admin)
    assert (got.json()["on_hand"], got.headers["ETag"]) == (3, counted.headers["ETag"])
    moves = api.get(f"{ledger}/movements", headers=admin).json()["items"]
    assert [m["movement"] for m in moves] == ["received", "transferred_out", "counted"]


def test_taking_more_than_is_on_hand_is_a_409_naming_the_rule(api, tenant, admin):
    places = setup_tenant(api, tenant)
    receive(api, admin, location_id=places["north"], item_id=places["walker"], quantity=1)
    ledger = f"/v1/inventory/stock/{places['north']}/{places['walker']}"
    taken = api.post(f"{ledger}/adjustments", json={"delta": -2, "reason": "lost", "on": DAY},
                     headers=admin)
    assert (taken.status_code, taken.json()["rule"]) == (409, "stock_is_never_negative")
    assert taken.headers["content-type"].startswith("application/problem+json")
    negative = api.post(f"{ledger}/counts", json={"counted": -1, "counted_on": DAY},
                        headers=admin)
    assert negative.status_code == 422


def test_a_delivered_serial_is_found_with_its_patient_and_counted_in_the_census(
    api, tenant, admin
):
    places = setup_tenant(api, tenant)
    receive(api, admin, location_id=places["north"], item_id=places["bed"], quantity=1,
            serials=["BED-0001"])
    # The walker (bulk) on the order is drawn from the location's stock too.
    receive(api, admin, location_id=places["north"], item_id=places["walker"], quantity=1)
    patient_id, coverage_id = patient(api, tenant)
    placed = place(api, admin, patient_id)
    bed_line = placed["line_ids"][0]
    act(api, admin, placed["id"], "coverage-verification", {
        "coverage_id": coverage_id, "verified_on": DAY, "eligible": True,
        "same_or_similar_found": False,
    })
    delivered = act(api, admin, placed["id"], "delivery", {
        "delivered_on": DAY,
        "proof_of_delivery": {
            "signer_name": "Ana Rivera", "relationship": "patient", "signed_on": DAY,
            "serial_numbers": [{"line_id": bed_line, "serial": "BED-0001"}],
        },
    })
    at = {"min_position": delivered["position"]}

    where = api.get("/v1/serials/BED-0001", params=at, headers=admin)
    assert where.status_code == 200, where.text
    assert (where.json()["status"], where.json()["patient_id"]) == ("rented", patient_id)
    [entry] = access_entries(api, where)
    assert list(entry.patient_ids) == [UUID(patient_id)]
    rentals = api.get(f"/v1/patients/{patient_id}/rentals", params=at, headers=admin)
    assert [r["serial"] for r in rentals.json()["items"]] == ["BED-0001"]
    assert len(access_entries(api, rentals)) == 1
    census = api.get("/v1/rental-census", params={**at, "from_month": "2026-06",
                                                   "to_month": "2026-06"}, headers=admin)
    assert census.json() == [
        {"hcpcs": "E0260", "item_id": places["bed"], "month": "2026-06", "units_rented": 1}
    ]
    stock = api.get(f"/v1/inventory/stock/{places['north']}/{places['bed']}", params=at,
                    headers=admin)
    assert stock.json()["on_hand"] == 0


def test_a_serial_not_in_stock_at_the_orders_location_refuses_the_delivery(api, tenant, admin):
    places = setup_tenant(api, tenant)  # orders are placed at the first location, north
    receive(api, admin, location_id=places["south"], item_id=places["bed"], quantity=1,
            serials=["BED-S"])
    patient_id, coverage_id = patient(api, tenant)
    placed = place(api, admin, patient_id)
    act(api, admin, placed["id"], "coverage-verification", {
        "coverage_id": coverage_id, "verified_on": DAY, "eligible": True,
        "same_or_similar_found": False,
    })
    refused = api.post(f"/v1/orders/{placed['id']}/delivery", json={
        "delivered_on": DAY,
        "proof_of_delivery": {
            "signer_name": "Ana Rivera", "relationship": "patient", "signed_on": DAY,
            "serial_numbers": [{"line_id": placed["line_ids"][0], "serial": "BED-S"}],
        },
    }, headers=admin)
    assert (refused.status_code, refused.json()["rule"]) == (
        409, "serial_is_delivered_from_its_location"
    )


def test_another_tenants_stock_serials_and_patients_are_not_found(api, tenant, admin):
    places = setup_tenant(api, tenant)
    received = receive(api, admin, location_id=places["north"], item_id=places["bed"],
                       quantity=1, serials=["BED-T"])
    at = {"min_position": received.json()["position"]}
    patient_id, _ = patient(api, tenant)
    other = headers_for(api, "admin", f"{tenant}-other")
    ledger = f"/v1/inventory/stock/{places['north']}/{places['bed']}"

    assert api.get(ledger, params=at, headers=other).status_code == 404
    assert api.get("/v1/serials/BED-T", params=at, headers=other).status_code == 404
    assert api.get("/v1/serials/BED-T/history", params=at, headers=other).status_code == 404
    assert api.get(f"/v1/patients/{patient_id}/rentals", headers=other).status_code == 404
    assert api.get("/v1/inventory/stock", params=at, headers=other).json()["items"] == []
    assert api.get("/v1/rental-census", params=at, headers=other).json() == []
    assert receive(api, other, location_id=places["north"], item_id=places["bed"],
                   quantity=1, serials=["BED-U"]).status_code == 404
    assert api.get(f"{ledger}/movements", params=at, headers=other).status_code == 404
    for command, body in (
        ("adjustments", {"delta": 1, "reason": "found", "on": DAY}),
        ("counts", {"counted": 0, "counted_on": DAY}),
    ):
        assert api.post(f"{ledger}/{command}", json=body, headers=other).status_code == 404
    point = api.put(f"{ledger}/reorder-point", json={"reorder_point": 2}, headers=other)
    moved = api.post("/v1/inventory/transfers", json={
        "from_location_id": places["north"], "to_location_id": places["south"],
        "item_id": places["bed"], "serials": ["BED-T"], "on": DAY,
    }, headers=other)
    assert (point.status_code, moved.status_code) == (404, 404)
    for command, body in (
        ("retirement", {"reason": "x", "on": DAY}),
        ("service", {"service": "cleaning", "on": DAY}),
        ("restock", {"location_id": places["north"], "on": DAY}),
        ("sale", {"on": DAY}),
    ):
        answer = api.post(f"/v1/serials/BED-T/{command}", json=body, headers=other)
        assert answer.status_code == 404, (command, answer.text)
