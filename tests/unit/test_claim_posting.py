"""Posting 835 adjudications to a claim, to the cent (pure domain): an adjudication posts once
under any trace, claim-level CAS is posted, deductible-only is the patient's, CLP02 19 marks a
crossover, a 0.00 CAS is accepted. Sources are cited in `domain.claim_adjudication`."""

from __future__ import annotations

import copy
import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.claim import Claim
from domain.claim_adjudication import adjudication_identity, allocated
from domain.claim_values import (
    PATIENT,
    Adjustment,
    AdjustmentGroup,
    ClaimStatus,
    LedgerEntryKind,
    LineAdjudication,
)
from domain.errors import DomainError
from tests.unit.claim_builders import (
    PAID_ON,
    PAYER,
    SECONDARY,
    SECONDARY_COVERAGE,
    accepted,
    medicare_payment,
)

D = Decimal
CO, PR = AdjustmentGroup.CO, AdjustmentGroup.PR


def refused(call) -> str:
    with pytest.raises(DomainError) as error:
        call()
    return error.value.rule


def payments(claim: Claim) -> Decimal:
    return -sum((e.amount for e in claim.ledger if e.kind is LedgerEntryKind.PAYMENT), D("0"))


def reversal_of(lines: list[LineAdjudication]) -> list[LineAdjudication]:
    """The payer's CLP02 22 for `lines`: every amount negated."""
    return [
        dataclasses.replace(
            line, allowed=-line.allowed, paid=-line.paid,
            adjustments=tuple(dataclasses.replace(a, amount=-a.amount) for a in line.adjustments),
        )
        for line in lines
    ]


# --- 1. one adjudication posts once, under any trace ------------------------------------------


def test_the_same_adjudication_on_a_new_trace_posts_once():
    claim = accepted()
    lines = medicare_payment(claim)
    claim.adjudicate("TRN-1", "ICN-1", "1", lines, PAID_ON)
    ledger, balance = claim.ledger, claim.balance

    rule = refused(lambda: claim.adjudicate("TRN-RESENT", "ICN-1", "1", lines, date(2025, 4, 8)))

    assert rule == "adjudication_posts_once"
    assert claim.ledger == ledger and claim.balance == balance
    assert claim.party_balance(PATIENT) == D("29.00")  # the coinsurance, once


def test_a_reversal_and_its_corrected_claim_still_post():
    claim = accepted()
    lines = medicare_payment(claim)
    claim.adjudicate("TRN-1", "ICN-1", "1", lines, PAID_ON)
    negated = reversal_of(lines)
    claim.adjudicate("TRN-2", "ICN-1", "22", negated, date(2025, 5, 1))
    assert claim.balance == claim.charge_total  # back to what the payer owes
    claim.adjudicate("TRN-2", "ICN-2", "1", lines, date(2025, 5, 1))  # the correction

    assert claim.status is ClaimStatus.PAID
    assert claim.party_balance(PAYER) == 0
    assert claim.party_balance(PATIENT) == D("29.00")  # once, not twice
    # and the reversal, re-sent on yet another trace, is refused like any repeat
    rule = refused(lambda: claim.adjudicate("TRN-3", "ICN-1", "22", negated, date(2025, 5, 2)))
    assert rule == "adjudication_posts_once"


def test_identity_ignores_trace_and_date_but_not_payer_icn_or_content():
    claim = accepted()
    lines = medicare_payment(claim)
    same = adjudication_identity(PAYER, "ICN-1", "1", lines)
    assert adjudication_identity(PAYER, "ICN-1", "1", list(reversed(lines))) == same
    assert adjudication_identity(SECONDARY, "ICN-1", "1", lines) != same
    assert adjudication_identity(PAYER, "ICN-2", "1", lines) != same
    assert adjudication_identity(PAYER, "ICN-1", "19", lines) != same
    cheaper = [dataclasses.replace(lines[0], paid=lines[0].paid - D("0.01")), *lines[1:]]
    assert adjudication_identity(PAYER, "ICN-1", "1", cheaper) != same


cents = st.integers(min_value=0, max_value=50_000).map(lambda c: D(c).scaleb(-2))


