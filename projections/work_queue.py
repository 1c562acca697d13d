"""`work_queue`: what needs doing next (read.work_queue), one row per open item, from the Orders
and Claims logs.

Kinds of item, and the date each is due on:
- `submit_claim`: a claim in draft or scrubbed; due on the day it was drafted.
- `fix_rejection`: a claim the clearinghouse rejected (it was not filed); due on the rejection
  day (UTC).
- `bill_secondary`: a claim moved to the secondary payer and not yet submitted to it; due on
  the day of the transfer.
- `appeal_denial`: a denied claim that may still be appealed; due on the appeal deadline.
- `timely_filing_risk`: a claim the payer does not have yet (not accepted, not adjudicated,
  not voided, replaced or closed); due on its timely filing deadline.
- `bill_rental`: a delivered rental line whose next month can be opened; due on that month's
  first day (anniversary billing, `domain.order_values.rental_month_dates`).

An item is open while its condition holds after an event, and deleted once it no longer does;
its `opened_*` columns name the event that opened it (an item closed and opened again names the
later one). Items are due on dates, not "now": the projection never reads the clock, so whether
an item is due, or a deadline near, is decided by the query (`due_on <= :date`).

The projection keeps its own memory of each claim (read.work_queue_claims, whose facts change
through `projections.claims.header_changes`, as read.claims does) and of each rental line
(read.work_queue_rentals): it reads no other projection's tables. Items from the two upstreams
never touch each other's rows, so the order in which the two logs are applied does not matter
(a rebuild applies one log after the other).

Rows are written per batch, not per event (`apply_batch`; a single event is a batch of one):
the memory rows and open items of the claims and rental lines a batch touches are read once,
the batch's events are applied to them in order, in memory, by the pure functions below, and
each row that changed is written once. A batch costs a handful of statements whatever its size,
and ends with the rows that applying its events one at a time would leave.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC
from operator import itemgetter
from typing import Any
from uuid import UUID

from sqlalchemy import Column, ColumnElement, Connection, Table, any_, delete, literal, select
from sqlalchemy.dialects.postgresql import ARRAY

from domain.catalogue import item
from domain.claim import Claim
from domain.order import Order
from domain.order_values import LineBilling, rental_month_dates
from projections.base import Projection, copy_rows, handles
from projections.claims import claim_header, header_changes
from projections.tables import work_queue, work_queue_claims, work_queue_rentals

CLAIM_KINDS = (
    "submit_claim",
    "fix_rejection",
    "bill_secondary",
    "appeal_denial",
    "timely_filing_risk",
)
RENTAL_KIND = "bill_rental"
CLOSED_STATES = frozenset({"voided", "replaced", "closed"})
# The order events that change rental lines (the others are not even decoded).
RENTAL_EVENTS = (
    Order.Placed,
    Order.CoverageVerified,
    Order.Delivered,
    Order.PutOnHold,
    Order.Released,
    Order.PickedUp,
    Order.Cancelled,
    Order.RentalMonthOpened,
)

Q = work_queue.c
C = work_queue_claims.c
R = work_queue_rentals.c
STATE = frozenset(column.name for column in work_queue_claims.columns)
OPENED = ("opened_upstream", "opened_position", "opened_at")

Row = dict[str, Any]


def claim_items(state: Mapping[str, Any]) -> dict[str, tuple[Any, str]]:
    """The open items of a claim: kind -> (due_on, detail). Details hold codes, not PHI."""
    status = state["status"]
    items: dict[str, tuple[Any, str]] = {}
    if status in ("draft", "scrubbed"):
        items["submit_claim"] = (
            state["drafted_on"],
            f"{status} claim for {state['billing_month']}: scrub and submit",
        )
    if status == "rejected":
        items["fix_rejection"] = (
            state["rejected_at"].astimezone(UTC).date(),
            "rejected by the clearinghouse: correct and submit again",
        )
    if status == "awaiting_secondary":
        items["bill_secondary"] = (
            state["transferred_on"],
            f"bill the remaining balance to {state['billed_payer_id']}",
        )
    if status == "denied" and state["appeal_deadline"] is not None:
        level = "redetermination" if state["appeal_level"] is None else "reconsideration"
        carcs = ", ".join(state["denial_carcs"]) or "none"
        items["appeal_denial"] = (
            state["appeal_deadline"],
            f"denied (CARC {carcs}): file a {level} by {state['appeal_deadline']}",
        )
    if not state["filed"] and status not in CLOSED_STATES:
        items["timely_filing_risk"] = (
            state["timely_filing_deadline"],
            f"not yet filed with {state['billed_payer_id']}: file by "
            f"{state['timely_filing_deadline']}",
        )
    return items


def rental_item(state: Mapping[str, Any]) -> tuple[Any, str] | None:
    """The next month to open on a rental line: (due_on, detail), or None."""
    cap = state["rental_cap_months"]
    delivered_on = state["delivered_on"]
    if state["cancelled"] or state["on_hold"] or delivered_on is None or cap is None:
        return None
    month = state["months_opened"] + 1
    if month > cap:
        return None
    starts_on, _ = rental_month_dates(delivered_on, month)
    picked_up_on = state["picked_up_on"]
    if picked_up_on is not None and starts_on >= picked_up_on:
        return None
    return starts_on, f"{state['hcpcs']} rental month {month} of {cap}: open and bill it"


def placed_rentals(event: Any) -> list[Row]:
    """The memory rows of a just placed order's rental lines (event: Order.Placed)."""
    return [
        {
            "line_id": line.line_id,
            "order_id": event.originator_id,
            "tenant_id": event.tenant_id,
            "patient_id": event.patient_id,
            "hcpcs": line.hcpcs,
            "rental_cap_months": item(line.hcpcs).rental_cap_months,
            "payer_id": None,
            "delivered_on": None,
            "months_opened": 0,
            "on_hold": False,
            "picked_up_on": None,
            "cancelled": False,
        }
        for line in event.lines
        if line.billing is LineBilling.RENTAL
    ]


