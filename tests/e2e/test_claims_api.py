"""The claims API over HTTP, with the projector and the worker running (tests/e2e/conftest.py):
a delivered order's claim appears, is read, submitted, appealed and voided; the work queue and
the AR aging answer; tenants, versions and rules are enforced."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.claim import Claim
from domain.context import bound_context
from tests.conftest import eventually
from tests.e2e.conftest import access_entries, aries_of, headers_for, supplier_today
from tests.integration.scenarios import delivered_bed_and_walker
from tests.unit.claim_builders import NS, accepted, at, denial, scrubbed

pytestmark = pytest.mark.e2e


def today() -> date:
    return supplier_today()


def drafted_claim(api, tenant: str, headers: dict[str, str]) -> dict[str, Any]:
    """Deliver a bed and a walker in `tenant` and wait for the worker's claim to be listed."""
    with bound_context(tenant_id=tenant):
        order = delivered_bed_and_walker(aries_of(api), today() - timedelta(days=3))
    page = eventually(
        lambda: api.get("/v1/claims", params={"order_id": str(order.order_id)}, headers=headers),
        lambda r: r.status_code == 200 and len(r.json()["items"]) == 1,
        timeout=30,
    )
    return page.json()["items"][0]


def filed_claim(api, tenant: str, *, denied_on: date | None = None) -> tuple[Claim, int]:
    """A claim recorded through the application (accepted, and denied if asked), and the
    position to read it at."""
    with bound_context(tenant_id=tenant):
        claim = accepted(order_id=uuid.uuid5(NS, f"e2e-{uuid.uuid4()}"))
        if denied_on is not None:
            claim.adjudicate("TRN-1", "ICN-1", "4", denial(claim), denied_on)
        result = aries_of(api).claims.commit(claim)
    return claim, result.position


def test_a_delivered_orders_claim_is_listed_and_read_with_lines_ledger_and_etag(api, tenant):
    biller = headers_for(api, "biller", tenant)
    summary = drafted_claim(api, tenant, biller)

    detail = api.get(f"/v1/claims/{summary['id']}", headers=biller)

    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert detail.headers["ETag"] == f'"{body["version"]}"'
    assert body["status"] == "draft"
    assert sorted(line["hcpcs"] for line in body["lines"]) == ["E0143", "E0260"]
    assert [entry["kind"] for entry in body["ledger"]] == ["charge", "charge"]
    assert Decimal(body["balance"]) == Decimal(body["charge_total"]) > 0
    assert body["current_payer_id"] == "MCR-DMEB"


def test_submitting_records_the_request_and_moves_the_claim_off_the_work_queue(api, tenant):
    biller = headers_for(api, "biller", tenant)
    claim_id = drafted_claim(api, tenant, biller)["id"]
    to_submit = eventually(
        lambda: api.get("/v1/claims/work-queue", params={"kind": "submit_claim"}, headers=biller),
        lambda r: r.status_code == 200 and r.json()["items"],
        timeout=30,
    )
    assert [item["subject_id"] for item in to_submit.json()["items"]] == [claim_id]

    submitted = api.post(f"/v1/claims/{claim_id}/submit", headers={**biller, "If-Match": '"1"'})

    assert submitted.status_code == 202, submitted.text
    position = submitted.json()["position"]
    read = api.get(f"/v1/claims/{claim_id}", params={"min_position": position}, headers=biller)
    assert read.json()["status"] in ("submission_requested", "submitted", "accepted")
    assert read.json()["submission_count"] == 1
    queue = api.get(
        "/v1/claims/work-queue", params={"min_position": position}, headers=biller
    ).json()["items"]
    assert "submit_claim" not in {item["kind"] for item in queue}


def test_a_stale_if_match_is_412_and_a_refused_submission_is_409_with_the_rule(api, tenant):
    biller = headers_for(api, "biller", tenant)
    claim_id = drafted_claim(api, tenant, biller)["id"]

    stale = api.post(f"/v1/claims/{claim_id}/submit", headers={**biller, "If-Match": '"7"'})
    first = api.post(f"/v1/claims/{claim_id}/submit", headers=biller)
    again = api.post(f"/v1/claims/{claim_id}/submit", headers=biller)

    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert first.status_code == 202
    assert again.status_code == 409
    assert again.json()["rule"] == "claim_is_submitted_once_scrubbed"