@st.composite
def adjudications(draw, claim: Claim):
    """A plausible primary adjudication of some of the claim's lines."""
    lines = []
    for line in claim.lines:
        if lines and not draw(st.booleans()):
            continue
        paid = draw(cents)
        adjustments = draw(
            st.lists(
                st.builds(Adjustment, st.sampled_from([CO, PR]),
                          st.sampled_from(["45", "1", "2", "50"]), cents),
                max_size=3,
            )
        )
        lines.append(LineAdjudication(line.line_id, paid, paid, tuple(adjustments)))
    claim_level = draw(
        st.lists(st.builds(Adjustment, st.sampled_from([CO, PR]), st.just("A2"),
                           st.integers(0, 500).map(lambda c: D(c).scaleb(-2))), max_size=1)
    )
    status = draw(st.sampled_from(["1", "2", "4", "19"]))
    if status == "4":
        lines = [dataclasses.replace(line, paid=D("0.00")) for line in lines]
        claim_level = []
    return status, draw(st.sampled_from(["ICN-1", "ICN-2"])), lines, claim_level


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_posting_any_adjudication_twice_under_any_trace_changes_nothing(data):
    claim = accepted()
    for n in range(data.draw(st.integers(1, 3), label="remittances")):
        status, icn, lines, claim_level = data.draw(adjudications(claim), label="adjudication")
        try:
            claim.adjudicate(f"TRN-{n}", icn, status, lines, PAID_ON, claim_adjustments=claim_level)
        except DomainError:
            continue
        before = copy.deepcopy(claim.__dict__)
        trace = data.draw(st.sampled_from(["TRN-0", "TRN-1", "TRN-2", "ANOTHER"]), label="trace")
        with pytest.raises(DomainError) as again:
            claim.adjudicate(trace, icn, status, lines, date(2025, 6, 1),
                             claim_adjustments=claim_level)
        assert again.value.rule in ("adjudication_posts_once", "remittance_posts_once_per_trace")
        assert claim.__dict__ == before


# --- 2. claim-level CAS -----------------------------------------------------------------------


def test_claim_level_cas_lowers_what_the_lines_were_paid_to_clp04():
    """WPC managed-care example shape: SVC paid 500.00, claim-level CO A2 50.00, CLP04 450.00."""
    claim = accepted()
    lines = medicare_payment(claim)  # bed paid 84.00, chair paid 32.00: 116.00
    claim.adjudicate("TRN-1", "ICN-1", "1", lines, PAID_ON,
                     claim_adjustments=[Adjustment(CO, "A2", D("11.60"))])

    assert payments(claim) == D("104.40")  # CLP04 = 116.00 - 11.60
    by_line = {
        line.line_id: -sum((e.amount for e in claim.ledger
                            if e.line_id == line.line_id and e.kind is LedgerEntryKind.PAYMENT),
                           D("0"))
        for line in claim.lines
    }
    assert list(by_line.values()) == [D("75.60"), D("28.80")]  # 10% off each, pro rata
    a2 = [e for e in claim.ledger if e.carc == "A2"]
    assert sum((e.amount for e in a2), D("0")) == D("-11.60")
    assert claim.party_balance(PAYER) == 0  # each line still balances to the cent
    assert claim.party_balance(PATIENT) == D("29.00")


@given(
    paid=st.lists(cents, min_size=1, max_size=4),
    amount=st.integers(-5_000, 5_000).map(lambda c: D(c).scaleb(-2)),
)
def test_allocation_keeps_every_cent(paid, amount):
    from uuid import uuid4

    lines = [LineAdjudication(uuid4(), p, p) for p in paid]
    spread = allocated(lines, [Adjustment(CO, "A2", amount)])
    assert sum((line.paid for line in spread), D("0")) == sum(paid, D("0")) - amount
    for before, after in zip(lines, spread, strict=True):
        share = sum((a.amount for a in after.adjustments), D("0"))
        assert after.paid + share == before.paid
        assert share.as_tuple().exponent >= -2


# --- 4. deductible-only, crossover, 0.00 CAS --------------------------------------------------


def deductible_only(claim: Claim) -> list[LineAdjudication]:
    """Paid 0: the allowed amount goes to the Part B deductible (PR-1), the rest CO-45."""
    return [
        LineAdjudication(
            line.line_id, line.expected_allowed, D("0.00"),
            tuple(a for a in (
                Adjustment(CO, "45", line.charge - line.expected_allowed),
                Adjustment(PR, "1", line.expected_allowed),
            ) if a.amount),
        )
        for line in claim.lines
    ]


