"""`claims`: one row per claim (read.claims), its lines (read.claim_lines) and every ledger entry
(read.claim_ledger_entries), from the Claims log.

Money is a fold of the ledger, as in the Claim aggregate: each event that moves money adds its
entries, and the claim's and its lines' balances, payments, adjustments and current payer are
recomputed from all the claim's entries (`claim_money`, `line_money`), never kept as running
totals, so they cannot drift from the entries an analyst sees.

One handler per Claim event class changes the batch's rows in memory
(`projections/folding.py`): every one reads the claim's row (`CLAIM`), those that change its
lines or post ledger entries its lines and entries too (`LINES`, `LEDGER`), and fold its money
again. The non-money facts follow the aggregate's `@event` bodies in
`projections/claim_facts.py`, which the work queue shares.

Choices a reader may question:
- `paid` counts remittance entries without a CARC (payments and their CLP02 22 reversals);
  `adjusted` the remittance entries with a CARC outside group PR (PR moves money to the
  patient, it does not reduce what is owed). The CAS group of each entry is taken from the
  event's remittance lines, in the order `domain.claim_ledger.remittance_entries` lists them;
  a mismatch stops the projection rather than guess.
- `denial_carcs` are the CARCs on the lines the last determination paid nothing for.
- A correction replaces the lines from its event; a line it keeps (same line id) keeps what the
  last determination allowed, and every line's money is folded from the ledger again.
- Serial numbers are not copied (device serial numbers are a HIPAA identifier).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC
from decimal import Decimal
from operator import itemgetter
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.base import event_type
from domain.claim import Claim
from domain.claim_adjudication import REVERSAL_STATUS_CODE
from domain.claim_ledger import moves_money
from domain.claim_values import PATIENT, AdjustmentGroup, LedgerEntryKind
from projections.base import Projection, handles
from projections.claim_facts import DRAFTED, drafted_facts, header_changes
from projections.claims_tables import claim_ledger_entries, claim_lines, claims
from projections.folding import Rows, values_maker

CLAIM = claims.c.claim_id
LINES = claim_lines.c.claim_id
LEDGER = claim_ledger_entries.c.claim_id

ZERO = Decimal("0.00")
POSTING_ORDER = itemgetter("version", "entry_index")

# New rows as values in column order (`TableRows.add_values`), a drafted claim's with the facts
# every draft starts with as constants: a claim row's sixty columns built as one dict, merged,
# then read back in column order for the COPY were a claims rebuild's largest handler cost.
_new_claim = values_maker(claims, **DRAFTED, first_paid_on=None, days_to_payment=None)
_new_line = values_maker(claim_lines, allowed=None)
_new_entry = values_maker(claim_ledger_entries)
_LINE_COLUMNS = tuple(column.name for column in claim_lines.columns)
_ENTRY_COLUMNS = tuple(column.name for column in claim_ledger_entries.columns)


# --- Ledger rows ----------------------------------------------------------------------------


def remittance_groups(event: Any) -> list[str | None]:
    """The CAS group of each entry of an Adjudicated event (None for a payment), in the order
    `domain.claim_ledger.remittance_entries` lists them, after the transfers a crossover
    payer's first answer starts with (`domain.claim_adjudication.posting`)."""
    transfers = sum(1 for entry in event.entries if entry.kind is LedgerEntryKind.TRANSFER)
    groups: list[str | None] = [None] * transfers
    for line in event.lines:
        if line.paid != 0:
            groups.append(None)
        for adjustment in line.adjustments:
            if not moves_money(adjustment):
                continue  # posts no entry (domain.claim_ledger.remittance_entries)
            groups.append(adjustment.group.value)
            if adjustment.group is AdjustmentGroup.PR:
                groups.append(adjustment.group.value)
    matches = len(groups) == len(event.entries) and all(
        (group is None) == (entry.carc is None)
        for group, entry in zip(groups, event.entries, strict=True)
    )
    if not matches:
        raise ValueError("the remittance entries do not follow the remittance lines' order")
    return groups


