"""`work_queue`: what needs doing next (read.work_queue), one row per open item, from the Orders,
Claims and Patients logs.

Kinds of item, and the date each is due on:
- `submit_claim`: a claim in draft or scrubbed; due on the day it was drafted.
- `confirm_transmission`: a claim whose interchange may or may not have reached the
  clearinghouse, which cannot say (application/transmission_reconciliation.py): a person asks
  it, then records the claim submitted in that interchange or not received; due on the day
  that was found.
- `fix_rejection`: a claim the clearinghouse rejected (it was not filed); due on the rejection
  day (UTC).
- `bill_secondary`: a claim moved to the secondary payer and not yet submitted to it; due on
  the day of the transfer.
- `appeal_denial`: a denied claim that may still be appealed; due on the appeal deadline.
- `timely_filing_risk`: a claim the payer does not have yet (not accepted, not adjudicated,
  not voided, replaced or closed); due on its timely filing deadline.
- `bill_rental`: a delivered rental line whose next month can be opened; due on that month's
  first day (anniversary billing, moved by redeliveries and inpatient stays:
  `domain.rental_periods`). While the order is on hold the item stays, saying the month waits
  for the release; while the patient is an inpatient there is none until the discharge.
- `billing_held`: a billing month a drafting rule refused (`domain.billing_hold`), naming the
  rule; due on the day it was first held, closed when the month is drafted.
- `follow_up_claim_status`: a submitted claim whose payer answered a status inquiry (277) with
  a denial, a rejection, not found or a request (`domain.inquiry_answers`); due on the day of
  the answer, closed by a later answer that needs nothing or by the 835.
- `coverage_inactive`: a coverage whose payer answered an eligibility inquiry (271) inactive,
  or could not answer it (from the Patients log); due on the day of the answer, closed by an
  answer saying active.
- `restock`: a location's stock of an item below the reorder point set for it
  (`domain.inventory`); due on the day it fell below, closed once on hand is back at or above
  the point (or the point is cleared). It names no order, patient or claim.

An item is open while its condition holds after an event, and deleted once it no longer does;
its `opened_*` columns name the event that opened it (an item closed and opened again names the
later one). Items are due on dates, not "now": the projection never reads the clock, so whether
an item is due, or a deadline near, is decided by the query (`due_on <= :date`).

The projection keeps its own memory of each claim (read.work_queue_claims, whose facts change
through `projections.claim_facts.header_changes`, as read.claims does) and of each rental line
(read.work_queue_rentals): it reads no other projection's tables. Items from the two upstreams
never touch each other's rows, so the order in which the two logs are applied does not matter
(a rebuild applies one log after the other).

One handler per event class changes the batch's rows in memory (`projections/folding.py`): a
claim's events read its memory and open items by `claim_id`, an order's events its rental lines
and their items by `order_id`. An item whose due date and detail stay the same is not written
again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date
from functools import lru_cache
from itertools import islice
from operator import itemgetter
from typing import Any

from domain.billing_hold import BillingHold
from domain.catalogue import item
from domain.claim import Claim
from domain.inquiry_answers import coverage_needs_attention
from domain.inventory import StockLedger
from domain.order import Order
from domain.order_values import LineBilling
from domain.patient import Patient
from domain.rental_periods import (
    InpatientSetting,
    InstitutionalStay,
    Possession,
    rental_month_slots,
)
from projections.base import Projection, handles
from projections.claim_facts import claim_header, header_changes
from projections.folding import Row, Rows, values_maker
from projections.inventory import ledger_change
from projections.inventory_tables import work_queue_stock
from projections.work_queue_items import claim_items
from projections.work_queue_tables import work_queue, work_queue_claims, work_queue_rentals

CLAIM_KINDS = (
    "submit_claim",
    "confirm_transmission",
    "fix_rejection",
    "bill_secondary",
    "appeal_denial",
    "timely_filing_risk",
    "follow_up_claim_status",
)
RENTAL_KIND = "bill_rental"
HOLD_KIND = "billing_held"
COVERAGE_KIND = "coverage_inactive"
RESTOCK_KIND = "restock"
STATE = frozenset(column.name for column in work_queue_claims.columns)
_state_values = itemgetter(*(column.name for column in work_queue_claims.columns))

# New rows, as values in their tables' column order (`TableRows.add_values`).
_new_item = values_maker(work_queue)
_new_rental = values_maker(
    work_queue_rentals,
    payer_id=None,
    delivered_on=None,
    months_opened=0,
    on_hold=False,
    picked_up_on=None,
    cancelled=False,
    interruptions=None,
)
_new_stock = values_maker(work_queue_stock, on_hand=0, reorder_point=None)

CLAIM = work_queue_claims.c.claim_id
CLAIM_ITEMS = work_queue.c.claim_id
RENTALS = work_queue_rentals.c.order_id
RENTAL_ITEMS = work_queue.c.order_id
HOLD_ITEMS = work_queue.c.subject_id
PATIENT_ITEMS = work_queue.c.patient_id  # a coverage's item, found by its patient
STOCK = work_queue_stock.c.ledger_id


def rental_item(state: Mapping[str, Any]) -> tuple[date, str] | None:
    """The next month to open on a rental line: (due_on, detail), or None (none is coming:
    cap reached, picked up, or the patient is an inpatient until a discharge is recorded)."""
    cap = state["rental_cap_months"]
    if state["cancelled"] or state["delivered_on"] is None or cap is None:
        return None
    possessions, stays = interruptions(state)
    slots = rental_month_slots(possessions, stays, cap)
    month = next(islice(slots, state["months_opened"], None), None)
    if month is None:
        return None
    period = f"period {month.period} " if month.period > 1 else ""
    what = f"{state['hcpcs']} rental {period}month {month.number} of {cap}"
    if state["on_hold"]:
        # Still rendered, so still on the queue: the month is opened once the order is released.
        return month.from_date, f"{what}: the order is on hold; release it to bill the month"
    return month.from_date, f"{what}: open and bill it"


def interruptions(state: Mapping[str, Any]) -> tuple[list[Possession], list[InstitutionalStay]]:
    """The line's possessions and stays; before any redelivery or stay, the one delivery."""
    recorded = state.get("interruptions")
    if recorded is None:
        return [Possession(state["delivered_on"], state["picked_up_on"])], []
    possessions = [Possession(date.fromisoformat(a), _day(b)) for a, b in recorded["possessions"]]
    # The setting does not move a month: any stay pauses the count alike.
    stays = [
        InstitutionalStay(date.fromisoformat(a), InpatientSetting.HOSPITAL, _day(b))
        for a, b in recorded["stays"]
    ]
    return possessions, stays


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _interrupted(state: Mapping[str, Any], change: str, day: date) -> dict[str, Any]:
    """The memory's interruptions after `change` on `day`: redelivered, picked_up, admitted or
    discharged."""
    possessions, stays = interruptions(state)
    kept = {
        "possessions": [[p.delivered_on.isoformat(), _iso(p.picked_up_on)] for p in possessions],
        "stays": [[s.admitted_on.isoformat(), _iso(s.discharged_on)] for s in stays],
    }
    if change == "redelivered":
        kept["possessions"].append([day.isoformat(), None])
    elif change == "picked_up":
        kept["possessions"][-1][1] = day.isoformat()
    elif change == "admitted":
        kept["stays"].append([day.isoformat(), None])
    else:
        kept["stays"][-1][1] = day.isoformat()
    return kept


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def held_detail(billing_month: str, rule_name: str) -> str:
    """A held month's detail: the month first (the rule changes, the month never does)."""
    return f"{billing_month} not drafted: rule {rule_name} refused it; fix the cause to bill it"


