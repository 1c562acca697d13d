"""The equipment catalogue over HTTP: admins keep it, every role reads it, If-Match guards
changes, and another tenant's item is a 404."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import headers_for

pytestmark = pytest.mark.e2e

BED = {"hcpcs": "E0260", "manufacturer": "Invacare", "model": "G5510"}


def test_an_admin_adds_an_item_and_every_role_reads_it(api, tenant):
    admin = headers_for(api, "admin", tenant)
    added = api.post("/v1/equipment-items", json=BED, headers=admin)
    assert added.status_code == 201, added.text
    answer = added.json()
    assert added.headers["Location"] == f"/v1/equipment-items/{answer['id']}"
    intake = headers_for(api, "intake", tenant)
    got = api.get(added.headers["Location"], params={"min_position": answer["position"]},
                  headers=intake)
    assert got.status_code == 200, got.text
    assert got.headers["ETag"] == '"1"'
    body = got.json()
    assert (body["hcpcs"], body["category"], body["serialised"], body["active"]) == (
        "E0260", "rental", True, True
    )
    listed = api.get("/v1/equipment-items", params={"hcpcs": "E0260"}, headers=intake).json()
    assert [item["item_id"] for item in listed["items"]] == [answer["id"]]


def test_a_stale_if_match_is_412_and_a_current_one_revises(api, tenant):
    admin = headers_for(api, "admin", tenant)
    item_url = api.post("/v1/equipment-items", json=BED, headers=admin).headers["Location"]
    revised = api.patch(item_url, json={"model": "G5510 Deluxe"},
                        headers={**admin, "If-Match": '"1"'})
    assert (revised.status_code, revised.headers["ETag"]) == (200, '"2"')
    stale = api.patch(item_url, json={"model": "G5511"}, headers={**admin, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")
    got = api.get(item_url, params={"min_position": revised.json()["position"]}, headers=admin)
    assert got.json()["model"] == "G5510 Deluxe"


def test_a_code_missing_from_the_hcpcs_list_or_a_sold_capped_rental_is_refused(api, tenant):
    admin = headers_for(api, "admin", tenant)
    missing = api.post("/v1/equipment-items", json={**BED, "hcpcs": "E9999"}, headers=admin)
    sold = api.post("/v1/equipment-items", json={**BED, "category": "purchase"}, headers=admin)
    assert (missing.status_code, missing.json()["rule"]) == (409, "hcpcs_code_is_in_catalogue")
    assert (sold.status_code, sold.json()["rule"]) == (409, "item_category_suits_its_hcpcs_code")


def test_another_tenants_item_is_not_found(api, tenant):
    admin = headers_for(api, "admin", tenant)
    added = api.post("/v1/equipment-items", json=BED, headers=admin)
    item_url, position = added.headers["Location"], added.json()["position"]
    other = headers_for(api, "admin", f"{tenant}-other")
    got = api.get(item_url, params={"min_position": position}, headers=other)
    revised = api.patch(item_url, json={"model": "X"}, headers=other)
    discontinued = api.post(f"{item_url}/discontinue", headers=other)
    listed = api.get("/v1/equipment-items", params={"min_position": position}, headers=other)
    assert (got.status_code, revised.status_code, discontinued.status_code) == (404, 404, 404)
    assert listed.json()["items"] == []
