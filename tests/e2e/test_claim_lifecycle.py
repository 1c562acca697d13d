"""One claim's whole life over HTTP, as the billing office drives it against the running product
(projector, reactions and Dramatiq workers in threads; the sandbox clearinghouse): submitted ->
denied (CO-16 with RARC N265, via a posted 835) -> corrected and resubmitted (frequency 7 with
the payer's claim number) -> paid with PR-2 -> secondary billed (crossover) and paid -> patient
statement -> patient payment -> zero balance -> closed, with the ledger checked to the cent at
each step."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.x12.segments import amount
from tests.conftest import eventually
from tests.e2e.conftest import headers_for, supplier_today
from tests.unit.remittance_835 import Clp, Svc, build_835

pytestmark = pytest.mark.e2e

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MBI = "1EG4TE5MK73"
PECOS_ENROLLED_NPI = "1987654302"  # the corrected ordering practitioner


def ok(response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def today() -> date:
    return supplier_today()


class Office:
    """The billing office's calls for one tenant."""

    def __init__(self, api: TestClient, tenant: str) -> None:
        self.api = api
        self.intake = headers_for(api, "intake", tenant)
        self.biller = headers_for(api, "biller", tenant)

    def claim(self, claim_id: str, until=lambda c: True, what: str = "the claim") -> dict:
        return eventually(
            lambda: self.api.get(f"/v1/claims/{claim_id}", headers=self.biller),
            lambda r: r.status_code == 200 and until(r.json()),
            what=what,
        ).json()

    def at(self, claim_id: str, answer: dict[str, Any]) -> dict[str, Any]:
        """The claim as the command that answered `answer` left it (read-your-writes)."""
        return ok(self.api.get(f"/v1/claims/{claim_id}", headers=self.biller,
                               params={"min_position": answer["position"]}))

    def job_succeeds(self, job_id: str) -> None:
        job = eventually(
            lambda: self.api.get(f"/v1/jobs/{job_id}", headers=self.biller),
            lambda r: r.status_code == 200 and r.json()["status"] in ("succeeded", "dead"),
        ).json()
        assert job["status"] == "succeeded", job

    def post_835(self, text: str) -> None:
        received = ok(self.api.post(
            "/v1/remittances", headers={**self.biller, "Content-Type": "text/plain"},
            content=text,
        ), 202)
        self.job_succeeds(received["job_id"])

    def command(self, path: str, claim: dict[str, Any], status: int = 200, **body: Any) -> dict:
        """POST a claim command with the version read as If-Match."""
        headers = {**self.biller, "If-Match": f'"{claim["version"]}"'}
        return ok(self.api.post(f"/v1/claims/{claim['id']}/{path}", headers=headers,
                                json=body or None), status)


def money(claim: dict[str, Any], *names: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(claim[name]) for name in names)


def assert_ledger(claim: dict[str, Any], *, balance: Decimal, paid: Decimal,
                  patient_responsibility: Decimal, patient_paid: Decimal = ZERO,
                  payer: str | None) -> None:
    """The claim's money, and that its balance is the sum of its ledger entries."""
    assert money(claim, "balance", "paid", "patient_responsibility", "patient_paid") == (
        balance, paid, patient_responsibility, patient_paid,
    )
    assert sum((Decimal(e["amount"]) for e in claim["ledger"]), ZERO) == balance
    assert claim["current_payer_id"] == payer