def hold_item(event: Any) -> tuple[date, str]:
    """The item of a just held month (event: BillingHold.Placed)."""
    return event.held_on, held_detail(event.billing_month, event.rule_name)


def placed_rentals(event: Any) -> list[tuple[Any, ...]]:
    """The memory rows (values in column order) of a just placed order's rental lines (event:
    Order.Placed)."""
    return [
        _new_rental(
            line_id=line.line_id,
            order_id=event.originator_id,
            tenant_id=event.tenant_id,
            patient_id=event.patient_id,
            hcpcs=line.hcpcs,
            rental_cap_months=_rental_cap(line.hcpcs),
        )
        for line in event.lines
        if line.billing is LineBilling.RENTAL
    ]


@lru_cache(maxsize=1024)
def _rental_cap(hcpcs: str) -> int | None:
    """The catalogue's, asked once per code rather than once per rental line."""
    return item(hcpcs).rental_cap_months


def coverage_item(event: Any) -> dict[str, tuple[date, str]]:
    """The open item of a coverage after an eligibility answer: none while active."""
    if not coverage_needs_attention(event.coverage):
        return {}
    said = (
        "inactive"
        if event.coverage == "inactive"
        else (f"not answered (AAA {event.reason or 'no reason'})")
    )
    return {
        COVERAGE_KIND: (
            event.checked_at.astimezone(UTC).date(),
            f"coverage with {event.payer_id} {said} on {event.as_of} (271): confirm the patient's "
            "coverage before billing it",
        )
    }


