"""Batch actions over HTTP: a payer's scrubbed claims, or the work queue's claims to submit, go
out from one call (202 + one job); claims a rule refuses are named in the job's result."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from application.claim_batches import submit_claims
from domain.context import bound_context
from tests.conftest import eventually
from tests.e2e.conftest import aries_of, headers_for
from tests.e2e.test_claims_api import drafted_claim, filed_claim

pytestmark = pytest.mark.e2e


def finished(api, job_id: str, headers) -> dict:
    return eventually(
        lambda: api.get(f"/v1/jobs/{job_id}", headers=headers),
        lambda r: r.status_code == 200 and r.json()["status"] in ("succeeded", "dead"),
    ).json()


def test_the_work_queues_claims_are_submitted_from_one_call(api, tenant):
    biller = headers_for(api, "biller", tenant)
    claim = drafted_claim(api, tenant, biller)
    eventually(
        lambda: api.get("/v1/claims/work-queue", params={"kind": "submit_claim"}, headers=biller),
        lambda r: r.status_code == 200 and r.json()["items"],
    )

    batch = api.post("/v1/claims/batch-submissions", json={"work_queue": True}, headers=biller)

    assert batch.status_code == 202, batch.text
    assert (batch.json()["claims"], batch.headers["Location"]) == (
        1, f"/v1/jobs/{batch.json()['job_id']}"
    )
    job = finished(api, batch.json()["job_id"], biller)
    assert (job["status"], job["kind"]) == ("succeeded", "claim_batch"), job
    assert job["result"]["requested"] == [{"claim_id": claim["id"], "submission_number": 1}]
    submitted = eventually(
        lambda: api.get(f"/v1/claims/{claim['id']}", headers=biller),
        lambda r: r.json()["status"] == "accepted",
    ).json()
    assert submitted["submission_count"] == 1


def test_a_payers_scrubbed_claims_are_submitted_from_one_call(api, tenant):
    biller = headers_for(api, "biller", tenant)
    claim = drafted_claim(api, tenant, biller)
    claims = aries_of(api).claims
    with bound_context(tenant_id=tenant):
        draft = claims.get_claim(UUID(claim["id"]))
        draft.scrub(date.today())
        scrubbed = claims.commit(draft)
    api.get("/v1/claims", params={"min_position": scrubbed.position}, headers=biller)

    batch = api.post("/v1/claims/batch-submissions", json={"payer_id": "MCR-DMEB"},
                     headers=biller)

    assert batch.status_code == 202 and batch.json()["claims"] == 1, batch.text
    job = finished(api, batch.json()["job_id"], biller)
    assert job["result"] == {
        "requested": [{"claim_id": claim["id"], "submission_number": 1}], "refused": {}
    }


def test_a_claim_a_rule_refuses_is_named_and_the_others_go_on(api, tenant):
    biller = headers_for(api, "biller", tenant)
    draft = drafted_claim(api, tenant, biller)
    accepted, _ = filed_claim(api, tenant)

    with bound_context(tenant_id=tenant):
        result = submit_claims(aries_of(api).claims, [accepted.id, UUID(draft["id"])])

    assert result == {
        "requested": [{"claim_id": draft["id"], "submission_number": 1}],
        "refused": {str(accepted.id): "claim_is_submitted_once_scrubbed"},
    }


def test_a_batch_names_one_source_of_claims(api, tenant):
    biller = headers_for(api, "biller", tenant)
    both = api.post("/v1/claims/batch-submissions",
                    json={"payer_id": "MCR-DMEB", "work_queue": True}, headers=biller)
    neither = api.post("/v1/claims/batch-submissions", json={}, headers=biller)
    assert (both.status_code, neither.status_code) == (422, 422)


def test_a_statement_run_is_read_only_in_its_own_tenant_and_once_finished(api, tenant):
    biller = headers_for(api, "biller", tenant)
    run = api.post("/v1/claims/patient-statements", json={"min_balance": "1.00"},
                   headers=biller)
    assert run.status_code == 202, run.text
    job_id = run.json()["job_id"]
    finished(api, job_id, biller)
    outsider = headers_for(api, "biller", f"t-other-{tenant}")

    mine = api.get(f"/v1/claims/patient-statements/{job_id}", headers=biller)
    theirs = api.get(f"/v1/claims/patient-statements/{job_id}", headers=outsider)

    assert mine.status_code == 200 and mine.json()["statements"] == []
    assert theirs.status_code == 404
