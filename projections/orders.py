"""`orders`: the order read models, `read.orders` and `read.order_lines`, from the orders log.

What the API's order queries serve (list with status, patient, date and hold filters; one
order with its lines) and what analysts count (orders by status, documentation gaps, prior
authorization outcomes, rentals opened). Every Order event moves the row's `version` and
`updated_at`, so the row's version is the aggregate's (the ETag a client sends back as
If-Match).

A batch is folded (`projections/folding.py`): the rows of the orders it touches come in with
one query per table, each event changes them in memory in order (the `_OrderFold` method named
after it), and each changed row is written once.

Choices a reader may question:
- Status follows `Order.status` without reading the aggregate: it is computed from the row's
  own columns (a hold shows as on_hold while the order is in intake or delivered; a pickup or
  cancellation wins over a hold), and the prior-authorization summary from the order's line
  rows.
- `wopd_required`, `prior_auth_required` and `description` come from the HCPCS catalogue
  (`domain.catalogue`), a pure function of the event's code shipped with the code: a rebuild
  after a catalogue change recomputes them, as it would after a handler change.
- Nothing depends on the clock: whether a UTN has expired is a question for a date, so the rows
  keep `utn_valid_until` / `prior_authorization_valid_until` and queries compare.
- Lines are keyed by (order id, line id): line ids come from the caller, and a key the domain
  does not promise to be unique across orders must not be able to stop the projection.
- The POD signer's name is not copied (a person's name, not needed by any query); its
  relationship (patient or designee) is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from eventsourcing.utils import get_topic, resolve_topic
from sqlalchemy import Connection

from domain.base import event_type
from domain.catalogue import item
from domain.order import Order
from projections.base import Projection
from projections.folding import Row, Rows
from projections.tables import order_lines, orders

# Events that change line rows of an order placed before the batch: its lines come in.
_LINE_EVENTS = frozenset(
    {
        "PriorAuthorizationAffirmed",
        "PriorAuthorizationNonAffirmed",
        "Delivered",
        "RentalMonthOpened",
        "AdherenceRecorded",
    }
)


def _value(enum_or_text: Any) -> str:
    return getattr(enum_or_text, "value", enum_or_text)


def _name(event: Any) -> str:
    return event_type(get_topic(type(event)))


def _documentation_complete(order: Row) -> bool:
    return order["swo_signed_on"] is not None and (
        not order["wopd_required"]
        or (order["wopd_signed_on"] is not None and order["face_to_face_on"] is not None)
    )


class _OrderFold:
    """One batch's rows, changed in memory by its events in order."""

    def __init__(self) -> None:
        self.orders = Rows(orders)
        self.lines = Rows(order_lines, group_by="order_id")

    def load(self, conn: Connection, named: Sequence[tuple[str, Any]]) -> None:
        """The stored rows the events will change (rows the batch creates are not read)."""
        placed = {e.originator_id for name, e in named if name == "Placed"}
        self.orders.load(conn, "order_id", {e.originator_id for _, e in named} - placed)
        self.lines.load(
            conn,
            "order_id",
            {e.originator_id for name, e in named if name in _LINE_EVENTS} - placed,
        )

    def apply(self, name: str, event: Any) -> None:
        _STEPS.get(name, _OrderFold.touch)(self, event)

    def write(self, conn: Connection) -> None:
        self.orders.write(conn)
        self.lines.write(conn)

    def touch(self, event: Any, **values: Any) -> Row:
        """Every event moves the version (the ETag), whether or not the rows show it."""
        return self.orders.update(
            event.originator_id,
            version=event.originator_version,
            updated_at=event.timestamp,
            **values,
        )

    # --- intake -----------------------------------------------------------------------------

    def placed(self, event: Any) -> None:
        catalogued = [item(line.hcpcs) for line in event.lines]
        needs_prior_auth = any(c.prior_auth_required for c in catalogued)
        self.orders.add(
            {
                "order_id": event.originator_id,
                "tenant_id": event.tenant_id,
                "patient_id": event.patient_id,
                "status": "intake",
                "on_hold": False,
                "hold_reason": None,
                "held_on": None,
                "order_date": event.order_date,
                "practitioner_npi": event.practitioner.npi,
                "practitioner_name": event.practitioner.name,
                "diagnoses": list(event.diagnoses),
                "line_count": len(event.lines),
                "coverage_id": None,
                "payer_id": None,
                "coverage_verified_on": None,
                "coverage_eligible": None,
                "same_or_similar_found": None,
                "swo_signed_on": None,
                "wopd_required": any(c.wopd_required for c in catalogued),
                "wopd_signed_on": None,
                "face_to_face_on": None,
                "abn_signed_on": None,
                "documentation_complete": False,
                "prior_authorization": "pending" if needs_prior_auth else "not_required",
                "prior_authorization_valid_until": None,
                "delivered_on": None,
                "pod_signer_relationship": None,
                "picked_up_on": None,
                "pickup_reason": None,
                "cancelled_on": None,
                "cancellation_reason": None,
                "placed_at": event.timestamp,
                "updated_at": event.timestamp,
                "version": event.originator_version,
            }
        )
        for number, (line, c) in enumerate(zip(event.lines, catalogued, strict=True), 1):
            self.lines.add(
                {
                    "order_id": event.originator_id,
                    "line_id": line.line_id,
                    "tenant_id": event.tenant_id,
                    "line_number": number,
                    "hcpcs": line.hcpcs,
                    "description": c.description,
                    "quantity": line.quantity,
                    "billing": _value(line.billing),
                    "oxygen_flow_lpm": line.oxygen_flow_lpm,
                    "prior_auth_required": c.prior_auth_required,
                    "prior_auth_status": None,
                    "prior_auth_decided_on": None,
                    "utn": None,
                    "utn_valid_until": None,
                    "prior_auth_reason": None,
                    "serial_numbers": [],
                    "rental_months_opened": 0,
                    "last_rental_month_from": None,
                    "last_rental_month_to": None,
                    "adherence_met": None,
                    "adherence_evaluated_on": None,
                }
            )

    # --- coverage and documents -------------------------------------------------------------

    def coverage_verified(self, event: Any) -> None:
        self.touch(
            event,
            coverage_id=event.coverage_id,
            payer_id=event.payer_id,
            coverage_verified_on=event.verified_on,
            coverage_eligible=event.eligible,
            same_or_similar_found=event.same_or_similar_found,
        )

    def swo_recorded(self, event: Any) -> None:
        self._document(event, swo_signed_on=event.signed_on)

    def wopd_recorded(self, event: Any) -> None:
        self._document(event, wopd_signed_on=event.signed_on)

    def face_to_face_recorded(self, event: Any) -> None:
        self._document(event, face_to_face_on=event.encounter_on)

    def _document(self, event: Any, **signed: Any) -> None:
        order = self.touch(event, **signed)
        self.orders.update(
            event.originator_id, documentation_complete=_documentation_complete(order)
        )

    def abn_recorded(self, event: Any) -> None:
        self.touch(event, abn_signed_on=event.signed_on)

    # --- prior authorization ----------------------------------------------------------------

    def prior_authorization_affirmed(self, event: Any) -> None:
        self._decide(
            event,
            {
                "prior_auth_status": "affirmed",
                "prior_auth_decided_on": event.decided_on,
                "utn": event.utn,
                "utn_valid_until": event.valid_until,
                "prior_auth_reason": None,
            },
        )

    def prior_authorization_non_affirmed(self, event: Any) -> None:
        self._decide(
            event,
            {
                "prior_auth_status": "non_affirmed",
                "prior_auth_decided_on": event.decided_on,
                "utn": None,
                "utn_valid_until": None,
                "prior_auth_reason": event.reason,
            },
        )

    def _decide(self, event: Any, values: Mapping[str, Any]) -> None:
        order_id = event.originator_id
        for line_id in event.line_ids:
            self.lines.update((order_id, line_id), **values)
        decisions = [
            (line["prior_auth_status"], line["utn_valid_until"])
            for line in self.lines.group(order_id)
            if line["prior_auth_required"]
        ]
        statuses = {status for status, _ in decisions}
        valid_until = None
        if not decisions:
            summary = "not_required"
        elif None in statuses:
            summary = "pending"
        elif "non_affirmed" in statuses:
            summary = "non_affirmed"
        else:
            summary = "affirmed"
            valid_until = min(until for _, until in decisions)
        self.touch(event, prior_authorization=summary, prior_authorization_valid_until=valid_until)

    # --- delivery, holds, pickup, cancellation ---------------------------------------------

    def delivered(self, event: Any) -> None:
        self.touch(
            event,
            status="delivered",
            delivered_on=event.delivered_on,
            pod_signer_relationship=_value(event.pod.relationship),
        )
        serials: dict[Any, list[str]] = {}
        for serial in event.pod.serial_numbers:
            serials.setdefault(serial.line_id, []).append(serial.serial)
        for line_id, numbers in serials.items():
            self.lines.update((event.originator_id, line_id), serial_numbers=numbers)

    def put_on_hold(self, event: Any) -> None:
        status = self.orders[event.originator_id]["status"]
        self.touch(
            event,
            on_hold=True,
            hold_reason=event.reason,
            held_on=event.on,
            status="on_hold" if status in ("intake", "delivered") else status,
        )

    def released(self, event: Any) -> None:
        order = self.orders[event.originator_id]
        status = order["status"]
        if status == "on_hold":
            status = "intake" if order["delivered_on"] is None else "delivered"
        self.touch(event, on_hold=False, hold_reason=None, held_on=None, status=status)

    def picked_up(self, event: Any) -> None:
        # A hold may outlive the pickup (Order.release is accepted after it): on_hold stays.
        self.touch(
            event, status="picked_up", picked_up_on=event.picked_up_on, pickup_reason=event.reason
        )

    def cancelled(self, event: Any) -> None:
        self.touch(
            event,
            status="cancelled",
            cancelled_on=event.on,
            cancellation_reason=event.reason,
            on_hold=False,
            hold_reason=None,
            held_on=None,
        )

    # --- rentals and adherence --------------------------------------------------------------

    def rental_month_opened(self, event: Any) -> None:
        self.lines.update(
            (event.originator_id, event.line_id),
            rental_months_opened=event.month_number,
            last_rental_month_from=event.from_date,
            last_rental_month_to=event.to_date,
        )
        self.touch(event)

    def adherence_recorded(self, event: Any) -> None:
        # Order.adherence_met: the verdict of the latest evaluation date; on a tie, the one
        # recorded last.
        key = (event.originator_id, event.line_id)
        last = self.lines[key]["adherence_evaluated_on"]
        if last is None or last <= event.evaluated_on:
            self.lines.update(
                key, adherence_met=event.compliant, adherence_evaluated_on=event.evaluated_on
            )
        self.touch(event)


