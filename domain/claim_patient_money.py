"""What the claim records when money moves to or from the patient, or is written off (pure):
the patient's responsibility, a patient payment, a refund of a patient credit and a write-off,
each decided from the claim's ledger (`domain.claim_ledger`) into the entries its event records.

A payment may not exceed what the patient owes, a refund may not exceed the patient's credit
(a credit arises when a payer reverses a claim the patient already paid); why:
docs/decisions/008-claim-lifecycle.md.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain import claim_ledger as ledger
from domain.claim_crossover import require_not_crossed_over
from domain.claim_values import PATIENT, ClaimStatus, LedgerEntryKind
from domain.errors import require
from domain.money import exact_money
from domain.rules import calendar_date, present_text

if TYPE_CHECKING:
    from domain.claim import Claim


def patient_responsibility(claim: Claim, on: date, reason: str) -> dict[str, Any]:
    """Every payer's remaining balance on the claim moves to the patient."""
    on = calendar_date(on, "on")
    reason = present_text(reason, "reason", "patient_responsibility_states_a_reason")
    require_not_crossed_over(claim)
    kind = LedgerEntryKind.PATIENT_RESPONSIBILITY
    entries = ledger.moves(claim.ledger, _line_ids(claim), kind, PATIENT, on, reason)
    require(
        bool(entries),
        "patient_responsibility_requires_payer_balance",
        "no payer holds a balance to move to the patient",
    )
    return {"on": on, "reason": reason, "entries": entries}


def patient_payment(
    claim: Claim, amount: Decimal, received_on: date, reference: str
) -> dict[str, Any]:
    """A patient payment, applied to lines in order up to each line's patient balance."""
    return _patient_money(claim, "payment", amount, received_on, reference)


def patient_refund(
    claim: Claim, amount: Decimal, refunded_on: date, reference: str
) -> dict[str, Any]:
    """A refund of the patient's credit (what they paid beyond what they owe now), line by
    line."""
    return _patient_money(claim, "refund", amount, refunded_on, reference)


def write_off(claim: Claim, on: date, reason: str) -> dict[str, Any]:
    """Every remaining balance (or credit) on a filed claim is written off."""
    require(claim.status is not ClaimStatus.CLOSED, "closed_claim_takes_no_postings",
            "claim is closed")
    require(claim.filed, "write_off_requires_a_filed_claim", "the claim was never filed")
    on = calendar_date(on, "on")
    reason = present_text(reason, "reason", "write_off_states_a_reason")
    entries = ledger.settlements(
        claim.ledger, _line_ids(claim), LedgerEntryKind.WRITE_OFF, on, reason
    )
    require(bool(entries), "write_off_requires_a_balance", "nothing is owed on the claim")
    return {"on": on, "reason": reason, "entries": entries}


def _patient_money(
    claim: Claim, what: str, amount: Decimal, on: date, reference: str
) -> dict[str, Any]:
    """A patient payment's or refund's checked inputs (rules `patient_<what>_...`) and its
    entries; the event names the date `received_on` or `refunded_on`."""
    require(claim.status is not ClaimStatus.CLOSED, "closed_claim_takes_no_postings",
            "claim is closed")
    day = "received_on" if what == "payment" else "refunded_on"
    amount = exact_money(amount)
    on = calendar_date(on, day)
    reference = present_text(reference, "reference", f"patient_{what}_names_its_reference")
    require(amount > 0, f"patient_{what}_is_positive", f"{what} {amount} is not positive")
    entries = (ledger.patient_payment if what == "payment" else ledger.patient_refund)(
        claim.ledger, _line_ids(claim), amount, on, reference
    )
    return {"amount": amount, day: on, "reference": reference, "entries": entries}


def _line_ids(claim: Claim) -> list:
    return [line.line_id for line in claim.lines]
