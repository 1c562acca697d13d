"""Claim lists and the work queue carry what a biller reads (patient name and account number,
payer, amounts, age, the next action and why), and each such read is in the PHI access log."""

from __future__ import annotations

import pytest

from tests.conftest import eventually
from tests.e2e.conftest import access_entries, headers_for
from tests.e2e.test_claims_api import drafted_claim

pytestmark = pytest.mark.e2e


def test_a_listed_claim_names_its_patient_and_next_action_and_the_read_is_logged(api, tenant):
    biller = headers_for(api, "biller", tenant)
    summary = drafted_claim(api, tenant, biller)

    listed = api.get("/v1/claims", params={"order_id": summary["order_id"]}, headers=biller)

    (item,) = listed.json()["items"]
    assert (item["patient_name"], item["next_action"]) == ("Rivera, Ana", "submit")
    assert item["account_number"].startswith("A") and "MCR-DMEB" in item["next_action_why"]
    [entry] = access_entries(api, listed)
    assert (entry.action, entry.operation, entry.fields_class) == (
        "search", "list_claims", "claims"
    )
    assert [str(p) for p in entry.patient_ids] == [item["patient_id"]]


def test_a_work_item_carries_the_patient_the_amounts_and_the_age(api, tenant):
    biller = headers_for(api, "biller", tenant)
    summary = drafted_claim(api, tenant, biller)

    queue = eventually(
        lambda: api.get("/v1/claims/work-queue", params={"kind": "submit_claim"}, headers=biller),
        lambda r: r.status_code == 200 and r.json()["items"],
    )

    (item,) = queue.json()["items"]
    assert (item["claim_id"], item["patient_name"], item["account_number"]) == (
        summary["id"], "Rivera, Ana", summary["account_number"]
    )
    assert (item["balance"], item["charge_total"], item["current_payer_id"]) == (
        summary["balance"], summary["charge_total"], "MCR-DMEB"
    )
    assert item["age_days"] == 3 and item["detail"]
    [entry] = access_entries(api, queue)
    assert (entry.action, entry.operation) == ("search", "read_work_queue")
    assert [str(p) for p in entry.patient_ids] == [item["patient_id"]]


def test_reading_a_claim_is_logged_as_a_read_of_its_patient(api, tenant):
    biller = headers_for(api, "biller", tenant)
    summary = drafted_claim(api, tenant, biller)

    read = api.get(f"/v1/claims/{summary['id']}", headers=biller)

    assert read.json()["patient_name"] == "Rivera, Ana"
    [entry] = access_entries(api, read)
    assert (entry.action, entry.operation, [str(p) for p in entry.patient_ids]) == (
        "read", "read_claim", [summary["patient_id"]]
    )