class WorkQueueProjection(Projection):
    name = "work_queue"
    upstreams = ("orders", "claims", "patients")
    tables = (work_queue, work_queue_claims, work_queue_rentals, work_queue_stock)

    # --- claims -----------------------------------------------------------------------------

    @handles(Claim.Drafted)
    def drafted(self, rows: Rows, event: Any) -> None:
        # A claim just drafted has no items yet: open its items without looking for held ones.
        # Its header names every fact the memory keeps, with the same values: the memory row
        # takes those (in column order), and the items are read from the header itself.
        header = claim_header(event)
        rows[work_queue_claims].add_values(_state_values(header))
        subject = _claim_subject(header)
        for kind, (due_on, detail) in claim_items(header).items():
            _open(rows, event, kind, subject, due_on, detail)

    @handles(Claim.Event, reads=(CLAIM, CLAIM_ITEMS))
    def claim_changed(self, rows: Rows, event: Any) -> None:
        memory = rows[work_queue_claims]
        changes = header_changes(memory.get(event.originator_id), event)
        _sync_claim(rows, memory.update(event.originator_id, **_claim_memory(changes)), event)

    # --- billing holds (from the Claims log) ------------------------------------------------

    @handles(BillingHold.Placed)
    def month_held(self, rows: Rows, event: Any) -> None:
        subject = {
            "subject_id": event.originator_id,
            "tenant_id": event.tenant_id,
            "claim_id": None,
            "order_id": event.order_id,
            "patient_id": event.patient_id,
            "payer_id": event.payer_id,
        }
        _sync(rows, event, subject, (HOLD_KIND,), {HOLD_KIND: hold_item(event)})

    @handles(BillingHold.RuleChanged, reads=HOLD_ITEMS)
    def hold_rule_changed(self, rows: Rows, event: Any) -> None:
        key = (HOLD_KIND, event.originator_id)
        if key in rows[work_queue]:
            detail = held_detail(event.billing_month, event.rule_name)
            rows[work_queue].update(key, payer_id=event.payer_id, detail=detail)

    @handles(BillingHold.Cleared, reads=HOLD_ITEMS)
    def hold_cleared(self, rows: Rows, event: Any) -> None:
        key = (HOLD_KIND, event.originator_id)
        if key in rows[work_queue]:
            rows[work_queue].delete(key)

    # --- coverage (from the Patients log) ---------------------------------------------------

    @handles(Patient.EligibilityChecked, reads=PATIENT_ITEMS)
    def eligibility_checked(self, rows: Rows, event: Any) -> None:
        subject = {
            "subject_id": event.coverage_id,
            "tenant_id": event.tenant_id,
            "claim_id": None,
            "order_id": None,
            "patient_id": event.originator_id,
            "payer_id": event.payer_id,
        }
        _sync(rows, event, subject, (COVERAGE_KIND,), coverage_item(event))

    # --- rental lines -----------------------------------------------------------------------

    @handles(Order.Placed)
    def placed(self, rows: Rows, event: Any) -> None:
        for line in placed_rentals(event):  # not delivered yet: nothing to bill
            rows[work_queue_rentals].add_values(line)

    @handles(Order.CoverageVerified, reads=(RENTALS, RENTAL_ITEMS))
    def coverage_verified(self, rows: Rows, event: Any) -> None:
        _change_rentals(rows, event, payer_id=event.payer_id)

    @handles(Order.Delivered, reads=(RENTALS, RENTAL_ITEMS))
    def delivered(self, rows: Rows, event: Any) -> None:
        _change_rentals(rows, event, delivered_on=event.delivered_on)

    @handles(Order.PutOnHold, reads=(RENTALS, RENTAL_ITEMS))
    def put_on_hold(self, rows: Rows, event: Any) -> None:
        _change_rentals(rows, event, on_hold=True)

    @handles(Order.Released, reads=(RENTALS, RENTAL_ITEMS))
    def released(self, rows: Rows, event: Any) -> None:
        _change_rentals(rows, event, on_hold=False)

    @handles(Order.PickedUp, reads=(RENTALS, RENTAL_ITEMS))
    def picked_up(self, rows: Rows, event: Any) -> None:
        for line in rows[work_queue_rentals].group("order_id", event.originator_id):
            kept = line["interruptions"]
            if kept is not None:
                kept = _interrupted(line, "picked_up", event.picked_up_on)
            _change_rental(
                rows, event, line["line_id"], picked_up_on=event.picked_up_on, interruptions=kept
            )

    @handles(Order.Redelivered, reads=(RENTALS, RENTAL_ITEMS))
    def redelivered(self, rows: Rows, event: Any) -> None:
        _interrupt_rentals(rows, event, "redelivered", event.delivered_on, picked_up_on=None)

    @handles(Order.InstitutionalStayBegan, reads=(RENTALS, RENTAL_ITEMS))
    def admitted(self, rows: Rows, event: Any) -> None:
        _interrupt_rentals(rows, event, "admitted", event.admitted_on)

    @handles(Order.InstitutionalStayEnded, reads=(RENTALS, RENTAL_ITEMS))
    def discharged(self, rows: Rows, event: Any) -> None:
        _interrupt_rentals(rows, event, "discharged", event.discharged_on)

    @handles(Order.Cancelled, reads=(RENTALS, RENTAL_ITEMS))
    def cancelled(self, rows: Rows, event: Any) -> None:
        _change_rentals(rows, event, cancelled=True, on_hold=False)

    @handles(Order.RentalMonthOpened, reads=(RENTALS, RENTAL_ITEMS))
    def rental_month_opened(self, rows: Rows, event: Any) -> None:
        if event.line_id in rows[work_queue_rentals]:
            opened = rows[work_queue_rentals].get(event.line_id)["months_opened"]
            _change_rental(rows, event, event.line_id, months_opened=opened + 1)

    # --- stock below its reorder point (from the Orders log) ----------------------------------

    @handles(StockLedger.Opened)
    def ledger_opened(self, rows: Rows, event: Any) -> None:
        rows[work_queue_stock].add_values(
            _new_stock(
                ledger_id=event.originator_id,
                tenant_id=event.tenant_id,
                location_id=event.location_id,
                hcpcs=event.hcpcs,
            )
        )

    @handles(StockLedger.ReorderPointSet, reads=(STOCK, HOLD_ITEMS))
    def reorder_point_set(self, rows: Rows, event: Any) -> None:
        state = rows[work_queue_stock].update(event.originator_id, reorder_point=event.point)
        _sync_stock(rows, event, state, event.timestamp.astimezone(UTC).date())

    @handles(StockLedger.Event, reads=(STOCK, HOLD_ITEMS))
    def stock_moved(self, rows: Rows, event: Any) -> None:
        memory = rows[work_queue_stock]
        on_hand = ledger_change(memory.get(event.originator_id)["on_hand"], event)
        _sync_stock(rows, event, memory.update(event.originator_id, on_hand=on_hand), event.on)