def delivered_walker(office: Office) -> str:
    """A patient with Medicare (primary) and Aetna (secondary) whose walker was delivered three
    days ago; answers the drafted claim's id."""
    api, intake = office.api, office.intake
    delivered_on = (today() - timedelta(days=3)).isoformat()
    patient = ok(api.post("/v1/patients", headers=intake, json={
        "first_name": "Ana", "last_name": "Rivera", "date_of_birth": "1948-03-09",
        "sex": "female", "mbi": MBI,
        "address": {"line1": "12 Elm St", "city": "Springfield", "state": "IL",
                    "postal_code": "62701"},
    }), 201)
    primary = ok(api.post(f"/v1/patients/{patient['id']}/coverages", headers=intake, json={
        "payer_id": "MCR-DMEB", "payer_name": "Medicare DME MAC Jurisdiction B",
        "member_id": MBI, "rank": "primary", "effective_from": "2025-01-01",
    }), 201)
    ok(api.post(f"/v1/patients/{patient['id']}/coverages", headers=intake, json={
        "payer_id": "COM-AETNA", "payer_name": "Aetna", "member_id": "W123456789",
        "group_number": "GRP100", "rank": "secondary", "effective_from": "2025-01-01",
    }), 201)
    order = ok(api.post("/v1/orders", headers=intake, json={
        "patient_id": patient["id"], "order_date": delivered_on,
        "practitioner": {"name": "Dr Ada Lovelace", "npi": "1234567893"},
        "diagnoses": ["M17.11"],
        "lines": [{"hcpcs": "E0143", "quantity": 1, "billing": "purchase_new"}],
    }), 201)
    ok(api.post(f"/v1/orders/{order['id']}/coverage-verification", headers=intake, json={
        "coverage_id": primary["coverage_id"], "verified_on": delivered_on, "eligible": True,
        "same_or_similar_found": False,
    }))
    ok(api.post(f"/v1/orders/{order['id']}/documents", headers=intake,
                json={"swo": {"signed_on": delivered_on}}))
    ok(api.post(f"/v1/orders/{order['id']}/delivery", headers=intake, json={
        "delivered_on": delivered_on,
        "proof_of_delivery": {"signer_name": "Ana Rivera", "relationship": "patient",
                              "signed_on": delivered_on},
    }))
    claims = eventually(
        lambda: api.get("/v1/claims", headers=office.biller, params={"order_id": order["id"]}),
        lambda r: r.status_code == 200 and len(r.json()["items"]) == 1,
    ).json()["items"]
    return claims[0]["id"]


def service(line: dict[str, Any], paid: Decimal, adjustments, rarcs=(), sign: int = 1) -> Svc:
    """An SVC for a claim line (a reversal, `sign=-1`, negates the charge)."""
    return Svc(
        line["hcpcs"], tuple(line["modifiers"]), sign * Decimal(line["charge"]), paid,
        list(adjustments), rarcs=list(rarcs), control=line["id"].replace("-", ""),
        served_on=date.fromisoformat(line["from_date"]),
    )


