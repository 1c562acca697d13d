"""The claim rules the billing office's lifecycle commands added: refunds of a patient credit,
and a secondary payer's OA-23 (prior payer impact) moving no money."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.claim import Claim
from domain.claim_values import (
    PATIENT,
    Adjustment,
    AdjustmentGroup,
    ClaimStatus,
    LedgerEntryKind,
    LineAdjudication,
)
from domain.errors import RuleViolated
from tests.unit.claim_builders import (
    PAID_ON,
    SECONDARY,
    SECONDARY_COVERAGE,
    medicare_payment,
    paid,
)
from tests.unit.replay import replay

LATER = date(2025, 5, 2)


def reversed_after_patient_paid() -> Claim:
    """Paid, the patient pays her 20%, then the payer reverses its payment (CLP02 22): the
    patient's payment is now a credit."""
    claim = paid()
    claim.record_patient_payment(claim.party_balance(PATIENT), PAID_ON, "CHK-1")
    reversal = [
        LineAdjudication(
            line.line_id, -line.allowed, -line.paid,
            tuple(Adjustment(a.group, a.carc, -a.amount) for a in line.adjustments),
        )
        for line in medicare_payment(claim)
    ]
    claim.adjudicate("TRN-2", "ICN-1", "22", reversal, LATER)
    return claim


def test_a_patient_credit_is_refunded_line_by_line():
    claim = reversed_after_patient_paid()
    credit = -claim.party_balance(PATIENT)
    assert credit == Decimal("29.00")

    claim.refund_patient(credit, LATER, "REFUND-1")

    assert claim.party_balance(PATIENT) == 0
    refunds = [e for e in claim.ledger if e.kind is LedgerEntryKind.REFUND]
    assert sum(e.amount for e in refunds) == credit and all(e.party == PATIENT for e in refunds)


def test_a_refund_may_not_exceed_the_patient_credit():
    claim = reversed_after_patient_paid()
    with pytest.raises(RuleViolated) as refused:
        claim.refund_patient(Decimal("29.01"), LATER, "REFUND-1")
    assert refused.value.rule == "patient_refund_does_not_exceed_patient_credit"


def test_nothing_is_refunded_to_a_patient_who_owes():
    claim = paid()
    with pytest.raises(RuleViolated) as refused:
        claim.refund_patient(Decimal("1.00"), LATER, "REFUND-1")
    assert refused.value.rule == "patient_refund_does_not_exceed_patient_credit"


def test_a_refund_is_positive_and_names_its_reference():
    claim = reversed_after_patient_paid()
    with pytest.raises(RuleViolated) as negative:
        claim.refund_patient(Decimal("-1.00"), LATER, "REFUND-1")
    with pytest.raises(RuleViolated) as unnamed:
        claim.refund_patient(Decimal("1.00"), LATER, " ")
    assert (negative.value.rule, unnamed.value.rule) == (
        "patient_refund_is_positive", "patient_refund_names_its_reference",
    )


def test_a_replayed_refund_equals_the_live_claim():
    claim = reversed_after_patient_paid()
    claim.refund_patient(Decimal("10.00"), LATER, "REFUND-1")
    assert vars(replay(claim.collect_events())) == vars(claim)


def test_a_secondary_oa_23_reports_the_primary_and_moves_no_money():
    claim = paid()  # the primary paid 80%; the patient's 29.00 goes to the secondary
    claim.transfer_to_secondary(SECONDARY, SECONDARY_COVERAGE, date(2025, 4, 2))
    lines = []
    for line in claim.lines:
        owed = claim.line_balances[line.line_id]
        deductible = Decimal("2.00")
        lines.append(LineAdjudication(line.line_id, owed, owed - deductible, (
            Adjustment(AdjustmentGroup.OA, "23", line.charge - owed),
            Adjustment(AdjustmentGroup.PR, "1", deductible),
        )))

    claim.adjudicate("TRN-9", "SEC-1", "2", lines, LATER)

    assert claim.party_balance(SECONDARY) == 0
    assert claim.party_balance(PATIENT) == Decimal("2.00") * len(claim.lines)
    assert claim.status is ClaimStatus.PAID
    # CARC 23 reports the prior payer's impact: it may be kept as a 0.00 entry or not at all
    # (decision 011), but it never moves money.
    assert all(e.amount == 0 for e in claim.ledger if e.carc == "23")


@given(st.lists(st.decimals(min_value="0.01", max_value="40.00", places=2), max_size=6))
@settings(max_examples=60, deadline=None)
def test_refunds_never_give_back_more_than_the_patient_paid(amounts):
    claim = reversed_after_patient_paid()
    credit = -claim.party_balance(PATIENT)
    refunded = Decimal("0.00")
    for amount in amounts:
        try:
            claim.refund_patient(amount, LATER, "REFUND")
        except RuleViolated as refused:
            assert refused.rule == "patient_refund_does_not_exceed_patient_credit"
            assert refunded + amount > credit
            continue
        refunded += amount
        assert claim.party_balance(PATIENT) == refunded - credit <= 0
    assert vars(replay(claim.collect_events())) == vars(claim)
