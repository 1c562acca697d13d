"""The claim lifecycle commands over HTTP one by one: If-Match, the rules' 409s, tenancy, and
what each leaves in the read model (patient payments, refunds, write-offs with a reason code,
appeal decisions, corrections, closing)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from domain.claim import Claim
from domain.context import bound_context
from tests.e2e.conftest import aries_of, headers_for
from tests.e2e.test_claims_api import drafted_claim
from tests.unit.claim_builders import NS, at, denial, denied, paid, submitted
from tests.unit.test_claim_lifecycle_rules import reversed_after_patient_paid

pytestmark = pytest.mark.e2e


def recorded(api, tenant: str, build: Callable[[], Claim]) -> dict:
    """Build a claim in memory and record it in `tenant` (its events carry the tenant of the
    context they are made in); answer it as the API reads it."""
    with bound_context(tenant_id=tenant):
        claim = build()
        result = aries_of(api).claims.commit(claim)
    biller = headers_for(api, "biller", tenant)
    read = api.get(f"/v1/claims/{claim.id}", params={"min_position": result.position},
                   headers=biller)
    assert read.status_code == 200, read.text
    return {**read.json(), "headers": biller}


def unique(builder) -> Callable[[], Claim]:
    return lambda: builder(order_id=uuid.uuid5(NS, f"commands-{uuid.uuid4()}"))


def post(api, claim: dict, path: str, body: dict | None = None, version: int | None = None):
    headers = {**claim["headers"], "If-Match": f'"{version or claim["version"]}"'}
    return api.post(f"/v1/claims/{claim['id']}/{path}", json=body, headers=headers)


def after(api, claim: dict, answer) -> dict:
    assert answer.status_code in (200, 201), answer.text
    return api.get(f"/v1/claims/{claim['id']}", headers=claim["headers"],
                   params={"min_position": answer.json()["position"]}).json()


def test_a_patient_payment_settles_the_claim_which_then_closes_once(api, tenant):
    claim = recorded(api, tenant, unique(paid))
    stale = post(api, claim, "patient-payments", {"amount": "29.00", "reference": "chk 1"},
                 version=claim["version"] - 1)
    payment = post(api, claim, "patient-payments", {"amount": "29.00", "reference": "chk 1"})
    settled = after(api, claim, payment)
    closed = after(api, settled | {"headers": claim["headers"]},
                   post(api, settled | {"headers": claim["headers"]}, "close"))
    again = post(api, closed | {"headers": claim["headers"]}, "close")

    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert (Decimal(settled["balance"]), Decimal(settled["patient_paid"])) == (0, Decimal("29"))
    assert (closed["status"], closed["next_action"]) == ("closed", "none")
    assert (again.status_code, again.json()["rule"]) == (409, "claim_is_closed_once")


def test_a_claim_with_a_balance_does_not_close_and_a_payment_over_the_balance_is_refused(
    api, tenant
):
    claim = recorded(api, tenant, unique(paid))
    close = post(api, claim, "close")
    over = post(api, claim, "patient-payments", {"amount": "29.01", "reference": "chk 1"})
    assert (close.status_code, close.json()["rule"]) == (409, "claim_closes_only_at_zero_balance")
    assert (over.status_code, over.json()["rule"]) == (
        409, "patient_payment_does_not_exceed_patient_balance"
    )


def test_a_write_off_records_its_reason_code_and_clears_the_balance(api, tenant):
    claim = recorded(api, tenant, unique(paid))
    unknown = post(api, claim, "write-offs", {"reason_code": "felt_like_it"})
    written = after(api, claim, post(api, claim, "write-offs",
                                     {"reason_code": "small_balance", "note": "under $30"}))
    assert unknown.status_code == 422
    assert (Decimal(written["balance"]), Decimal(written["written_off"])) == (0, Decimal("29"))
    entries = [e for e in written["ledger"] if e["kind"] == "write_off"]
    assert {e["reference"] for e in entries} == {"small_balance: under $30"}


def test_a_patient_credit_after_a_payer_reversal_is_refunded(api, tenant):
    claim = recorded(api, tenant, reversed_after_patient_paid)
    too_much = post(api, claim, "patient-refunds", {"amount": "29.01", "reference": "rf 1"})
    refunded = after(api, claim, post(api, claim, "patient-refunds",
                                      {"amount": "29.00", "reference": "rf 1"}))
    assert (too_much.status_code, too_much.json()["rule"]) == (
        409, "patient_refund_does_not_exceed_patient_credit"
    )
    assert Decimal(refunded["patient_paid"]) == 0
    assert sum(Decimal(e["amount"]) for e in refunded["ledger"] if e["kind"] == "refund") == 29


def test_an_appeal_decision_closes_the_open_appeal(api, tenant):
    def appealed() -> Claim:
        claim = unique(denied)()
        claim.appeal(1, date(2025, 4, 10), "meets the policy")
        return claim

    read = recorded(api, tenant, appealed)
    early = post(api, read, "appeal-decision", {"favourable": True, "decided_on": "2025-04-01"})
    decided = after(api, read, post(api, read, "appeal-decision",
                                    {"favourable": True, "decided_on": "2025-05-01"}))
    assert (early.status_code, early.json()["rule"]) == (409, "appeal_is_decided_after_filing")
    assert (decided["status"], decided["next_action"]) == ("denied", "appeal_or_resubmit")


def test_a_rejected_claim_is_corrected_back_to_draft(api, tenant):
    def rejected() -> Claim:
        claim = unique(submitted)()
        claim.acknowledge(False, ["A7:562:DK ordering provider NPI"], at(14))
        return claim

    read = recorded(api, tenant, rejected)
    corrected = after(api, read, post(api, read, "corrections", {"ordering_npi": "1987654302"}))
    empty = post(api, corrected | {"headers": read["headers"]}, "corrections", {})
    assert (corrected["status"], corrected["next_action"]) == ("draft", "submit")
    assert (empty.status_code, empty.json()["rule"]) == (409, "correction_changes_something")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("corrections", {"ordering_npi": "1987654302"}),
        ("replacement", {"reason": "x"}),
        ("resubmission", {"reason": "x"}),
        ("secondary-billing", None),
        ("patient-payments", {"amount": "1.00", "reference": "x"}),
        ("patient-refunds", {"amount": "1.00", "reference": "x"}),
        ("write-offs", {"reason_code": "bad_debt"}),
        ("appeal-decision", {"favourable": False}),
        ("close", None),
    ],
)
def test_another_tenants_claim_is_not_found_by_any_command(api, tenant, path, body):
    claim = recorded(api, tenant, unique(paid))
    outsider = headers_for(api, "biller", f"t-{uuid.uuid4().hex[:10]}")
    answer = api.post(f"/v1/claims/{claim['id']}/{path}", json=body, headers=outsider)
    assert answer.status_code == 404, answer.text


def test_a_replacement_is_drafted_as_frequency_7_naming_the_payers_claim_number(api, tenant):
    biller = headers_for(api, "biller", tenant)
    summary = drafted_claim(api, tenant, biller)
    claims = aries_of(api).claims
    with bound_context(tenant_id=tenant):
        claim = claims.get_claim(uuid.UUID(summary["id"]))
        claim.scrub(date.today())
        claim.request_submission(1)
        claim.record_submission("000000777", at(12))
        claim.acknowledge(True, [], at(13))
        claim.adjudicate("TRN-R", "ICN-R-1", "4", denial(claim, "16", ("N265",)), date.today())
        denied_at = claims.commit(claim)
    read = api.get(f"/v1/claims/{claim.id}", params={"min_position": denied_at.position},
                   headers=biller).json()

    replaced = api.post(f"/v1/claims/{claim.id}/replacement", headers={
        **biller, "If-Match": f'"{read["version"]}"'}, json={
        "reason": "diagnosis corrected", "diagnoses": ["M17.11", "G47.33"]})

    assert replaced.status_code == 201, replaced.text
    assert replaced.headers["Location"] == f"/v1/claims/{replaced.json()['id']}"
    replacement = api.get(replaced.headers["Location"], headers=biller,
                          params={"min_position": replaced.json()["position"]}).json()
    assert (replacement["status"], replacement["frequency_code"]) == ("draft", "7")
    assert replacement["replaces_claim_id"] == str(claim.id)
    x12 = api.get(f"{replaced.headers['Location']}/x12", headers=biller)
    assert "REF*F8*ICN-R-1~" in x12.text and "M1711" in x12.text