def _sync_stock(rows: Rows, event: Any, state: Row, on: date) -> None:
    """A restock item while on hand is below the reorder point; due on the day it fell below."""
    point = state["reorder_point"]
    key = (RESTOCK_KIND, state["ledger_id"])
    low = point is not None and state["on_hand"] < point
    open_item = {}
    if low:
        due_on = rows[work_queue].get(key)["due_on"] if key in rows[work_queue] else on
        open_item[RESTOCK_KIND] = (
            due_on,
            f"{state['hcpcs']} at location {state['location_id']}: {state['on_hand']} on hand, "
            f"below the reorder point of {point}: reorder",
        )
    subject = {
        "subject_id": state["ledger_id"],
        "tenant_id": state["tenant_id"],
        "claim_id": None,
        "order_id": None,
        "patient_id": None,
        "payer_id": None,
    }
    _sync(rows, event, subject, (RESTOCK_KIND,), open_item)


def _claim_memory(facts: Mapping[str, Any]) -> Row:
    """The facts read.work_queue_claims keeps (read.claims keeps more)."""
    return {name: value for name, value in facts.items() if name in STATE}


def _claim_subject(state: Row) -> Row:
    return {
        "subject_id": state["claim_id"],
        "tenant_id": state["tenant_id"],
        "claim_id": state["claim_id"],
        "order_id": state["order_id"],
        "patient_id": state["patient_id"],
        "payer_id": state["billed_payer_id"],
    }