def test_a_claim_goes_from_denial_to_closed_over_http_with_the_ledger_right_at_each_step(
    api: TestClient, tenant: str
):
    office = Office(api, tenant)
    claim_id = delivered_walker(office)

    # Submitted: the sandbox accepts the 837P.
    draft = office.claim(claim_id)
    submitted = office.command("submit", draft, 202)
    office.job_succeeds(submitted["job_id"])
    accepted = office.claim(claim_id, lambda c: c["status"] == "accepted", "acceptance")
    (line,) = accepted["lines"]
    charge = Decimal(line["charge"])
    assert_ledger(accepted, balance=charge, paid=ZERO, patient_responsibility=ZERO,
                  payer="MCR-DMEB")

    # Denied: CO-16 (claim lacks information) with N265 (missing/invalid ordering provider).
    office.post_835(build_835(
        [Clp(accepted["patient_control_number"], "4", "ICN-DENIED-1",
             [service(line, ZERO, [("CO", "16", charge)], rarcs=["N265"])])],
        trace=f"DEN{claim_id[:8].upper()}", paid_on=today(),
    ))
    denied = office.claim(claim_id, lambda c: c["status"] == "denied", "the denial")
    assert (denied["denial_carcs"], denied["payer_claim_control_number"]) == (
        ["16"], "ICN-DENIED-1"
    )
    assert [e["rarcs"] for e in denied["ledger"] if e["carc"] == "16"] == [["N265"]]
    assert_ledger(denied, balance=ZERO, paid=ZERO, patient_responsibility=ZERO, payer="MCR-DMEB")

    # Corrected and resubmitted: a frequency-7 replacement naming the payer's claim number.
    resubmitted = office.command(
        "resubmission", denied, 202, reason="ordering NPI corrected (CO-16/N265)",
        ordering_npi=PECOS_ENROLLED_NPI,
    )
    replacement_id = resubmitted["id"]
    assert replacement_id != claim_id
    original = office.at(claim_id, resubmitted)
    assert (original["status"], original["replaced_by_claim_id"]) == ("replaced", replacement_id)
    # The original's charge is reversed; the payer's CO-16 waits for its CLP02 22 reversal.
    assert_ledger(original, balance=-charge, paid=ZERO, patient_responsibility=ZERO,
                  payer="MCR-DMEB")
    office.job_succeeds(resubmitted["job_id"])
    replacement = office.claim(replacement_id, lambda c: c["status"] == "accepted", "resubmit")
    assert (replacement["frequency_code"], replacement["replaces_claim_id"]) == ("7", claim_id)
    x12 = api.get(f"/v1/claims/{replacement_id}/x12", headers=office.biller).text
    assert "REF*F8*ICN-DENIED-1~" in x12 and ":B:7*" in x12 and PECOS_ENROLLED_NPI in x12
    (new_line,) = replacement["lines"]
    assert_ledger(replacement, balance=charge, paid=ZERO, patient_responsibility=ZERO,
                  payer="MCR-DMEB")

    # Paid with PR-2: the payer reverses the denial and pays the replacement, 80% of allowed.
    allowed = (charge * Decimal("0.80")).quantize(CENT)
    coinsurance = (allowed * Decimal("0.20")).quantize(CENT)
    medicare_paid = allowed - coinsurance
    office.post_835(build_835(
        [
            Clp(accepted["patient_control_number"], "22", "ICN-DENIED-1",
                [service(line, ZERO, [("CO", "16", -charge)], sign=-1)], charge=-charge),
            Clp(replacement["patient_control_number"], "1", "ICN-PAID-2",
                [service(new_line, medicare_paid,
                         [("CO", "45", charge - allowed), ("PR", "2", coinsurance)])]),
        ],
        trace=f"PAY{claim_id[:8].upper()}", paid_on=today(),
    ))
    paid = office.claim(replacement_id, lambda c: c["status"] == "paid", "the payment")
    assert_ledger(paid, balance=coinsurance, paid=medicare_paid,
                  patient_responsibility=coinsurance, payer="patient")
    settled_original = office.claim(claim_id, lambda c: Decimal(c["balance"]) == 0, "reversal")
    assert_ledger(settled_original, balance=ZERO, paid=ZERO, patient_responsibility=ZERO,
                  payer="MCR-DMEB")

    # Secondary billed: the coinsurance crosses over to Aetna with Medicare's adjudication.
    crossover = office.command("secondary-billing", paid, 202)
    billed = office.at(replacement_id, crossover)
    assert (billed["billed_payer_id"], billed["secondary_payer_id"]) == ("COM-AETNA",) * 2
    assert_ledger(billed, balance=coinsurance, paid=medicare_paid,
                  patient_responsibility=ZERO, payer="COM-AETNA")
    office.job_succeeds(crossover["job_id"])
    office.claim(replacement_id, lambda c: c["status"] == "accepted", "secondary acceptance")
    x12 = api.get(f"/v1/claims/{replacement_id}/x12", headers=office.biller).text
    assert f"AMT*D*{amount(medicare_paid)}~" in x12 and "SBR*S*18" in x12

    # Secondary paid: Aetna pays the coinsurance less a 5.00 deductible (PR-1); OA-23 reports
    # Medicare's part and moves no money.
    deductible = Decimal("5.00")
    office.post_835(build_835(
        [Clp(replacement["patient_control_number"], "2", "AET-1",
             [service(new_line, coinsurance - deductible,
                      [("OA", "23", charge - coinsurance), ("PR", "1", deductible)])])],
        trace=f"AET{claim_id[:8].upper()}", paid_on=today(), payer_x12_id="60054",
    ))
    secondary_paid = office.claim(
        replacement_id,
        lambda c: Decimal(c["paid"]) == medicare_paid + coinsurance - deductible,
        "the secondary payment",
    )
    assert_ledger(secondary_paid, balance=deductible, paid=medicare_paid + coinsurance - deductible,
                  patient_responsibility=deductible, payer="patient")

    # The patient statement run names what she owes, with her name and address.
    run = ok(api.post("/v1/claims/patient-statements", headers=office.biller), 202)
    office.job_succeeds(run["job_id"])
    statements = ok(api.get(f"/v1/claims/patient-statements/{run['job_id']}",
                            headers=office.biller))["statements"]
    assert [(s["patient_name"], s["total_due"], s["address"][0]) for s in statements] == [
        ("Rivera, Ana", str(deductible), "12 Elm St")
    ]
    assert [(c["claim_id"], c["due"]) for c in statements[0]["claims"]] == [
        (replacement_id, str(deductible))
    ]

    # The patient pays her deductible: zero balance, and the claim is closed.
    payment = office.command("patient-payments", secondary_paid, amount=str(deductible),
                             reference="check 1042")
    settled = office.at(replacement_id, payment)
    assert_ledger(settled, balance=ZERO, paid=medicare_paid + coinsurance - deductible,
                  patient_responsibility=ZERO, patient_paid=deductible, payer="patient")
    closed = office.at(replacement_id, office.command("close", settled))
    assert (closed["status"], closed["closed_on"]) == ("closed", today().isoformat())
    assert_ledger(closed, balance=ZERO, paid=medicare_paid + coinsurance - deductible,
                  patient_responsibility=ZERO, patient_paid=deductible, payer="patient")
