"""The supplier's setup over HTTP: company, locations and payers, with If-Match, read-your-
writes and tenancy (another tenant's location or payer is a 404, its lists show none)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import headers_for
from tests.e2e.test_orders_api import BED_AND_WALKER, PRACTITIONER, patient

pytestmark = pytest.mark.e2e

DENVER = {
    "name": "Denver",
    "npi": "1245319599",
    "ptan": "1234560002",
    "tax_id": "37-1234567",
    "address": {"line1": "2200 Blake St", "city": "Denver", "state": "CO",
                "postal_code": "80205"},
    "contact": {"name": "Denver Billing", "phone": "303-555-0100"},
    "time_zone": "America/Denver",
}
AETNA = {
    "payer_id": "COM-AETNA",
    "name": "Aetna",
    "payer_type": "commercial",
    "x12_payer_id": "60054",
    "timely_filing_days": 180,
}


def test_a_location_is_opened_read_corrected_with_if_match_and_closed(api, tenant):
    admin = headers_for(api, "admin", tenant)
    opened = api.post("/v1/locations", json=DENVER, headers=admin)
    assert opened.status_code == 201, opened.text
    url = opened.headers["Location"]

    read = api.get(url, params={"min_position": opened.json()["position"]}, headers=admin)
    assert read.status_code == 200
    assert (read.json()["npi"], read.json()["contact"]["phone"]) == ("1245319599", "3035550100")
    assert read.headers["ETag"] == '"1"'

    stale = api.patch(url, json={"name": "Denver Downtown"}, headers={**admin, "If-Match": '"7"'})
    assert stale.status_code == 412
    corrected = api.patch(url, json={"name": "Denver Downtown"},
                          headers={**admin, "If-Match": '"1"'})
    assert corrected.status_code == 200 and corrected.headers["ETag"] == '"2"'

    closed = api.post(f"{url}/close", json={"closed_on": "2026-12-31"}, headers=admin)
    assert closed.status_code == 200
    again = api.patch(url, json={"name": "Denver Old"}, headers=admin)
    assert (again.status_code, again.json()["rule"]) == (
        409, "a_closed_location_takes_no_changes"
    )


def test_a_location_with_a_bad_npi_is_refused_naming_the_rule(api, tenant):
    admin = headers_for(api, "admin", tenant)
    refused = api.post("/v1/locations", json={**DENVER, "npi": "1234567890"}, headers=admin)
    assert (refused.status_code, refused.json()["rule"]) == (409, "npi_passes_luhn_check")


def test_another_tenants_location_and_payer_are_not_found(api, tenant):
    admin = headers_for(api, "admin", tenant)
    location = api.post("/v1/locations", json=DENVER, headers=admin)
    payer = api.post("/v1/payers", json=AETNA, headers=admin)
    other = headers_for(api, "admin", f"{tenant}-other")

    for url in (location.headers["Location"], payer.headers["Location"]):
        assert api.get(url, params={"min_position": 0}, headers=other).status_code == 404
        assert api.patch(url, json={"name": "Mine"}, headers=other).status_code == 404
    listed = api.get("/v1/locations", params={"min_position": location.json()["position"]},
                     headers=other)
    assert listed.json()["items"] == []
    assert api.get("/v1/payers", headers=other).json()["items"] == []


def test_a_payer_is_registered_with_its_default_filing_indicator_and_is_unique(api, tenant):
    biller = headers_for(api, "biller", tenant)
    registered = api.post("/v1/payers", json=AETNA, headers=biller)
    assert registered.status_code == 201, registered.text

    listed = api.get("/v1/payers", params={"min_position": registered.json()["position"]},
                     headers=biller)
    (item,) = listed.json()["items"]
    assert (item["payer_id"], item["claim_filing_indicator"], item["timely_filing_days"]) == (
        "COM-AETNA", "CI", 180
    )
    again = api.post("/v1/payers", json=AETNA, headers=biller)
    assert (again.status_code, again.json()["rule"]) == (409, "payer_id_is_unique_per_tenant")


def test_the_company_is_registered_once_and_read_back(api, tenant):
    admin = headers_for(api, "admin", tenant)
    body = {**{k: DENVER[k] for k in ("tax_id", "address", "contact", "time_zone")},
            "legal_name": "Rocky Mountain DME LLC", "billing_npi": "1245319599"}
    registered = api.post("/v1/company", json=body, headers=admin)
    assert registered.status_code == 201, registered.text
    read = api.get("/v1/company", params={"min_position": registered.json()["position"]},
                   headers=admin)
    assert read.json()["legal_name"] == "Rocky Mountain DME LLC"
    again = api.post("/v1/company", json=body, headers=admin)
    assert (again.status_code, again.json()["rule"]) == (409, "a_tenant_is_one_company")


def test_an_order_placed_at_a_location_shows_it_and_another_tenants_location_is_refused(
    api, tenant
):
    admin, intake = headers_for(api, "admin", tenant), headers_for(api, "intake", tenant)
    location = api.post("/v1/locations", json=DENVER, headers=admin).json()
    elsewhere = api.post("/v1/locations", json=DENVER,
                         headers=headers_for(api, "admin", f"{tenant}-other")).json()
    patient_id, _ = patient(api, tenant)
    body = {"patient_id": patient_id, "order_date": "2026-06-01", "practitioner": PRACTITIONER,
            "diagnoses": ["G47.33"], "lines": BED_AND_WALKER}

    placed = api.post("/v1/orders", json={**body, "location_id": location["id"]}, headers=intake)
    refused = api.post("/v1/orders", json={**body, "location_id": elsewhere["id"]},
                       headers=intake)

    assert placed.status_code == 201, placed.text
    read = api.get(placed.headers["Location"],
                   params={"min_position": placed.json()["position"]}, headers=intake)
    assert read.json()["location_id"] == location["id"]
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "location_id"]


def test_payers_come_a_page_at_a_time_by_payer_id_and_a_forged_cursor_is_400(api, tenant):
    admin = headers_for(api, "admin", tenant)
    positions = [
        api.post("/v1/payers", json={**AETNA, "payer_id": f"COM-{n}", "name": f"Payer {n}"},
                 headers=admin).json()["position"]
        for n in ("C", "A", "B")
    ]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "min_position": max(positions),
                  **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/payers", params=params, headers=admin).json()
        seen += [item["payer_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["COM-A", "COM-B", "COM-C"]

    forged = api.get("/v1/payers", params={"cursor": "WyJub3QtYS1kYXRlIiwieCJd"}, headers=admin)
    assert (forged.status_code, forged.json()["type"]) == (
        400, "https://aries.dev/problems/bad-cursor"
    )