def _sync_claim(rows: Rows, state: Row, event: Any) -> None:
    _sync(rows, event, _claim_subject(state), CLAIM_KINDS, claim_items(state))


def _interrupt_rentals(rows: Rows, event: Any, change: str, day: date, **changes: Any) -> None:
    for line in rows[work_queue_rentals].group("order_id", event.originator_id):
        kept = _interrupted(line, change, day)
        _change_rental(rows, event, line["line_id"], interruptions=kept, **changes)


def _change_rentals(rows: Rows, event: Any, **changes: Any) -> None:
    for line in rows[work_queue_rentals].group("order_id", event.originator_id):
        _change_rental(rows, event, line["line_id"], **changes)


def _change_rental(rows: Rows, event: Any, line_id: Any, **changes: Any) -> None:
    state = rows[work_queue_rentals].update(line_id, **changes)
    subject = {
        "subject_id": line_id,
        "tenant_id": state["tenant_id"],
        "claim_id": None,
        "order_id": state["order_id"],
        "patient_id": state["patient_id"],
        "payer_id": state["payer_id"],
    }
    next_month = rental_item(state)
    _sync(
        rows,
        event,
        subject,
        (RENTAL_KIND,),
        {} if next_month is None else {RENTAL_KIND: next_month},
    )


def _sync(
    rows: Rows,
    event: Any,
    subject: Row,
    kinds: Iterable[str],
    now_open: Mapping[str, tuple[date, str]],
) -> None:
    """After `event`, the subject's open items are `now_open` (kind -> (due_on, detail)). An
    item that stays open keeps the event that opened it; a new one is opened by this event."""
    items = rows[work_queue]
    for kind in kinds:
        key = (kind, subject["subject_id"])
        if kind not in now_open:
            if key in items:
                items.delete(key)
            continue
        due_on, detail = now_open[kind]
        if key in items:
            items.update(key, **subject, due_on=due_on, detail=detail)
        else:
            _open(rows, event, kind, subject, due_on, detail)


def _open(rows: Rows, event: Any, kind: str, subject: Row, due_on: date, detail: str) -> None:
    """A new item of `kind` for the subject, opened by `event`."""
    rows[work_queue].add_values(
        _new_item(
            kind=kind,
            **subject,
            due_on=due_on,
            detail=detail,
            opened_upstream=rows.upstream,
            opened_position=rows.position,
            opened_at=event.timestamp,
        )
    )