def ledger_values(event: Any, position: int) -> list[tuple[Any, ...]]:
    """The event's ledger entries as rows of read.claim_ledger_entries, in column order."""
    name = event_type(get_topic(type(event)))
    remittance = isinstance(event, Claim.Adjudicated)
    groups = remittance_groups(event) if remittance else [None] * len(event.entries)
    return [
        _new_entry(
            claim_id=event.originator_id,
            version=event.originator_version,
            entry_index=index,
            tenant_id=event.tenant_id,
            line_id=entry.line_id,
            event_type=name,
            kind=entry.kind.value,
            party=entry.party,
            amount=entry.amount,
            posted_on=entry.posted_on,
            cas_group=group,
            carc=entry.carc,
            rarcs=list(entry.rarcs),
            reference=entry.reference,
            claim_status_code=event.status_code if remittance else None,
            payer_claim_control_number=(event.payer_claim_control_number if remittance else None),
            recorded_at=event.timestamp,
            position=position,
        )
        for index, (entry, group) in enumerate(zip(event.entries, groups, strict=True))
    ]


def entry_row(values: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(_ENTRY_COLUMNS, values, strict=True))


def line_row(values: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(_LINE_COLUMNS, values, strict=True))


def line_values(event: Any, money: Mapping[UUID, Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """The event's lines as rows of read.claim_lines, in column order, with their money from
    `money` (`line_money`; a line without entries: `NO_LINE_MONEY`)."""
    values = []
    for number, line in enumerate(event.lines, start=1):
        folded = money.get(line.line_id, NO_LINE_MONEY)
        values.append(
            _new_line(
                line_id=line.line_id,
                claim_id=event.originator_id,
                tenant_id=event.tenant_id,
                line_number=number,
                order_line_id=line.order_line_id,
                hcpcs=line.hcpcs,
                modifiers=list(line.modifiers),
                units=line.units,
                billing=line.billing,
                rental_month=line.rental_month,
                from_date=line.from_date,
                to_date=line.to_date,
                charge=line.charge,
                expected_allowed=line.expected_allowed,
                paid=folded["paid"],
                balance=folded["balance"],
                current_payer_id=folded["current_payer_id"],
            )
        )
    return values


# --- Money: folds of the ledger -------------------------------------------------------------


def claim_money(ledger: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The claim's money columns, from all its ledger entries in posting order."""
    balance = paid = adjusted = patient_responsibility = patient_paid = written_off = ZERO
    current_payer_id = None
    for entry in ledger:
        amount, event = entry["amount"], entry["event_type"]
        balance += amount
        if event == "Adjudicated":
            if entry["carc"] is None:
                paid -= amount
            elif entry["cas_group"] not in (None, "PR"):
                adjusted -= amount
        elif event in ("PatientPaymentRecorded", "PatientRefunded"):
            patient_paid -= amount  # a refund (+) gives back what a payment (-) took
        elif event == "WrittenOff":
            written_off -= amount
        if entry["party"] == PATIENT:
            patient_responsibility += amount
        if amount > 0:
            current_payer_id = entry["party"]
    return {
        "balance": balance,
        "paid": paid,
        "adjusted": adjusted,
        "patient_responsibility": patient_responsibility,
        "patient_paid": patient_paid,
        "written_off": written_off,
        "current_payer_id": current_payer_id,
    }


NO_LINE_MONEY: Mapping[str, Any] = {"balance": ZERO, "paid": ZERO, "current_payer_id": None}


def line_money(ledger: Iterable[Mapping[str, Any]]) -> dict[UUID, dict[str, Any]]:
    """The money columns of each line that has entries (the others': `NO_LINE_MONEY`)."""
    folds: dict[UUID, dict[str, Any]] = {}
    for entry in ledger:
        fold = folds.setdefault(entry["line_id"], dict(NO_LINE_MONEY))
        amount = entry["amount"]
        fold["balance"] += amount
        if entry["event_type"] == "Adjudicated" and entry["carc"] is None:
            fold["paid"] -= amount
        if amount > 0:
            fold["current_payer_id"] = entry["party"]
    return folds


# --- The projection -------------------------------------------------------------------------


class ClaimsProjection(Projection):
    name = "claims"
    upstreams = ("claims",)
    tables = (claims, claim_lines, claim_ledger_entries)

    @handles(Claim.Drafted)
    def drafted(self, rows: Rows, event: Any) -> None:
        # The claim's whole ledger is this event's entries: its rows are added with their money
        # folded already (what `_post` would fold), not added and then updated.
        entries = ledger_values(event, rows.position)
        ledger = [entry_row(values) for values in entries]
        lines = line_values(event, line_money(ledger))
        rows[claims].add_values(
            _new_claim(
                **drafted_facts(event),
                **claim_money(ledger),
                line_count=len(lines),
                charge_total=sum((line.charge for line in event.lines), ZERO),
                drafted_at=event.timestamp,
                updated_at=event.timestamp,
                version=event.originator_version,
                position=rows.position,
            )
        )
        add_line = rows[claim_lines].add_values
        for line in lines:
            add_line(line)
        add_entry = rows[claim_ledger_entries].add_values
        for entry in entries:
            add_entry(entry)

    @handles(Claim.Event, reads=CLAIM)
    def changed(self, rows: Rows, event: Any) -> None:
        _change(rows, event)

    @handles(
        Claim.TransferredToSecondary,
        Claim.PatientResponsibilityAssigned,
        Claim.PatientPaymentRecorded,
        Claim.PatientRefunded,
        Claim.WrittenOff,
        Claim.Voided,
        Claim.Replaced,
        reads=(CLAIM, LINES, LEDGER),
    )
    def posted(self, rows: Rows, event: Any) -> None:
        _change(rows, event)
        _post(rows, event)

    @handles(Claim.Corrected, reads=(CLAIM, LINES, LEDGER))
    def corrected(self, rows: Rows, event: Any) -> None:
        held = rows[claim_lines]
        before = {line["line_id"]: line for line in held.group("claim_id", event.originator_id)}
        lines = [line_row(values) for values in line_values(event, {})]
        for line in lines:
            kept = before.pop(line["line_id"], None)
            if kept is None:
                held.add(line)
            else:  # a line corrected keeps what the last determination allowed
                held.update(line["line_id"], **{**line, "allowed": kept["allowed"]})
        for line_id in before:
            held.delete(line_id)
        _change(
            rows,
            event,
            line_count=len(lines),
            charge_total=sum((line["charge"] for line in lines), ZERO),
        )
        _post(rows, event)

    @handles(Claim.Adjudicated, reads=(CLAIM, LINES, LEDGER))
    def adjudicated(self, rows: Rows, event: Any) -> None:
        claim_id = event.originator_id
        values: dict[str, Any] = {}
        if event.status_code != REVERSAL_STATUS_CODE:
            held = rows[claim_lines]
            mine = {line["line_id"] for line in held.group("claim_id", claim_id)}
            for line in event.lines:
                if line.line_id in mine:
                    held.update(line.line_id, allowed=line.allowed)
            claim = rows[claims].get(claim_id)
            if claim["first_paid_on"] is None and any(line.paid > 0 for line in event.lines):
                values["first_paid_on"] = event.paid_on
                submitted = claim["first_submitted_at"]
                if submitted is not None:
                    first = submitted.astimezone(UTC).date()
                    values["days_to_payment"] = (event.paid_on - first).days
        _change(rows, event, **values)
        _post(rows, event)


def _change(rows: Rows, event: Any, **values: Any) -> None:
    """The claim's facts after `event`; every event moves its version and position."""
    claim = rows[claims].get(event.originator_id)
    rows[claims].touch(event, **header_changes(claim, event), **values, position=rows.position)


def _post(rows: Rows, event: Any) -> None:
    """Add the event's ledger entries and fold the claim's and its lines' money again."""
    claim_id = event.originator_id
    entries = rows[claim_ledger_entries]
    for entry in ledger_values(event, rows.position):
        entries.add_values(entry)
    ledger = sorted(entries.group("claim_id", claim_id), key=POSTING_ORDER)
    rows[claims].update(claim_id, **claim_money(ledger))
    by_line = line_money(ledger)
    for line in rows[claim_lines].group("claim_id", claim_id):
        rows[claim_lines].update(line["line_id"], **by_line.get(line["line_id"], NO_LINE_MONEY))