def test_a_denied_claim_is_on_the_work_queue_until_appealed(api, tenant):
    biller = headers_for(api, "biller", tenant)
    denied_on = today() - timedelta(days=5)
    claim, position = filed_claim(api, tenant, denied_on=denied_on)
    queue = api.get(
        "/v1/claims/work-queue",
        params={"min_position": position, "kind": "appeal_denial"},
        headers=biller,
    ).json()["items"]
    assert [(i["subject_id"], i["due_on"]) for i in queue] == [
        (str(claim.id), (denied_on + timedelta(days=125)).isoformat())  # 120 from receipt
    ]

    appealed = api.post(
        f"/v1/claims/{claim.id}/appeals",
        json={"level": "redetermination", "reason": "meets the policy"},
        headers=biller,
    )

    assert appealed.status_code == 200, appealed.text
    read = api.get(
        f"/v1/claims/{claim.id}",
        params={"min_position": appealed.json()["position"]},
        headers=biller,
    ).json()
    assert (read["status"], read["appeal_level"], read["appeal_status"]) == (
        "appealed", "redetermination", "open",
    )
    assert read["denial_carcs"] == ["50"]
    queue = api.get(
        "/v1/claims/work-queue",
        params={"min_position": appealed.json()["position"], "kind": "appeal_denial"},
        headers=biller,
    ).json()["items"]
    assert queue == []


def test_voiding_a_filed_claim_reverses_its_charges(api, tenant):
    biller = headers_for(api, "biller", tenant)
    claim, position = filed_claim(api, tenant)

    voided = api.post(
        f"/v1/claims/{claim.id}/void", json={"reason": "billed in error"}, headers=biller
    )

    assert voided.status_code == 200, voided.text
    read = api.get(
        f"/v1/claims/{claim.id}",
        params={"min_position": voided.json()["position"]},
        headers=biller,
    ).json()
    assert (read["status"], read["frequency_code"], Decimal(read["balance"])) == (
        "voided", "8", Decimal("0.00"),
    )
    assert [entry["kind"] for entry in read["ledger"]][-2:] == ["reversal", "reversal"]


def test_another_tenants_claim_is_not_found(api, tenant):
    claim, position = filed_claim(api, tenant)
    outsider = headers_for(api, "biller", f"t-{uuid.uuid4().hex[:10]}")
    biller = headers_for(api, "biller", tenant)
    api.get(f"/v1/claims/{claim.id}", params={"min_position": position}, headers=biller)

    read = api.get(f"/v1/claims/{claim.id}", headers=outsider)
    void = api.post(f"/v1/claims/{claim.id}/void", json={"reason": "x"}, headers=outsider)
    listed = api.get("/v1/claims", headers=outsider)

    assert (read.status_code, void.status_code) == (404, 404)
    assert listed.json()["items"] == []


def test_the_aging_answers_open_balances_by_payer_and_filters_claims_by_bucket(api, tenant):
    biller = headers_for(api, "biller", tenant)
    claim, position = filed_claim(api, tenant)  # service 2025-03-10: well past 120 days

    aging = api.get(
        "/v1/claims/aging", params={"min_position": position}, headers=biller
    )
    old = api.get("/v1/claims", params={"aging": "120+"}, headers=biller)
    recent = api.get("/v1/claims", params={"aging": "0-30"}, headers=biller)

    assert aging.status_code == 200, aging.text
    assert [
        (row["payer_id"], row["open_claims"], row["balance"], row["days_over_120"])
        for row in aging.json()["payers"]
    ] == [("MCR-DMEB", 1, "180.00", "180.00")]
    assert [item["id"] for item in old.json()["items"]] == [str(claim.id)]
    assert recent.json()["items"] == []


def test_analysts_read_the_aging_but_not_claims_and_intake_sees_no_claims(api, tenant):
    analyst = headers_for(api, "analyst", tenant)
    intake = headers_for(api, "intake", tenant)

    assert api.get("/v1/claims/aging", headers=analyst).status_code == 200
    assert api.get("/v1/claims", headers=analyst).status_code == 403
    assert api.get("/v1/claims/work-queue", headers=analyst).status_code == 403
    assert api.get("/v1/claims", headers=intake).status_code == 403
    assert api.get("/v1/claims/aging", headers=intake).status_code == 403


def test_claims_are_paged_with_a_cursor(api, tenant):
    biller = headers_for(api, "biller", tenant)
    filed = [filed_claim(api, tenant) for _ in range(3)]
    claims = [claim for claim, _ in filed]
    wait = {"min_position": max(position for _, position in filed)}

    first = api.get("/v1/claims", params={**wait, "limit": 2}, headers=biller).json()
    second = api.get(
        "/v1/claims", params={"limit": 2, "cursor": first["next_cursor"]}, headers=biller
    ).json()
    bad = api.get("/v1/claims", params={"cursor": "not-a-cursor"}, headers=biller)

    seen = [item["id"] for item in first["items"] + second["items"]]
    assert sorted(seen) == sorted(str(c.id) for c in claims)
    assert second["next_cursor"] is None
    assert bad.status_code == 400


