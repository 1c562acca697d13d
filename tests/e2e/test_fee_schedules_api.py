"""Fee schedule imports over HTTP: CMS's real April 2025 file (tests/fee_schedules) as a CSV
body or a multipart upload; the same file again records nothing; another tenant sees none."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import headers_for

pytestmark = pytest.mark.e2e

APRIL_2025 = (Path(__file__).parents[1] / "fee_schedules" / "DMEPOS25_APR_excerpt.csv").read_bytes()
PARAMS = {"payer_id": "MCR-DMEB", "effective_from": "2025-04-01", "file_name": "DMEPOS25_APR.csv"}


def test_a_biller_imports_the_cms_file_once(api, tenant):
    biller = {**headers_for(api, "biller", tenant), "Content-Type": "text/csv"}
    first = api.post("/v1/fee-schedules", params=PARAMS, content=APRIL_2025, headers=biller)
    again = api.post("/v1/fee-schedules", params=PARAMS, content=APRIL_2025, headers=biller)
    assert (first.status_code, again.status_code) == (201, 200), first.text
    assert first.json()["schedule_id"] == again.json()["schedule_id"]
    assert (first.json()["row_count"], again.json()["imported"]) == (47, False)
    auditor = headers_for(api, "auditor", tenant)
    listed = api.get("/v1/fee-schedules", headers=auditor,
                     params={"min_position": first.json()["position"]}).json()["items"]
    assert [(s["effective_from"], s["source"], s["row_count"]) for s in listed] == [
        ("2025-04-01", "cms_dmepos", 47)
    ]
    got = api.get(first.headers["Location"], headers=auditor)
    assert got.json()["file_name"] == "DMEPOS25_APR.csv"


def test_a_multipart_upload_is_the_same_file(api, tenant):
    admin = headers_for(api, "admin", tenant)
    uploaded = api.post("/v1/fee-schedules", params=PARAMS, headers=admin,
                        files={"file": ("DMEPOS25_APR.csv", APRIL_2025, "text/csv")})
    assert uploaded.status_code == 201, uploaded.text


def test_refused_files_are_problems_naming_the_rule(api, tenant):
    biller = {**headers_for(api, "biller", tenant), "Content-Type": "text/csv"}
    not_dmepos = api.post("/v1/fee-schedules", params=PARAMS, content=b"a,b\n1,2\n",
                          headers=biller)
    off_quarter = api.post("/v1/fee-schedules", params={**PARAMS, "effective_from": "2025-04-02"},
                           content=APRIL_2025, headers=biller)
    unknown_payer = api.post("/v1/fee-schedules", params={**PARAMS, "payer_id": "NOPE"},
                             content=APRIL_2025, headers=biller)
    assert (not_dmepos.status_code, not_dmepos.json()["rule"]) == (
        409, "cms_file_has_a_hcpcs_header"
    )
    assert off_quarter.json()["rule"] == "cms_schedules_start_on_a_quarter"
    assert unknown_payer.json()["rule"] == "payer_is_in_reference_list"
    assert not_dmepos.headers["content-type"].startswith("application/problem+json")


def test_another_tenants_schedule_is_not_found(api, tenant):
    biller = {**headers_for(api, "biller", tenant), "Content-Type": "text/csv"}
    imported = api.post("/v1/fee-schedules", params=PARAMS, content=APRIL_2025, headers=biller)
    other = headers_for(api, "biller", f"{tenant}-other")
    position = {"min_position": imported.json()["position"]}
    assert api.get(imported.headers["Location"], params=position, headers=other).status_code == 404
    assert api.get("/v1/fee-schedules", params=position, headers=other).json()["items"] == []
