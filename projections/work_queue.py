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
  first day (anniversary billing, `domain.order.rental_month_dates`).

An item is upserted while its condition holds and deleted once it no longer does; its
`opened_*` columns name the event that first opened it. Items are due on dates, not "now":
the projection never reads the clock, so whether an item is due, or a deadline near, is decided
by the query (`due_on <= :date`).

The projection keeps its own memory of each claim (read.work_queue_claims, whose facts change
through `projections.claims.header_changes`, as read.claims does) and of each rental line
(read.work_queue_rentals): it reads no other projection's tables. Items from the two upstreams
never touch each other's rows, so the order in which the two logs are applied does not matter
(a rebuild applies one log after the other).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from domain.catalogue import item
from domain.claim import Claim
from domain.order import LineBilling, Order, rental_month_dates
from projections.base import Projection, handles
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

Q = work_queue.c
STATE = frozenset(column.name for column in work_queue_claims.columns)


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
            state["rejected_at"].date(),
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


class WorkQueueProjection(Projection):
    name = "work_queue"
    upstreams = ("orders", "claims")
    tables = (work_queue, work_queue_claims, work_queue_rentals)

    # --- claims -------------------------------------------------------------------------------

    @handles(Claim.Drafted)
    def claim_drafted(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        state = {k: v for k, v in claim_header(event).items() if k in STATE}
        conn.execute(insert(work_queue_claims), state)
        self._sync_claim(conn, state, event, upstream, position)

    @handles(Claim.Event)
    def claim_changed(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        before = conn.execute(
            select(work_queue_claims).where(work_queue_claims.c.claim_id == event.originator_id)
        ).mappings().one()
        changes = {k: v for k, v in header_changes(before, event).items() if k in STATE}
        conn.execute(
            update(work_queue_claims).where(
                work_queue_claims.c.claim_id == event.originator_id
            ),
            changes,
        )
        self._sync_claim(conn, {**before, **changes}, event, upstream, position)

    def _sync_claim(
        self, conn: Connection, state: Mapping[str, Any], event: Any, upstream: str, position: int
    ) -> None:
        items = claim_items(state)
        gone = [kind for kind in CLAIM_KINDS if kind not in items]
        conn.execute(
            delete(work_queue).where(Q.subject_id == state["claim_id"], Q.kind.in_(gone))
        )
        for kind, (due_on, detail) in items.items():
            self._open(
                conn,
                event,
                upstream,
                position,
                kind=kind,
                subject_id=state["claim_id"],
                tenant_id=state["tenant_id"],
                claim_id=state["claim_id"],
                order_id=state["order_id"],
                patient_id=state["patient_id"],
                payer_id=state["billed_payer_id"],
                due_on=due_on,
                detail=detail,
            )

    # --- orders -------------------------------------------------------------------------------

    @handles(Order.Placed)
    def order_placed(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        rentals = [
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
        if rentals:
            conn.execute(insert(work_queue_rentals), rentals)

    @handles(Order.CoverageVerified)
    def coverage_verified(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        self._rentals_changed(conn, event, upstream, position, payer_id=event.payer_id)

    @handles(Order.Delivered)
    def delivered(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        self._rentals_changed(conn, event, upstream, position, delivered_on=event.delivered_on)

    @handles(Order.PutOnHold)
    def put_on_hold(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        self._rentals_changed(conn, event, upstream, position, on_hold=True)

    @handles(Order.Released)
    def released(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        self._rentals_changed(conn, event, upstream, position, on_hold=False)

    @handles(Order.PickedUp)
    def picked_up(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        self._rentals_changed(conn, event, upstream, position, picked_up_on=event.picked_up_on)

    @handles(Order.Cancelled)
    def cancelled(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        self._rentals_changed(conn, event, upstream, position, cancelled=True, on_hold=False)

    @handles(Order.RentalMonthOpened)
    def month_opened(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        self._rentals_changed(
            conn, event, upstream, position, line_id=event.line_id, months_opened=event.month_number
        )

    def _rentals_changed(
        self,
        conn: Connection,
        event: Any,
        upstream: str,
        position: int,
        line_id: UUID | None = None,
        **changes: Any,
    ) -> None:
        """Change the order's rental lines (or one of them), then their bill_rental items."""
        R = work_queue_rentals.c
        which = [R.order_id == event.originator_id]
        if line_id is not None:
            which.append(R.line_id == line_id)
        rows = conn.execute(
            update(work_queue_rentals).where(*which).values(**changes).returning(work_queue_rentals)
        ).mappings().all()
        for state in sorted(rows, key=lambda row: str(row["line_id"])):
            next_month = rental_item(state)
            if next_month is None:
                conn.execute(
                    delete(work_queue).where(
                        Q.kind == RENTAL_KIND, Q.subject_id == state["line_id"]
                    )
                )
                continue
            due_on, detail = next_month
            self._open(
                conn,
                event,
                upstream,
                position,
                kind=RENTAL_KIND,
                subject_id=state["line_id"],
                tenant_id=state["tenant_id"],
                claim_id=None,
                order_id=state["order_id"],
                patient_id=state["patient_id"],
                payer_id=state["payer_id"],
                due_on=due_on,
                detail=detail,
            )

    # --- items --------------------------------------------------------------------------------

    def _open(
        self, conn: Connection, event: Any, upstream: str, position: int, **item_values: Any
    ) -> None:
        """Open the item, or bring an open one up to date (it keeps the event that opened it)."""
        statement = pg_insert(work_queue).values(
            **item_values,
            opened_upstream=upstream,
            opened_position=position,
            opened_at=event.timestamp,
        )
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=[Q.kind, Q.subject_id],
                set_={
                    "due_on": statement.excluded.due_on,
                    "detail": statement.excluded.detail,
                    "payer_id": statement.excluded.payer_id,
                },
            )
        )
