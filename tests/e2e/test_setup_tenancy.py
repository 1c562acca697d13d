"""Tenancy of issue 17's routes not covered beside their features (test_supplier_api,
test_catalogue_api, test_fee_schedules_api, test_inventory_api cover the rest): closing
another tenant's location, retiring its payer, reading or correcting its company, and
importing a schedule file another tenant has imported. Each is refused as not found, or is
the caller's own record, and the first tenant's records are unchanged."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import headers_for
from tests.e2e.test_fee_schedules_api import APRIL_2025, PARAMS
from tests.e2e.test_supplier_api import AETNA, DENVER

pytestmark = pytest.mark.e2e

COMPANY = {**{k: DENVER[k] for k in ("tax_id", "address", "contact", "time_zone")},
           "legal_name": "Rocky Mountain DME LLC", "billing_npi": "1245319599"}


def test_another_tenant_cannot_close_a_location_or_retire_a_payer(api, tenant):
    admin = headers_for(api, "admin", tenant)
    location = api.post("/v1/locations", json=DENVER, headers=admin)
    payer = api.post("/v1/payers", json=AETNA, headers=admin)
    other = headers_for(api, "admin", f"{tenant}-other")

    closed = api.post(f"{location.headers['Location']}/close", json={"closed_on": "2026-12-31"},
                      headers=other)
    retired = api.post(f"{payer.headers['Location']}/retire", headers=other)

    assert (closed.status_code, retired.status_code) == (404, 404)
    assert closed.headers["content-type"].startswith("application/problem+json")
    position = {"min_position": payer.json()["position"]}
    mine = api.get(location.headers["Location"], params=position, headers=admin).json()
    assert (mine["closed_on"], mine["version"]) == (None, 1)
    assert api.get(payer.headers["Location"], params=position, headers=admin).json()[
        "retired"] is False


def test_another_tenant_neither_reads_nor_corrects_the_company(api, tenant):
    admin = headers_for(api, "admin", tenant)
    registered = api.post("/v1/company", json=COMPANY, headers=admin)
    assert registered.status_code == 201, registered.text
    other = headers_for(api, "admin", f"{tenant}-other")
    position = {"min_position": registered.json()["position"]}

    assert api.get("/v1/company", params=position, headers=other).status_code == 404
    assert api.patch("/v1/company", json={"legal_name": "Not Mine LLC"},
                     headers=other).status_code == 404
    own = api.post("/v1/company", json={**COMPANY, "legal_name": "Other DME Inc"}, headers=other)
    assert own.status_code == 201, own.text  # its own company: "one per tenant" is per tenant
    assert api.get("/v1/company", params=position, headers=admin).json()[
        "legal_name"] == "Rocky Mountain DME LLC"


def test_the_same_schedule_file_is_each_tenants_own_import(api, tenant):
    first = {**headers_for(api, "biller", tenant), "Content-Type": "text/csv"}
    second = {**headers_for(api, "biller", f"{tenant}-other"), "Content-Type": "text/csv"}
    mine = api.post("/v1/fee-schedules", params=PARAMS, content=APRIL_2025, headers=first)
    theirs = api.post("/v1/fee-schedules", params=PARAMS, content=APRIL_2025, headers=second)

    assert (mine.status_code, theirs.status_code) == (201, 201), theirs.text
    assert mine.json()["schedule_id"] != theirs.json()["schedule_id"]
    position = {"min_position": theirs.json()["position"]}
    listed = api.get("/v1/fee-schedules", params=position, headers=first).json()["items"]
    assert [s["schedule_id"] for s in listed] == [mine.json()["schedule_id"]]