def unconfirmed_claim(api, tenant: str) -> tuple[Claim, int]:
    """A claim whose interchange the clearinghouse could not confirm, and its position."""
    with bound_context(tenant_id=tenant):
        claim = scrubbed(order_id=uuid.uuid5(NS, f"e2e-{uuid.uuid4()}"))
        claim.request_submission(1)
        claim.prepare_transmission("000000321", [claim.id], at(12))
        claim.leave_transmission_unconfirmed("no status service", at(12))
        result = aries_of(api).claims.commit(claim)
    return claim, result.position


def test_an_unconfirmed_transmission_waits_on_the_work_queue_until_a_biller_settles_it(
    api, tenant
):
    biller = headers_for(api, "biller", tenant)
    claim, position = unconfirmed_claim(api, tenant)
    queue = api.get(
        "/v1/claims/work-queue",
        params={"min_position": position, "kind": "confirm_transmission"},
        headers=biller,
    ).json()["items"]
    assert [i["subject_id"] for i in queue] == [str(claim.id)]
    assert "000000321" in queue[0]["detail"]

    stale = api.post(f"/v1/claims/{claim.id}/transmission-settlement", json={"received": True},
                     headers={**biller, "If-Match": f'"{claim.version - 1}"'})
    settled = api.post(f"/v1/claims/{claim.id}/transmission-settlement",
                       json={"received": True},
                       headers={**biller, "If-Match": f'"{claim.version}"'})
    again = api.post(f"/v1/claims/{claim.id}/transmission-settlement", json={"received": False},
                     headers=biller)

    assert stale.status_code == 412
    assert settled.status_code == 200, settled.text
    assert again.status_code == 409
    assert again.json()["rule"] == "only_an_unconfirmed_transmission_is_settled"
    after = settled.json()["position"]
    read = api.get(f"/v1/claims/{claim.id}", params={"min_position": after}, headers=biller)
    assert (read.json()["status"], read.json()["interchange_control_number"]) == (
        "submitted", "000000321",
    )
    queue = api.get("/v1/claims/work-queue", params={"min_position": after}, headers=biller)
    assert "confirm_transmission" not in {item["kind"] for item in queue.json()["items"]}


def test_a_transmission_found_never_received_leaves_the_claim_to_submit_again(api, tenant):
    biller = headers_for(api, "biller", tenant)
    claim, _ = unconfirmed_claim(api, tenant)

    settled = api.post(f"/v1/claims/{claim.id}/transmission-settlement",
                       json={"received": False}, headers=biller)

    assert settled.status_code == 200, settled.text
    read = api.get(f"/v1/claims/{claim.id}",
                   params={"min_position": settled.json()["position"]}, headers=biller)
    assert read.json()["status"] == "scrubbed"


@pytest.mark.parametrize("body", [{}, {"received": "yes"}, {"received": True, "extra": 1}])
def test_a_settlement_without_a_plain_yes_or_no_is_a_422(api, tenant, body):
    biller = headers_for(api, "biller", tenant)
    claim, _ = unconfirmed_claim(api, tenant)
    answer = api.post(f"/v1/claims/{claim.id}/transmission-settlement", json=body,
                      headers=biller)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_another_tenants_unconfirmed_claim_cannot_be_settled(api, tenant):
    claim, _ = unconfirmed_claim(api, tenant)
    outsider = headers_for(api, "biller", f"t-{uuid.uuid4().hex[:10]}")
    answer = api.post(f"/v1/claims/{claim.id}/transmission-settlement",
                      json={"received": True}, headers=outsider)
    assert answer.status_code == 404
def test_reading_listing_and_queueing_claims_are_phi_reads_in_the_access_log(api, tenant):
    biller = headers_for(api, "biller", tenant)
    summary = drafted_claim(api, tenant, biller)
    patient_id = uuid.UUID(summary["patient_id"])

    reads = [
        (api.get(f"/v1/claims/{summary['id']}", headers=biller), "read"),
        (api.get("/v1/claims", params={"patient_id": str(patient_id)}, headers=biller),
         "search"),
        (api.get("/v1/claims/work-queue", headers=biller), "search"),
    ]
    for response, action in reads:
        assert response.status_code == 200, response.text
        [entry] = access_entries(api, response)
        assert (entry.action, entry.fields_class, entry.outcome, entry.tenant_id) == (
            action, "claims", "allowed", tenant,
        )
        assert patient_id in entry.patient_ids
    intake = headers_for(api, "intake", tenant)
    refused = api.get(f"/v1/claims/{summary['id']}", headers=intake)
    assert refused.status_code == 403
    [denial] = access_entries(api, refused)
    assert (denial.fields_class, denial.outcome) == ("claims", "denied")
