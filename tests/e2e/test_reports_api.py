"""Report files over HTTP (issue 20): a 202 with the job, the worker makes the file, the
download has the format's media type and a Content-Disposition; another tenant's report is a
404, a claim-level report is not an analyst's, and an expired file is 410 Gone."""

from __future__ import annotations

import io
from datetime import date

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import update

from domain.context import bound_context
from interfaces.workers.tables import report_files
from tests.conftest import eventually
from tests.e2e.conftest import aries_of, headers_for
from tests.integration.scenarios import delivered_bed_and_walker

pytestmark = pytest.mark.e2e

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _made(api: TestClient, body: dict, headers: dict) -> dict:
    accepted = api.post("/v1/reports", json=body, headers=headers)
    assert accepted.status_code == 202, accepted.text
    assert accepted.headers["location"] == f"/v1/jobs/{accepted.json()['job_id']}"
    job = eventually(
        lambda: api.get(accepted.headers["location"], headers=headers),
        lambda r: r.json()["status"] in ("succeeded", "dead"),
        what="the report job finished", timeout=60,
    ).json()
    assert job["status"] == "succeeded", job
    assert job["kind"] == "report"
    return accepted.json()


@pytest.mark.parametrize(("fmt", "media_type"), [
    ("csv", "text/csv; charset=utf-8"), ("xlsx", XLSX), ("pdf", "application/pdf"),
])
def test_a_report_job_makes_a_file_to_download_with_its_media_type(api, tenant, fmt, media_type):
    with bound_context(tenant_id=tenant):
        delivered_bed_and_walker(aries_of(api), date(2026, 6, 2))
    headers = headers_for(api, "biller", tenant)
    accepted = _made(api, {"kind": "ar_aging", "format": fmt}, headers)

    got = api.get(accepted["download"], headers=headers)

    assert got.status_code == 200
    assert got.headers["content-type"] == media_type
    assert got.headers["content-disposition"].startswith('attachment; filename="ar_aging-')
    assert got.headers["content-disposition"].endswith(f'.{fmt}"')
    if fmt == "xlsx":
        assert load_workbook(io.BytesIO(got.content)).sheetnames[-1] == "Notes"


def test_another_tenants_report_is_not_found(api, tenant):
    headers = headers_for(api, "biller", tenant)
    accepted = _made(api, {"kind": "dso", "format": "csv"}, headers)
    other = headers_for(api, "biller", f"{tenant}-other")

    assert api.get(accepted["download"], headers=other).status_code == 404
    assert api.get(f"/v1/jobs/{accepted['job_id']}", headers=other).status_code == 404


def test_an_analyst_has_aggregate_reports_but_not_the_claim_by_claim_one(api, tenant):
    analyst = headers_for(api, "analyst", tenant)
    accepted = _made(api, {"kind": "denials", "format": "csv"}, analyst)
    assert api.get(accepted["download"], headers=analyst).status_code == 200

    refused = api.post("/v1/reports", json={"kind": "timely_filing", "format": "pdf"},
                       headers=analyst)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_an_expired_report_file_is_gone_and_the_worker_deletes_it(api, tenant):
    headers = headers_for(api, "auditor", tenant)
    accepted = _made(api, {"kind": "rental_census", "format": "csv"}, headers)
    aries = aries_of(api)
    with aries.read_engine.begin() as conn:
        conn.execute(update(report_files).where(report_files.c.job_id == accepted["job_id"])
                     .values(expires_at=report_files.c.created_at))

    assert api.get(accepted["download"], headers=headers).status_code == 410
    eventually(lambda: api.get(accepted["download"], headers=headers),
               lambda r: r.status_code == 410 and _gone(aries, accepted["job_id"]),
               what="the worker deleted the expired file", timeout=30)


def _gone(aries, job_id: str) -> bool:
    with aries.read_engine.connect() as conn:
        return conn.execute(report_files.select().where(report_files.c.job_id == job_id)
                            ).first() is None


def test_a_report_period_that_ends_before_it_starts_is_a_422_problem(api, tenant):
    headers = headers_for(api, "biller", tenant)
    refused = api.post("/v1/reports", json={"kind": "denials", "format": "csv",
                                            "from_date": "2026-11-02", "as_of": "2026-11-01"},
                       headers=headers)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
