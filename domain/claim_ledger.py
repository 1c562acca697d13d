"""The Claim's ledger: the folds that give balances and payers, and the entries each money
movement appends (pure).

Money lives in an append-only ledger of `LedgerEntry`, one per line and responsible party. An
entry's amount is signed: positive raises what `party` (a payer id, or `PATIENT`) owes on the
line, negative lowers it. Balances (claim, line, party) and each line's current payer are folds
of the ledger, exact to the cent; nothing stores a balance.

- PR adjustments move the amount from the payer to the patient (two entries). Credits stay put:
  `moves` shifts every other party's positive balance to the target party.
- A line's current payer is the party of its latest positive entry.
- A CLP02 22 (reversal) posts `reversal` entries that negate what the remittance lists.
- CARC 23 ("The impact of prior payer(s) adjudication including payments and/or adjustments",
  X12 Claim Adjustment Reason Codes, used with group OA) on a secondary payer's 835 reports
  what the primary already paid or adjusted, which the ledger holds from the primary's own
  posting; it is recorded (a 0.00 entry, with its CARC) and moves no money. Without this a
  balanced secondary SVC (charge = paid + OA-23 + PR) would drive the secondary's balance
  below zero by the primary's share.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.claim_values import (
    PATIENT,
    Adjustment,
    AdjustmentGroup,
    ClaimLine,
    LedgerEntry,
    LedgerEntryKind,
    LineAdjudication,
)
from domain.errors import require
from domain.money import ZERO
from domain.rules import billing_rule

PRIOR_PAYER_IMPACT = "23"  # CARC 23: informational on a secondary remittance (see above)

ADJUSTMENT_KIND = {
    AdjustmentGroup.CO: LedgerEntryKind.CONTRACTUAL_ADJUSTMENT,
    AdjustmentGroup.PR: LedgerEntryKind.PATIENT_RESPONSIBILITY,
    AdjustmentGroup.OA: LedgerEntryKind.OTHER_ADJUSTMENT,
    AdjustmentGroup.PI: LedgerEntryKind.OTHER_ADJUSTMENT,
}


# CARC 23, "the impact of prior payer(s) adjudication including payments and/or adjustments":
# X12 RFI 2535 (835 TR3 005010X221A1 COB reporting): OA 23 reports "the payments and
# contractual reductions that have already been posted to the AR by the provider", so that the
# provider does not post them again; the prior payer's own remittance posted them here.
PRIOR_PAYER_IMPACT = "23"


@billing_rule(
    "X12 005010X221A1 TR3 CAS03 (an adjustment amount of 0.00 is valid: a reason without"
    " money); X12 RFI 2535 (CARC 23 reports the prior payer's adjudication, already"
    " posted)",
    "tests/unit/test_claim_posting.py::test_a_zero_cas_amount_is_accepted_and_moves_no_money",
)
def moves_money(adjustment: Adjustment) -> bool:
    """Whether a remittance adjustment posts ledger entries: not a 0.00 amount (a reason, no
    money), not CARC 23 (the prior payer's adjudication, already on the ledger)."""
    return adjustment.amount != 0 and adjustment.carc != PRIOR_PAYER_IMPACT


# --- Folds -----------------------------------------------------------------------------------


def ledger_balance(
    entries: Iterable[LedgerEntry], *, line_id: UUID | None = None, party: str | None = None
) -> Decimal:
    """Sum of the entries, optionally of one line and/or one party, exact to the cent."""
    return sum(
        (
            e.amount
            for e in entries
            if (line_id is None or e.line_id == line_id) and (party is None or e.party == party)
        ),
        ZERO,
    )


def party_balances(entries: Iterable[LedgerEntry], line_id: UUID) -> dict[str, Decimal]:
    """Non-zero balance per responsible party on one line, in order of first appearance."""
    totals: dict[str, Decimal] = {}
    for e in entries:
        if e.line_id == line_id:
            totals[e.party] = totals.get(e.party, ZERO) + e.amount
    return {party: amount for party, amount in totals.items() if amount != 0}


def current_party(entries: Iterable[LedgerEntry], line_id: UUID) -> str | None:
    """Who the line is billed to now: the party of the line's latest positive entry."""
    party = None
    for e in entries:
        if e.line_id == line_id and e.amount > 0:
            party = e.party
    return party


# --- Entries ---------------------------------------------------------------------------------


def charges(lines: Sequence[ClaimLine], payer_id: str, on: date) -> list[LedgerEntry]:
    """One charge per line, owed by the payer billed."""
    return [
        LedgerEntry(LedgerEntryKind.CHARGE, line.line_id, payer_id, line.charge, on)
        for line in lines
    ]


def charge_reversals(
    lines: Sequence[ClaimLine], payer_id: str, on: date, reference: str
) -> list[LedgerEntry]:
    """Each line's charge reversed against `payer_id` (a void or a replacement)."""
    return [
        LedgerEntry(
            LedgerEntryKind.REVERSAL, line.line_id, payer_id, -line.charge, on, reference=reference
        )
        for line in lines
    ]


def rebilling(
    ledger: Sequence[LedgerEntry],
    old_line_ids: Iterable[UUID],
    new_lines: Sequence[ClaimLine],
    payer_id: str,
    on: date,
) -> list[LedgerEntry]:
    """A correction of the lines: every balance on the old lines reversed, the new ones charged."""
    reversals = settlements(ledger, old_line_ids, LedgerEntryKind.REVERSAL, on, "correction")
    return reversals + charges(new_lines, payer_id, on)


def settlements(
    ledger: Sequence[LedgerEntry],
    line_ids: Iterable[UUID],
    kind: LedgerEntryKind,
    on: date,
    reference: str,
) -> list[LedgerEntry]:
    """Entries that bring every party's balance on each line to zero, credits included."""
    return [
        LedgerEntry(kind, line_id, party, -amount, on, reference=reference)
        for line_id in line_ids
        for party, amount in party_balances(ledger, line_id).items()
    ]


def moves(
    ledger: Sequence[LedgerEntry],
    line_ids: Iterable[UUID],
    kind: LedgerEntryKind,
    target: str,
    on: date,
    reference: str,
) -> list[LedgerEntry]:
    """Entries moving every other party's positive balance on each line to `target` (credits
    stay where they are)."""
    entries = []
    for line_id in line_ids:
        for party, amount in party_balances(ledger, line_id).items():
            if party == target or amount < 0:
                continue
            entries.append(LedgerEntry(kind, line_id, party, -amount, on, reference=reference))
            entries.append(LedgerEntry(kind, line_id, target, amount, on, reference=reference))
    return entries


def patient_payment(
    ledger: Sequence[LedgerEntry],
    line_ids: Iterable[UUID],
    amount: Decimal,
    received_on: date,
    reference: str,
) -> list[LedgerEntry]:
    """A patient payment applied to lines in order, up to each line's patient balance; it may
    not exceed what the patient owes."""
    owed = {line_id: ledger_balance(ledger, line_id=line_id, party=PATIENT) for line_id in line_ids}
    require(
        amount <= _room(owed),
        "patient_payment_does_not_exceed_patient_balance",
        f"payment {amount} exceeds the patient balance {_room(owed)}",
    )
    return _spread(owed, -amount, LedgerEntryKind.PAYMENT, received_on, reference)


def patient_refund(
    ledger: Sequence[LedgerEntry],
    line_ids: Iterable[UUID],
    amount: Decimal,
    refunded_on: date,
    reference: str,
) -> list[LedgerEntry]:
    """A refund to the patient applied to lines in order, up to each line's patient credit (a
    negative patient balance, e.g. after a payer reversed a claim the patient had paid); it may
    not exceed the patient's credit."""
    credit = {
        line_id: -ledger_balance(ledger, line_id=line_id, party=PATIENT) for line_id in line_ids
    }
    require(
        amount <= _room(credit),
        "patient_refund_does_not_exceed_patient_credit",
        f"refund {amount} exceeds the patient credit {_room(credit)}",
    )
    return _spread(credit, amount, LedgerEntryKind.REFUND, refunded_on, reference)


def _room(by_line: dict[UUID, Decimal]) -> Decimal:
    return sum((value for value in by_line.values() if value > 0), ZERO)


def _spread(
    room: dict[UUID, Decimal], signed: Decimal, kind: LedgerEntryKind, on: date, reference: str
) -> list[LedgerEntry]:
    """Patient entries for `signed` (its sign is the entries'), line by line in order, each up
    to the line's room."""
    entries, left = [], abs(signed)
    for line_id, line_room in room.items():
        applied = min(left, line_room)
        if applied > 0:
            amount = applied if signed > 0 else -applied
            entries.append(LedgerEntry(kind, line_id, PATIENT, amount, on, reference=reference))
            left -= applied
    return entries


def remittance_entries(
    lines: Sequence[LineAdjudication], reversal: bool, payer_id: str, paid_on: date, trace: str
) -> list[LedgerEntry]:
    """What a remittance posts per line: the payment, then each adjustment (a PR adjustment
    also raises the patient's share); a reversal posts `reversal` entries throughout."""
    entries = []
    for line in lines:
        if line.paid != 0:
            kind = LedgerEntryKind.REVERSAL if reversal else LedgerEntryKind.PAYMENT
            entries.append(
                LedgerEntry(
                    kind, line.line_id, payer_id, -line.paid, paid_on,
                    rarcs=line.rarcs, reference=trace,
                )
            )
        for a in line.adjustments:
            if not moves_money(a):
                continue
            kind = LedgerEntryKind.REVERSAL if reversal else ADJUSTMENT_KIND[a.group]
            shares = [(payer_id, -a.amount)]
            if a.carc == PRIOR_PAYER_IMPACT and a.group is AdjustmentGroup.OA:
                shares = [(payer_id, ZERO)]
            elif a.group is AdjustmentGroup.PR:
                shares.append((PATIENT, a.amount))
            for party, amount in shares:
                entries.append(
                    LedgerEntry(
                        kind, line.line_id, party, amount, paid_on,
                        carc=a.carc, rarcs=line.rarcs, reference=trace,
                    )
                )
    return entries