def rental_changes(event: Any) -> Row | None:
    """What an order event changes on the order's rental lines (a RentalMonthOpened: on its
    line only); None for an event that changes none."""
    match event:
        case Order.CoverageVerified():
            return {"payer_id": event.payer_id}
        case Order.Delivered():
            return {"delivered_on": event.delivered_on}
        case Order.PutOnHold():
            return {"on_hold": True}
        case Order.Released():
            return {"on_hold": False}
        case Order.PickedUp():
            return {"picked_up_on": event.picked_up_on}
        case Order.Cancelled():
            return {"cancelled": True, "on_hold": False}
        case Order.RentalMonthOpened():
            return {"months_opened": event.month_number}
    return None


class WorkQueueProjection(Projection):
    name = "work_queue"
    upstreams = ("orders", "claims")
    tables = (work_queue, work_queue_claims, work_queue_rentals)

    @handles(Claim.Event, *RENTAL_EVENTS)
    def apply_one(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        """Names the events the queue reads (only those are decoded); one is a batch of one."""
        self.apply_batch(conn, upstream, [(position, event)])

    def apply_batch(
        self, conn: Connection, upstream: str, events: Sequence[tuple[int, Any]]
    ) -> None:
        claim_events = [pair for pair in events if isinstance(pair[1], Claim.Event)]
        order_events = [pair for pair in events if isinstance(pair[1], Order.Event)]
        if claim_events:
            _apply_claim_events(conn, upstream, claim_events)
        if order_events:
            _apply_order_events(conn, upstream, order_events)


# --- Batches --------------------------------------------------------------------------------


def _apply_claim_events(conn: Connection, upstream: str, events: Sequence[tuple[int, Any]]) -> None:
    drafted = dict.fromkeys(e.originator_id for _, e in events if isinstance(e, Claim.Drafted))
    stored = {e.originator_id for _, e in events}.difference(drafted)
    loaded = {row["claim_id"]: row for row in _rows(conn, work_queue_claims, C.claim_id, stored)}
    claims = dict(loaded)
    items = _OpenItems(conn, loaded)  # a claim drafted in this batch has none yet
    for position, event in events:
        if isinstance(event, Claim.Drafted):
            state = _claim_memory(claim_header(event))
        else:
            before = claims.get(event.originator_id)
            if before is None:
                raise LookupError("an event of a claim the work queue has no memory of")
            state = {**before, **_claim_memory(header_changes(before, event))}
        claims[state["claim_id"]] = state
        items.sync(
            {
                "subject_id": state["claim_id"],
                "tenant_id": state["tenant_id"],
                "claim_id": state["claim_id"],
                "order_id": state["order_id"],
                "patient_id": state["patient_id"],
                "payer_id": state["billed_payer_id"],
            },
            claim_items(state),
            _opened_by(upstream, position, event),
        )
    changed = [claim_id for claim_id, row in loaded.items() if claims[claim_id] != row]
    _rewrite(
        conn, work_queue_claims, [claims[key] for key in (*drafted, *changed)], C.claim_id, changed
    )
    items.write(conn)


def _apply_order_events(conn: Connection, upstream: str, events: Sequence[tuple[int, Any]]) -> None:
    placed = dict.fromkeys(e.originator_id for _, e in events if isinstance(e, Order.Placed))
    stored = {e.originator_id for _, e in events}.difference(placed)
    loaded = {row["line_id"]: row for row in _rows(conn, work_queue_rentals, R.order_id, stored)}
    lines = dict(loaded)
    lines_of: dict[UUID, list[UUID]] = {}
    for line_id, row in loaded.items():
        lines_of.setdefault(row["order_id"], []).append(line_id)
    items = _OpenItems(conn, loaded)  # a line placed in this batch has none yet
    created: list[UUID] = []
    for position, event in events:
        if isinstance(event, Order.Placed):
            for row in placed_rentals(event):
                lines[row["line_id"]] = row
                lines_of.setdefault(row["order_id"], []).append(row["line_id"])
                created.append(row["line_id"])
            continue  # not delivered yet: nothing to bill
        changes = rental_changes(event)
        if changes is None:
            continue
        only = event.line_id if isinstance(event, Order.RentalMonthOpened) else None
        for line_id in lines_of.get(event.originator_id, ()):
            if only is not None and line_id != only:
                continue
            state = lines[line_id] = {**lines[line_id], **changes}
            next_month = rental_item(state)
            items.sync(
                {
                    "subject_id": line_id,
                    "tenant_id": state["tenant_id"],
                    "claim_id": None,
                    "order_id": state["order_id"],
                    "patient_id": state["patient_id"],
                    "payer_id": state["payer_id"],
                },
                {} if next_month is None else {RENTAL_KIND: next_month},
                _opened_by(upstream, position, event),
            )
    changed = [line_id for line_id, row in loaded.items() if lines[line_id] != row]
    _rewrite(
        conn, work_queue_rentals, [lines[key] for key in (*created, *changed)], R.line_id, changed
    )
    items.write(conn)


class _OpenItems:
    """The open items of the subjects (claims or rental lines) a batch touches: read once, then
    opened, brought up to date and closed in memory as the batch's events apply, and written
    back once per subject whose items changed."""

    def __init__(self, conn: Connection, subject_ids: Collection[UUID]) -> None:
        self.loaded: dict[UUID, dict[str, Row]] = {}
        for row in _rows(conn, work_queue, Q.subject_id, subject_ids):
            self.loaded.setdefault(row["subject_id"], {})[row["kind"]] = row
        self.open = dict(self.loaded)

    def sync(self, subject: Row, now_open: Mapping[str, tuple[Any, str]], opened_by: Row) -> None:
        """After an event, the subject's open items are `now_open` (kind -> (due_on, detail)).
        An item that stays open keeps the event that opened it; a new one is `opened_by` this
        event."""
        was = self.open.get(subject["subject_id"], {})
        self.open[subject["subject_id"]] = {
            kind: {
                "kind": kind,
                **subject,
                "due_on": due_on,
                "detail": detail,
                **(opened_by if kind not in was else {name: was[kind][name] for name in OPENED}),
            }
            for kind, (due_on, detail) in now_open.items()
        }

    def write(self, conn: Connection) -> None:
        changed = [key for key, items in self.open.items() if items != self.loaded.get(key, {})]
        rows = [row for key in changed for row in self.open[key].values()]
        # A changed subject's stored items (all of them were loaded) are written again whole.
        _rewrite(
            conn, work_queue, rows, Q.subject_id, [key for key in changed if key in self.loaded]
        )


def _opened_by(upstream: str, position: int, event: Any) -> Row:
    return {"opened_upstream": upstream, "opened_position": position, "opened_at": event.timestamp}


def _claim_memory(facts: Mapping[str, Any]) -> Row:
    """The facts read.work_queue_claims keeps (read.claims keeps more)."""
    return {name: value for name, value in facts.items() if name in STATE}


def _any(column: Column[Any], values: Collection[Any]) -> ColumnElement[bool]:
    """`column = ANY(:values)`: one parameter, one query plan, however many values."""
    return column == any_(literal(list(values), ARRAY(column.type)))


def _rows(
    conn: Connection, table: Table, column: Column[Any], values: Collection[Any]
) -> list[Row]:
    """The rows of `table` whose `column` is one of `values`."""
    if not values:
        return []
    return [dict(row) for row in conn.execute(select(table).where(_any(column, values))).mappings()]


def _rewrite(
    conn: Connection, table: Table, rows: Sequence[Row], by: Column[Any], stored: Collection[Any]
) -> None:
    """Write `rows`, new or changed, in two statements: delete the stored rows they replace
    (those whose `by` is one of `stored`), then COPY them all in: several times faster than an
    INSERT of as many rows, let alone an upsert. A row the batch creates but that was stored
    already (a second Drafted or Placed) breaks the primary key, as it should."""
    if stored:
        conn.execute(delete(table).where(_any(by, stored)))
    if rows:
        columns = [column.name for column in table.columns]
        copy_rows(conn, table, columns, map(itemgetter(*columns), rows))