def test_deductible_only_is_patient_responsibility_not_a_denial():
    claim = accepted()
    claim.adjudicate("TRN-1", "ICN-1", "1", deductible_only(claim), PAID_ON)

    assert claim.status is ClaimStatus.PATIENT_RESPONSIBILITY
    assert claim.adjudication_outcome is ClaimStatus.PATIENT_RESPONSIBILITY
    assert claim.party_balance(PAYER) == 0
    assert claim.party_balance(PATIENT) == D("145.00")  # 105.00 + 40.00 allowed
    claim.record_patient_payment(D("145.00"), date(2025, 4, 20), "CHECK-77")
    assert claim.balance == 0


def test_a_crossed_over_claim_is_not_billed_to_the_secondary_or_patient_by_hand():
    claim = accepted()
    claim.adjudicate("TRN-1", "ICN-1", "19", medicare_payment(claim), PAID_ON)

    assert claim.crossed_over_on == PAID_ON and claim.status is ClaimStatus.PAID
    transfer = lambda: claim.transfer_to_secondary(SECONDARY, SECONDARY_COVERAGE, PAID_ON)  # noqa: E731
    assert refused(transfer) == "crossed_over_claim_is_billed_by_the_payer"
    assign = lambda: claim.assign_patient_responsibility(PAID_ON, "coinsurance")  # noqa: E731
    assert refused(assign) == "crossed_over_claim_is_billed_by_the_payer"


def test_a_claim_processed_as_primary_only_is_billed_on_by_hand():
    claim = accepted()
    claim.adjudicate("TRN-1", "ICN-1", "1", medicare_payment(claim), PAID_ON)
    claim.transfer_to_secondary(SECONDARY, SECONDARY_COVERAGE, PAID_ON)
    assert claim.crossed_over_on is None and claim.status is ClaimStatus.AWAITING_SECONDARY


def test_a_zero_cas_amount_is_accepted_and_moves_no_money():
    claim = accepted()
    lines = medicare_payment(claim)
    with_zero = [
        dataclasses.replace(lines[0], adjustments=(*lines[0].adjustments,
                                                   Adjustment(CO, "253", D("0.00")))),
        *lines[1:],
    ]
    claim.adjudicate("TRN-1", "ICN-1", "1", with_zero, PAID_ON)
    assert claim.status is ClaimStatus.PAID
    assert not [e for e in claim.ledger if e.amount == 0]
    assert claim.party_balance(PATIENT) == D("29.00")


def test_a_zero_cas_amount_keeps_the_ledger_rows_in_step_with_the_lines():
    from projections.claims import remittance_groups

    claim = accepted()
    claim.collect_events()
    lines = medicare_payment(claim)
    zero = Adjustment(CO, "253", D("0.00"))
    claim.adjudicate("TRN-1", "ICN-1", "1",
                     [dataclasses.replace(lines[0], adjustments=(zero, *lines[0].adjustments)),
                      *lines[1:]], PAID_ON)
    (event,) = claim.collect_events()
    assert len(remittance_groups(event)) == len(event.entries)


# --- what the secondary is told (loop 2430) ---------------------------------------------------


def test_what_the_primary_paid_nets_its_reversals_and_keeps_each_cas_group():
    claim = accepted()
    lines = medicare_payment(claim)
    claim.adjudicate("TRN-1", "ICN-1", "1", lines, PAID_ON)
    negated = reversal_of(lines)
    claim.adjudicate("TRN-2", "ICN-1", "22", negated, date(2025, 5, 1))
    corrected = [
        dataclasses.replace(
            lines[0], paid=lines[0].paid - D("5.00"),
            adjustments=(*lines[0].adjustments, Adjustment(AdjustmentGroup.PI, "104", D("5.00"))),
        ),
        *lines[1:],
    ]
    claim.adjudicate("TRN-2", "ICN-2", "1", corrected, date(2025, 5, 1))

    outcomes = claim.payer_line_outcomes(PAYER)
    for line in corrected:
        got = outcomes[line.line_id]
        assert got.paid == line.paid  # once, not original + correction
        assert sorted(got.adjustments, key=lambda a: (a.group.value, a.carc)) == sorted(
            line.adjustments, key=lambda a: (a.group.value, a.carc))
        assert got.paid_on == date(2025, 5, 1)
    assert claim.payer_line_outcomes(SECONDARY) == {}
