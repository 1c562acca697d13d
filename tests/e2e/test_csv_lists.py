"""`Accept: text/csv` on the list endpoints (issue 20): the same page as the JSON answer, as
CSV, access-logged the same way; JSON stays the default; OpenAPI documents both."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import eventually
from tests.e2e.conftest import access_entries, headers_for
from tests.e2e.test_claims_api import drafted_claim

pytestmark = pytest.mark.e2e

CSV = {"Accept": "text/csv"}


def _rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_the_claims_list_answers_csv_with_the_same_items_and_logs_the_read(api, tenant):
    biller = headers_for(api, "biller", tenant)
    summary = drafted_claim(api, tenant, biller)
    params = {"order_id": summary["order_id"]}

    as_json = api.get("/v1/claims", params=params, headers=biller).json()["items"]
    as_csv = api.get("/v1/claims", params=params, headers={**biller, **CSV})

    (row,) = _rows(as_csv)
    assert (row["id"], row["patient_name"], row["balance"]) == (
        as_json[0]["id"], "Rivera, Ana", as_json[0]["balance"]
    )
    [entry] = access_entries(api, as_csv)
    assert (entry.action, entry.operation) == ("search", "list_claims")


def test_the_work_queue_and_the_patients_list_answer_csv(api, tenant):
    biller = headers_for(api, "biller", tenant)
    summary = drafted_claim(api, tenant, biller)
    queue = eventually(
        lambda: api.get("/v1/claims/work-queue", params={"kind": "submit_claim"},
                        headers={**biller, **CSV}),
        lambda r: r.status_code == 200 and len(r.text.splitlines()) > 1,
    )
    assert [row["claim_id"] for row in _rows(queue)] == [summary["id"]]

    patients = _rows(api.get("/v1/patients", headers={**biller, **CSV}))
    assert [row["account_number"] for row in patients] == [summary["account_number"]]


def test_json_stays_the_answer_unless_csv_is_preferred(api, tenant):
    biller = headers_for(api, "biller", tenant)
    for accept in ("application/json", "*/*", "application/json, text/csv;q=0.5"):
        answer = api.get("/v1/claims", headers={**biller, "Accept": accept})
        assert answer.headers["content-type"] == "application/json", accept


def test_openapi_documents_csv_for_every_list(api):
    paths = api.get("/openapi.json").json()["paths"]
    for path in ("/v1/claims", "/v1/claims/work-queue", "/v1/patients"):
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/csv"}, path