# Order events not named here (none today) only move the version.
_STEPS: dict[str, Callable[[_OrderFold, Any], Any]] = {
    "Placed": _OrderFold.placed,
    "CoverageVerified": _OrderFold.coverage_verified,
    "SwoRecorded": _OrderFold.swo_recorded,
    "WopdRecorded": _OrderFold.wopd_recorded,
    "FaceToFaceRecorded": _OrderFold.face_to_face_recorded,
    "AbnRecorded": _OrderFold.abn_recorded,
    "PriorAuthorizationAffirmed": _OrderFold.prior_authorization_affirmed,
    "PriorAuthorizationNonAffirmed": _OrderFold.prior_authorization_non_affirmed,
    "Delivered": _OrderFold.delivered,
    "PutOnHold": _OrderFold.put_on_hold,
    "Released": _OrderFold.released,
    "PickedUp": _OrderFold.picked_up,
    "Cancelled": _OrderFold.cancelled,
    "RentalMonthOpened": _OrderFold.rental_month_opened,
    "AdherenceRecorded": _OrderFold.adherence_recorded,
}


class OrderProjection(Projection):
    name = "orders"
    upstreams = ("orders",)
    tables = (orders, order_lines)

    def wants(self, topic: str) -> bool:
        # Every Order event moves the order's version: all of them are decoded and folded.
        return issubclass(resolve_topic(topic), Order.Event)

    def apply_batch(
        self, conn: Connection, upstream: str, events: Sequence[tuple[int, Any]]
    ) -> None:
        named = [(_name(event), event) for _, event in events]
        fold = _OrderFold()
        fold.load(conn, named)
        for name, event in named:
            fold.apply(name, event)
        fold.write(conn)
